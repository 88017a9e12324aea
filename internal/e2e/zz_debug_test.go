package e2e

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/temporaldev"
)

func TestZZStopTime(t *testing.T) {
	dir := t.TempDir()
	g0 := runtime.NumGoroutine()
	srv, err := temporaldev.Start(t.Context(), temporaldev.Options{Dir: dir, Log: os.Stderr})
	if err != nil { t.Fatal(err) }
	time.Sleep(3*time.Second)
	fmt.Fprintln(os.Stderr, "=== STOP", runtime.NumGoroutine())
	srv.Stop()
	fmt.Fprintln(os.Stderr, "=== STOPPED", runtime.NumGoroutine())
	for range 6 {
		time.Sleep(5*time.Second)
		fmt.Fprintln(os.Stderr, "=== after", runtime.NumGoroutine(), g0)
	}
}
