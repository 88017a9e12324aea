package policies

import (
	"syscall"
	"testing"
	"time"
)

// loopWithCPU runs op in b.Loop and reports the process's CPU time per
// operation (user and system, garbage collection included) next to ns/op:
// on cores shared with other work the wall time per operation swings with
// their load, the CPU time much less.
func loopWithCPU(b *testing.B, op func() error) {
	b.Helper()
	b.ReportAllocs()
	start := cpuTime(b)
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
