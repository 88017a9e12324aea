package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/config"
	"github.com/modeltender/modeltender/internal/devstack/pgtest"
	"github.com/modeltender/modeltender/internal/store"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, func(ctx context.Context, url string) error { return store.Migrate(ctx, url, io.Discard) })
}

// silentListener accepts connections and never answers on them: a
// dependency that is up at the TCP level and dead above it.
func silentListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

// openWithin opens the app and requires it to fail within the connect
// timeout plus slack, with an error naming addr and what it is.
func openWithin(t *testing.T, cfg config.Config, addr, what string) {
	t.Helper()
	cfg.ConnectTimeout = time.Second
	started := time.Now()
	a, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	took := time.Since(started)
	if err == nil {
		a.Close()
		t.Fatalf("Open succeeded against a %s that never answers", what)
	}
	if took > 5*time.Second {
		t.Errorf("Open took %s to give up on %s, want about the 1s connect timeout", took, what)
	}
	host, port, _ := net.SplitHostPort(addr)
	if msg := err.Error(); !strings.Contains(msg, what) || !strings.Contains(msg, host) || !strings.Contains(msg, port) || !strings.Contains(msg, "MODELTENDER_CONNECT_TIMEOUT") {
		t.Errorf("the error does not name %s at %s and the setting that bounds the wait: %v", what, addr, err)
	}
	t.Logf("gave up on %s after %s: %v", what, took.Round(time.Millisecond), err)
}

func TestOpenGivesUpOnSilentPostgres(t *testing.T) {
	addr := silentListener(t)
	openWithin(t, config.Config{DatabaseURL: "postgres://postgres@" + addr + "/modeltender?sslmode=disable",
		TemporalAddress: "127.0.0.1:1", TemporalNamespace: "default"}, addr, "PostgreSQL")
}

func TestOpenGivesUpOnSilentTemporal(t *testing.T) {
	addr := silentListener(t)
	openWithin(t, config.Config{DatabaseURL: pgtest.NewDatabase(t), TemporalAddress: addr, TemporalNamespace: "default"}, addr, "Temporal")
}

func TestWithConnectTimeout(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"postgres://u@h:5432/db?sslmode=disable", "postgres://u@h:5432/db?connect_timeout=3&sslmode=disable"},
		{"postgres://u@h/db?connect_timeout=7", "postgres://u@h/db?connect_timeout=7"},
		{"host=h dbname=db", "host=h dbname=db connect_timeout=3"},
		{"host=h connect_timeout=7", "host=h connect_timeout=7"},
	} {
		got, err := withConnectTimeout(tt.in, 2500*time.Millisecond)
		if err != nil || got != tt.want {
			t.Errorf("withConnectTimeout(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
