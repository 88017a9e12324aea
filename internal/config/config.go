// Package config reads modeltender's settings from the environment, with the
// defaults `modeltender dev` runs on.
package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/modeltender/modeltender/policies"
)

// Config is every setting, each from one environment variable.
type Config struct {
	DatabaseURL       string // DATABASE_URL; empty: the dev cluster in StateDir
	TemporalAddress   string // TEMPORAL_ADDRESS; empty: dev starts an embedded server
	TemporalNamespace string // TEMPORAL_NAMESPACE
	TaskQueue         string // MODELTENDER_TASK_QUEUE
	Listen            string // MODELTENDER_LISTEN
	StateDir          string // MODELTENDER_STATE_DIR: where dev keeps PostgreSQL and Temporal data
	PublicURL         string // MODELTENDER_PUBLIC_URL: the API's address as the public reaches it
	OCIDPrefix        string // MODELTENDER_OCID_PREFIX: the agency's OCDS prefix, ocds-xxxxxx
	PolicyDir         string // MODELTENDER_POLICY_DIR: policy bundle directory; empty: the embedded bundle
	// SigstoreTrustedRoot (MODELTENDER_SIGSTORE_TRUSTED_ROOT) is the path of
	// a Sigstore trusted root JSON (e.g. the public-good instance's), under
	// which keyless model signatures verify; empty: vendors may register
	// keys and certificate chains only. It is read at start, never fetched.
	SigstoreTrustedRoot string
	// ConnectTimeout (MODELTENDER_CONNECT_TIMEOUT, a Go duration, default
	// 10s) bounds every connection to PostgreSQL and the dial of Temporal:
	// a process that cannot reach one exits after it, naming the address.
	ConnectTimeout time.Duration
	Worker         Worker
	Telemetry      Telemetry
}

// Worker is how much one worker process keeps in memory and runs at once.
type Worker struct {
	// StickyCacheSize is how many workflows stay in memory between their
	// tasks (MODELTENDER_WORKER_STICKY_CACHE). The SDK's 10,000 keeps every
	// parked evaluation of a large solicitation cached, about 80 KiB of RSS
	// each (bench/README.md); an evicted one is replayed from its history
	// (about 110 events) when its next task, such as a decision, arrives.
	StickyCacheSize int
	// MaxWorkflowTasks and MaxActivities bound the tasks run at once
	// (MODELTENDER_WORKER_MAX_WORKFLOW_TASKS, MODELTENDER_WORKER_MAX_ACTIVITIES);
	// activities wait on a PostgreSQL pool of a few connections anyway.
	MaxWorkflowTasks int
	MaxActivities    int
	// MetricsAddr is where `worker` serves /metrics (MODELTENDER_WORKER_METRICS_ADDR);
	// empty: no listener. `serve` has its /metrics on MODELTENDER_LISTEN.
	MetricsAddr string
}

// DefaultConnectTimeout bounds a connection to PostgreSQL or Temporal.
const DefaultConnectTimeout = 10 * time.Second

// Defaults for a worker: with 10,000 evaluations parked on human tasks it
// stays under 300 MiB RSS (bench/README.md, "Worker limits").
const (
	DefaultStickyCacheSize  = 1000
	DefaultMaxWorkflowTasks = 100
	DefaultMaxActivities    = 100
)

// Telemetry is where traces go, in OpenTelemetry's own variables; the OTLP
// exporter reads the rest of them (headers, certificates, timeouts) itself.
type Telemetry struct {
	// OTLPEndpoint is OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or else
	// OTEL_EXPORTER_OTLP_ENDPOINT; empty: no traces are exported.
	OTLPEndpoint string
	// OTLPProtocol is OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or else
	// OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf (default) or grpc.
	OTLPProtocol string
	ServiceName  string // OTEL_SERVICE_NAME, default "modeltender"
}

