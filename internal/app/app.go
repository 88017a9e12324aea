// Package app wires modeltender's parts together once, so that `serve`,
// `worker`, `dev` and the integration tests run the same assembly: the store,
// the policy engine, the license analyzer, the Temporal client, the worker
// and the HTTP server.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/modeltender/modeltender/activities"
	"github.com/modeltender/modeltender/internal/artifact"
	"github.com/modeltender/modeltender/internal/check"
	"github.com/modeltender/modeltender/internal/config"
	"github.com/modeltender/modeltender/internal/licensing"
	"github.com/modeltender/modeltender/internal/rulebook"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/internal/telemetry"
	"github.com/modeltender/modeltender/internal/tender"
	"github.com/modeltender/modeltender/policies"
	"github.com/modeltender/modeltender/web"
	"github.com/modeltender/modeltender/workflows"
)

// App holds the long-lived dependencies of a modeltender process.
type App struct {
	Config   config.Config
	Store    *store.Store
	Policies *policies.Engine
	Licenses *licensing.Analyzer
	// Packs is the catalogue of policy packs of the bundle this process runs.
	Packs []policies.Pack
	// Check is the one candidate check, for the worker's activities and the
	// web's pre-submission validation alike.
	Check *check.Checker
	// Telemetry holds the process's metrics and tracing.
	Telemetry *telemetry.Telemetry
	Temporal  client.Client
	Log       *slog.Logger
	Now       func() time.Time
}

// Open connects to PostgreSQL and Temporal and prepares the policies.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	if cfg.DatabaseURL == "" {
		return nil, errors.New("DATABASE_URL is not set")
	}
	bundle, err := policies.LoadBundle(policies.Dir(cfg.PolicyDir))
	if err != nil {
		return nil, fmt.Errorf("read policies (%s): %w", policySource(cfg), err)
	}
	tel, err := telemetry.New(ctx, cfg.Telemetry)
	if err != nil {
		return nil, fmt.Errorf("set up telemetry: %w", err)
	}
	st, err := openStore(ctx, cfg, store.WithQueryTracer(tel.PgxTracer()))
	if err != nil {
		return nil, err
	}
	// The bundle this process runs is stored by its revision, so whatever
	// solicitation freezes it can be judged by it later, by any worker.
	if err := st.SavePolicyBundle(ctx, bundle.Revision(), bundle.Files()); err != nil {
		st.Close()
		return nil, fmt.Errorf("store policy bundle %s: %w (run `modeltender migrate` first)", bundle.Revision(), err)
	}
	revisions := rulebook.New(st.PolicyBundle, 0)
	engine, analyzer, err := revisions.Add(ctx, bundle)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("prepare policies (%s): %w", policySource(cfg), err)
	}
	packs, err := policies.Packs(policies.FromBundle(bundle))
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("read policy packs (%s): %w", policySource(cfg), err)
	}
	if err := tel.RegisterStore(st); err != nil {
		st.Close()
		return nil, err
	}
	interceptors, err := tel.TemporalInterceptors()
	if err != nil {
		st.Close()
		return nil, err
	}
	dialCtx, cancel := context.WithTimeout(ctx, connectTimeout(cfg))
	defer cancel()
	tc, err := client.DialContext(dialCtx, client.Options{
		MetricsHandler: tel.TemporalMetrics(),
		Interceptors:   interceptors,
		HostPort:       cfg.TemporalAddress,
		Namespace:      cfg.TemporalNamespace,
		// The SDK's default logger prints a line per activity; keep warnings only.
		Logger:            tlog.NewStructuredLogger(slog.New(minLevel{log.Handler(), slog.LevelWarn})),
		ConnectionOptions: client.ConnectionOptions{GetSystemInfoTimeout: connectTimeout(cfg)},
	})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("could not reach Temporal at %s (namespace %s) within %s (MODELTENDER_CONNECT_TIMEOUT): %w; start one or unset TEMPORAL_ADDRESS under `modeltender dev`",
			cfg.TemporalAddress, cfg.TemporalNamespace, connectTimeout(cfg), err)
	}
	checker := check.New(check.Current{Rules: revisions, Revision: bundle.Revision()})
	if checker.SigstoreRoot, err = sigstoreRoot(cfg.SigstoreTrustedRoot); err != nil {
		st.Close()
		return nil, err
	}
	checker.Observe = func(part string, d time.Duration) {
		if part == "policy" {
			tel.ObservePolicyDecision(d)
		} else {
			tel.ObserveLicenseReview(d)
		}
	}
	return &App{Config: cfg, Store: st, Policies: engine, Licenses: analyzer, Packs: packs, Check: checker, Telemetry: tel,
		Temporal: tc, Log: log, Now: time.Now}, nil
}

