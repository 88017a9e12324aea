// Package devstack brings up what `modeltender dev` needs beside the app
// itself: a private PostgreSQL cluster and an embedded Temporal server, both
// keeping their state under the state directory so a restart finds it again,
// and each supervised: started again when it dies, fatal when it cannot be.
// DATABASE_URL or TEMPORAL_ADDRESS, when set, replace the embedded parts.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/modeltender/modeltender/internal/config"
	"github.com/modeltender/modeltender/internal/devstack/discover"
	"github.com/modeltender/modeltender/internal/devstack/pgcluster"
	"github.com/modeltender/modeltender/internal/devstack/temporaldev"
)

// databaseName is the dev stack's database in its private cluster.
const databaseName = "modeltender"

// defaultTemporalPort is the Temporal frontend's usual port, and
// defaultUIPort the Web UI's (as `temporal server start-dev` has them); dev
// uses them when free.
const (
	defaultTemporalPort = 7233
	defaultUIPort       = 8233
)

// temporalSupervision probes the embedded Temporal every second; 5s without
// an answer mean it died, and a fourth death within 10 minutes stops dev
// rather than restarting a server that keeps failing.
var temporalSupervision = temporaldev.Supervision{Interval: time.Second, FailAfter: 5, MaxRestarts: 3, Window: 10 * time.Minute}

// Stack is the running dev infrastructure.
type Stack struct {
	cfg      config.Config
	pg       *pgcluster.Cluster
	temporal *temporaldev.Server
	// failed hears from the supervisor of each embedded server that gave up.
	failed chan error
	// done ends the goroutines passing the supervisors' errors on.
	done chan struct{}
	logs []*os.File
}

// Start starts whatever cfg does not point elsewhere and returns a Stack
// whose Config has DatabaseURL and TemporalAddress filled in. The embedded
// servers log to StateDir/logs, keeping the console for modeltender itself.
func Start(ctx context.Context, cfg config.Config) (*Stack, error) {
	s := &Stack{cfg: cfg, failed: make(chan error, 2), done: make(chan struct{})}
	if err := os.MkdirAll(filepath.Join(cfg.StateDir, "logs"), 0o755); err != nil {
		return nil, fmt.Errorf("create state directory %s: %w", cfg.StateDir, err)
	}
	pgLog, err := s.openLog("postgres.log")
	if err != nil {
		return nil, err
	}
	temporalLog, err := s.openLog("temporal.log")
	if err != nil {
		s.Stop()
		return nil, err
	}
	if cfg.DatabaseURL == "" {
		pg, err := pgcluster.Start(ctx, pgcluster.Options{Dir: cfg.PostgresDir(), Durable: true, Log: pgLog})
		if err != nil {
			return nil, err
		}
		s.pg = pg
		if err := pg.CreateDatabase(ctx, databaseName, ""); err != nil && !errors.Is(err, pgcluster.ErrDatabaseExists) {
			s.Stop()
			return nil, fmt.Errorf("create dev database: %w", err)
		}
		s.cfg.DatabaseURL = pg.URL(databaseName)
		// A private PostgreSQL that dies is started again; one that cannot
		// be fails the stack (Failed), and dev stops saying why.
		s.passOn(ctx, pg.Supervise(ctx, time.Second, time.Minute, noteTo(pgLog)))
	}
	if cfg.TemporalAddress == "" {
		port, uiPort := defaultTemporalPort, defaultUIPort
		if !portFree(port) {
			port = 0
		}
		if !portFree(uiPort) {
			uiPort = 0
		}
		ts, err := temporaldev.Start(ctx, temporaldev.Options{
			Dir: cfg.TemporalDir(), Namespace: cfg.TemporalNamespace, FrontendPort: port, Log: temporalLog,
			UI: true, UIPort: uiPort,
		})
		if err != nil {
			s.Stop()
			return nil, err
		}
		s.temporal = ts
		s.cfg.TemporalAddress = ts.Address()
		// An embedded Temporal that stops answering is started again on the
		// same port; one that keeps dying fails the stack (Failed).
		s.passOn(ctx, ts.Supervise(ctx, temporalSupervision, noteTo(temporalLog)))
		if err := os.WriteFile(discover.TemporalAddressFile(cfg), []byte(ts.Address()+"\n"), 0o644); err != nil {
			s.Stop()
			return nil, fmt.Errorf("record Temporal address: %w", err)
		}
	}
	return s, nil
}

// openLog opens a log file under StateDir/logs; Stop closes it.
func (s *Stack) openLog(name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(s.cfg.StateDir, "logs", name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	s.logs = append(s.logs, f)
	return f, nil
}

// noteTo tells the console and the server's log of a death or restart.
func noteTo(log *os.File) func(string) {
	return func(note string) {
		fmt.Fprintln(os.Stderr, "modeltender dev:", note)
		fmt.Fprintln(log, "modeltender dev:", note)
	}
}

// passOn forwards a supervisor's error to Failed until ctx or Stop ends.
func (s *Stack) passOn(ctx context.Context, failed <-chan error) {
	go func() {
		select {
		case err := <-failed:
			s.failed <- err
		case <-ctx.Done():
		case <-s.done:
		}
	}()
}

// Failed receives an error when the private PostgreSQL or the embedded
// Temporal died and could not be started again, or died too often; never
// when the stack runs neither.
func (s *Stack) Failed() <-chan error { return s.failed }

// TemporalUI is the embedded Temporal server's Web UI, or "" when
// TEMPORAL_ADDRESS pointed elsewhere.
func (s *Stack) TemporalUI() string {
	if s.temporal == nil {
		return ""
	}
	return s.temporal.UIURL()
}

// Config is the configuration pointing at the running stack.
func (s *Stack) Config() config.Config { return s.cfg }

// Stop stops what Start started, Temporal first so no workflow task is
// in flight when its database goes.
func (s *Stack) Stop() {
	if s.done != nil {
		close(s.done)
		s.done = nil
	}
	if s.temporal != nil {
		s.temporal.Stop()
		_ = os.Remove(discover.TemporalAddressFile(s.cfg))
		s.temporal = nil
	}
	if s.pg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.pg.Stop(ctx)
		s.pg = nil
	}
	for _, f := range s.logs {
		f.Close()
	}
	s.logs = nil
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}
