// Command modeltender-dev runs all of modeltender in one process for
// development and demonstration: a private PostgreSQL cluster from the
// server binaries, an embedded Temporal server with its Web UI, the worker
// and the web server, optionally seeded with demo data (--demo). State is
// kept in MODELTENDER_STATE_DIR (default .modeltender), so a restart finds
// it again. `make run` runs it, and `modeltender dev` hands over to it.
//
// It is a binary of its own because the Temporal server and its UI are
// most of its size: the production binary, cmd/modeltender, stays without
// them.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/modeltender/modeltender/internal/app"
	"github.com/modeltender/modeltender/internal/config"
	"github.com/modeltender/modeltender/internal/devstack"
	"github.com/modeltender/modeltender/internal/devstack/demo"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/internal/telemetry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "modeltender dev:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	log := telemetry.NewLogger(stderr)
	fs := flag.NewFlagSet("modeltender dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	withDemo := fs.Bool("demo", false, "seed demo agency, users, vendors and an open solicitation")
	fs.StringVar(&cfg.PolicyDir, "policy-dir", cfg.PolicyDir, "directory of Rego policies and data to use instead of the embedded bundle (MODELTENDER_POLICY_DIR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	started := time.Now()
	stack, err := devstack.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer stack.Stop()
	cfg = stack.Config()
	if err := store.Migrate(ctx, cfg.DatabaseURL, io.Discard); err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	w := a.NewWorker()
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w; set MODELTENDER_LISTEN to a free address", cfg.Listen, err)
	}
	baseURL := "http://" + l.Addr().String()
	serveErr := make(chan error, 1)
	go func() { serveErr <- a.Serve(ctx, l) }()

	fmt.Fprintf(stdout, "\nmodeltender is running at %s (ready in %s)\n", baseURL, time.Since(started).Round(10*time.Millisecond))
	fmt.Fprintf(stdout, "  PostgreSQL: %s\n  Temporal:   %s (namespace %s)\n", cfg.DatabaseURL, cfg.TemporalAddress, cfg.TemporalNamespace)
	if ui := stack.TemporalUI(); ui != "" {
		fmt.Fprintf(stdout, "  Temporal UI: %s/namespaces/%s/workflows\n", ui, cfg.TemporalNamespace)
	}
	if *withDemo {
		seeded, err := demo.Seed(ctx, a.Store, baseURL, cfg.StateDir)
		if err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		}
		seeded.Print(stdout)
	}
	fmt.Fprintln(stdout, "\nPress Ctrl-C to stop.")
	select {
	case err := <-serveErr:
		return err
	case err := <-stack.Failed():
		return err
	case <-ctx.Done():
		fmt.Fprintln(stdout, "stopping...")
		return <-serveErr
	}
}
