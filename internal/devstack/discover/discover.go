// Package discover finds the parts of a running dev stack (`modeltender
// dev`) for commands run beside it without DATABASE_URL or
// TEMPORAL_ADDRESS. It is apart from devstack so that the production
// binary, which only looks for a dev stack, does not link the embedded
// Temporal server that devstack starts.
package discover

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/modeltender/modeltender/internal/config"
)

// TemporalAddressFile is where a running dev stack writes its embedded
// Temporal server's address.
func TemporalAddressFile(cfg config.Config) string {
	return filepath.Join(cfg.StateDir, "temporal.address")
}

// Temporal finds the embedded Temporal server of a running dev stack and
// checks that it answers.
func Temporal(cfg config.Config) (string, error) {
	b, err := os.ReadFile(TemporalAddressFile(cfg))
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("no TEMPORAL_ADDRESS set and no dev stack running in %s: run `make run` first or set TEMPORAL_ADDRESS", cfg.StateDir)
	}
	if err != nil {
		return "", err
	}
	addr := strings.TrimSpace(string(b))
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", fmt.Errorf("the dev stack's Temporal at %s does not answer (%v): run `make run` first or set TEMPORAL_ADDRESS", addr, err)
	}
	conn.Close()
	return addr, nil
}
