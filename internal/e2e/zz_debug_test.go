package e2e

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/temporaldev"
)

func TestZZStopTime(t *testing.T) {
	dir := t.TempDir()
	for range 2 {
		fmt.Fprintln(os.Stderr, "=== START")
		srv, err := temporaldev.Start(t.Context(), temporaldev.Options{Dir: dir, Log: os.Stderr})
		if err != nil { t.Fatal(err) }
		fmt.Fprintln(os.Stderr, "=== STARTED")
		time.Sleep(3*time.Second)
		fmt.Fprintln(os.Stderr, "=== STOP")
		srv.Stop()
		fmt.Fprintln(os.Stderr, "=== STOPPED")
	}
}
