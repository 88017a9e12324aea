// Command parsebudget measures what one hostile candidate file costs the
// manifest parser: wall time, peak heap and bytes allocated. It reads each
// file given, parses it as the API would (manifest.Parse under
// "candidates[0]"), and stops the process once the heap passes -cap, so an
// input that grows without bound is reported rather than left to exhaust
// the machine. Numbers go to bench/README.md.
//
//	go run ./bench/parsebudget -format mof internal/manifest/testdata/hostile/*.yaml
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/modeltender/modeltender/internal/manifest"
)

func main() {
	format := flag.String("format", "auto", "manifest format: auto, manifest, mof or cyclonedx")
	capMiB := flag.Uint64("cap", 2048, "stop when the heap passes this many MiB")
	flag.Parse()
	for _, file := range flag.Args() {
		data, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		measure(file, data, manifest.Format(*format), *capMiB<<20)
	}
}

// measure parses data once while a sampler records the peak heap every
// millisecond and exits the process when it passes limit.
func measure(file string, data []byte, format manifest.Format, limit uint64) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	done := make(chan struct{})
	start := time.Now()
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			if m.HeapInuse > limit {
				fmt.Printf("%s (%d bytes): heap passed %d MiB after %v: stopped\n", file, len(data), limit>>20, time.Since(start).Round(time.Millisecond))
				os.Exit(2)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	_, err := manifest.Parse(data, format, "candidates[0]")
	elapsed := time.Since(start)
	close(done)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if after.HeapInuse > peak.Load() {
		peak.Store(after.HeapInuse)
	}
	result := "accepted"
	if err != nil {
		result = err.Error()
		if len(result) > 160 {
			result = result[:160] + "…"
		}
	}
	fmt.Printf("%s (%d bytes): %v, peak heap %.1f MiB, allocated %.1f MiB: %s\n", file, len(data),
		elapsed.Round(time.Microsecond), float64(peak.Load())/(1<<20), float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), result)
}