// openStore connects to PostgreSQL with every connection, now and later,
// bounded by the connect timeout, so a server that accepts and never
// answers fails the start instead of hanging it.
func openStore(ctx context.Context, cfg config.Config, opts ...store.Option) (*store.Store, error) {
	timeout := connectTimeout(cfg)
	url, err := withConnectTimeout(cfg.DatabaseURL, timeout)
	if err != nil {
		return nil, err
	}
	octx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	st, err := store.Open(octx, url, opts...)
	if err != nil {
		return nil, fmt.Errorf("could not reach PostgreSQL within %s (MODELTENDER_CONNECT_TIMEOUT): %w; check DATABASE_URL and that the server runs", timeout, err)
	}
	return st, nil
}

func connectTimeout(cfg config.Config) time.Duration {
	if cfg.ConnectTimeout <= 0 {
		return config.DefaultConnectTimeout
	}
	return cfg.ConnectTimeout
}

// withConnectTimeout sets PostgreSQL's connect_timeout (whole seconds) on a
// URL or keyword/value DATABASE_URL that does not set one itself.
func withConnectTimeout(databaseURL string, d time.Duration) (string, error) {
	seconds := strconv.Itoa(int(math.Ceil(d.Seconds())))
	if !strings.HasPrefix(databaseURL, "postgres://") && !strings.HasPrefix(databaseURL, "postgresql://") {
		if strings.Contains(databaseURL, "connect_timeout=") {
			return databaseURL, nil
		}
		return strings.TrimSpace(databaseURL + " connect_timeout=" + seconds), nil
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	q := u.Query()
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", seconds)
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// policySource names where the policy bundle comes from, for error messages.
func policySource(cfg config.Config) string {
	if cfg.PolicyDir == "" {
		return "embedded bundle"
	}
	return policies.EnvPolicyDir + "=" + cfg.PolicyDir
}

// Close releases the connections.
func (a *App) Close() {
	a.Temporal.Close()
	a.Store.Close()
}

// NewWorker returns a worker with every workflow and activity registered.
func (a *App) NewWorker() worker.Worker {
	w := worker.New(a.Temporal, a.Config.TaskQueue, a.Config.Worker.Prepare())
	workflows.Register(w)
	activities.Register(w, &activities.Activities{Store: a.Store, Check: a.Check, Now: a.Now,
		PublicURL: a.Config.PublicURL, OCIDPrefix: a.Config.OCIDPrefix})
	return w
}

// Service returns the use cases over this process's store, Temporal client
// and rules.
func (a *App) Service() *tender.Service {
	return &tender.Service{Store: a.Store, Temporal: a.Temporal, Policies: a.Policies, Licenses: a.Licenses, Packs: a.Packs, Check: a.Check,
		TaskQueue: a.Config.TaskQueue, Now: a.Now, Log: a.Log}
}

// Handler returns the HTTP server.
func (a *App) Handler() http.Handler {
	return web.NewServer(a.Service(), a.Telemetry)
}

// Serve serves HTTP on l until ctx ends, then shuts down gracefully.
func (a *App) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shut down HTTP server: %w", err)
	}
	return nil
}

// minLevel drops records below min before they reach the wrapped handler.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(attrs), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}

// sigstoreRoot reads the operator's Sigstore trusted root, refusing to start
// on one that cannot be used rather than failing every keyless check later.
func sigstoreRoot(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err == nil {
		_, err = artifact.TrustSigstore(data, "probe", "https://probe")
	}
	if err != nil {
		return nil, fmt.Errorf("MODELTENDER_SIGSTORE_TRUSTED_ROOT=%s: %w; give a Sigstore trusted root JSON, or unset it to accept key and certificate signing identities only", path, err)
	}
	return data, nil
}