// FromEnv reads the configuration through getenv. It fails on a setting it
// cannot read, naming the variable, rather than running on a default the
// operator did not choose.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		DatabaseURL:         getenv("DATABASE_URL"),
		TemporalAddress:     getenv("TEMPORAL_ADDRESS"),
		TemporalNamespace:   or(getenv("TEMPORAL_NAMESPACE"), "default"),
		TaskQueue:           or(getenv("MODELTENDER_TASK_QUEUE"), "modeltender"),
		Listen:              or(getenv("MODELTENDER_LISTEN"), "127.0.0.1:8080"),
		StateDir:            or(getenv("MODELTENDER_STATE_DIR"), ".modeltender"),
		OCIDPrefix:          or(getenv("MODELTENDER_OCID_PREFIX"), "ocds-mtdr01"),
		PolicyDir:           getenv(policies.EnvPolicyDir),
		SigstoreTrustedRoot: getenv("MODELTENDER_SIGSTORE_TRUSTED_ROOT"),
		Telemetry: Telemetry{
			OTLPEndpoint: or(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), getenv("OTEL_EXPORTER_OTLP_ENDPOINT")),
			OTLPProtocol: or(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), getenv("OTEL_EXPORTER_OTLP_PROTOCOL"), "http/protobuf"),
			ServiceName:  or(getenv("OTEL_SERVICE_NAME"), "modeltender"),
		},
	}
	c.PublicURL = strings.TrimSuffix(or(getenv("MODELTENDER_PUBLIC_URL"), "http://"+c.Listen), "/")
	c.Worker.MetricsAddr = getenv("MODELTENDER_WORKER_METRICS_ADDR")
	var errs []error
	c.ConnectTimeout = DefaultConnectTimeout
	if v := getenv("MODELTENDER_CONNECT_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		// PostgreSQL's connect_timeout counts whole seconds.
		if err != nil || d < time.Second {
			errs = append(errs, fmt.Errorf("MODELTENDER_CONNECT_TIMEOUT=%q: want a duration of 1s or more, such as 10s (default %s)", v, DefaultConnectTimeout))
		} else {
			c.ConnectTimeout = d
		}
	}
	for _, s := range []struct {
		to  *int
		key string
		def int
	}{
		{&c.Worker.StickyCacheSize, "MODELTENDER_WORKER_STICKY_CACHE", DefaultStickyCacheSize},
		{&c.Worker.MaxWorkflowTasks, "MODELTENDER_WORKER_MAX_WORKFLOW_TASKS", DefaultMaxWorkflowTasks},
		{&c.Worker.MaxActivities, "MODELTENDER_WORKER_MAX_ACTIVITIES", DefaultMaxActivities},
	} {
		*s.to = s.def
		v := getenv(s.key)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("%s=%q: want a whole number above zero (default %d)", s.key, v, s.def))
			continue
		}
		*s.to = n
	}
	if c.Worker.StickyCacheSize < c.Worker.MaxWorkflowTasks {
		// Each workflow task being run puts its workflow in the cache; a
		// smaller cache would evict and replay workflows continually.
		errs = append(errs, fmt.Errorf("MODELTENDER_WORKER_STICKY_CACHE (%d) is below MODELTENDER_WORKER_MAX_WORKFLOW_TASKS (%d): raise the cache or lower the tasks",
			c.Worker.StickyCacheSize, c.Worker.MaxWorkflowTasks))
	}
	if p := c.Telemetry.OTLPProtocol; p != "http/protobuf" && p != "grpc" {
		errs = append(errs, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q: modeltender exports traces over http/protobuf or grpc", p))
	}
	return c, errors.Join(errs...)
}

// PostgresDir is where the dev PostgreSQL cluster lives.
func (c Config) PostgresDir() string { return filepath.Join(c.StateDir, "pg") }

// TemporalDir is where the embedded Temporal server keeps its SQLite file.
func (c Config) TemporalDir() string { return filepath.Join(c.StateDir, "temporal") }

// Prepare sets the SDK's sticky workflow cache size, which is process-wide
// and read when the first worker starts, and returns the options to pass to
// worker.New. Zero fields (a Config not from FromEnv) keep the SDK's defaults.
func (w Worker) Prepare() worker.Options {
	if w.StickyCacheSize > 0 {
		worker.SetStickyWorkflowCacheSize(w.StickyCacheSize)
	}
	return worker.Options{
		MaxConcurrentWorkflowTaskExecutionSize: w.MaxWorkflowTasks,
		MaxConcurrentActivityExecutionSize:     w.MaxActivities,
	}
}

func or(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
