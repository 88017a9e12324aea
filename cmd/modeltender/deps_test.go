package main

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// serve and worker pointed at a PostgreSQL that accepts connections and never
// answers give up after MODELTENDER_CONNECT_TIMEOUT with an error naming
// it, which main turns into exit status 1.
func TestServeAndWorkerGiveUpOnASilentDatabase(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		var held []net.Conn // accepted, never answered
		for {
			c, err := l.Accept()
			if err != nil {
				for _, c := range held {
					_ = c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	env := map[string]string{
		"DATABASE_URL":                "postgres://postgres@" + l.Addr().String() + "/modeltender?sslmode=disable",
		"TEMPORAL_ADDRESS":            "127.0.0.1:1",
		"MODELTENDER_CONNECT_TIMEOUT": "1s",
		"MODELTENDER_LISTEN":          "127.0.0.1:0",
	}
	for _, command := range []string{"serve", "worker"} {
		started := time.Now()
		err := run(context.Background(), []string{command}, func(k string) string { return env[k] }, io.Discard, io.Discard)
		took := time.Since(started)
		if err == nil || !strings.Contains(err.Error(), "PostgreSQL") || !strings.Contains(err.Error(), l.Addr().String()) {
			t.Errorf("%s: %v, want an error naming PostgreSQL at %s", command, err, l.Addr())
		}
		if took > 5*time.Second {
			t.Errorf("%s gave up after %s, want about the 1s connect timeout", command, took)
		}
	}
}
