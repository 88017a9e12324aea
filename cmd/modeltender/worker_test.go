package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/modeltender/modeltender/internal/devstack/pgtest"
	"github.com/modeltender/modeltender/internal/devstack/temporaldev"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/internal/telemetry"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, func(ctx context.Context, url string) error { return store.Migrate(ctx, url, io.Discard) })
}

// The worker command serves /metrics on MODELTENDER_WORKER_METRICS_ADDR, and
// the series there include the Temporal SDK's and the pgx tracer's, which
// shows both are wired into the process's telemetry.
func TestWorkerServesMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ts, err := temporaldev.Start(ctx, temporaldev.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Stop()
	env := map[string]string{
		"DATABASE_URL":                    pgtest.NewDatabase(t),
		"TEMPORAL_ADDRESS":                ts.Address(),
		"TEMPORAL_NAMESPACE":              ts.Namespace(),
		"MODELTENDER_WORKER_METRICS_ADDR": "127.0.0.1:0",
	}
	var stderr syncBuffer
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, []string{"worker"}, func(k string) string { return env[k] }, io.Discard, &stderr)
	}()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	}()

	url := waitFor(t, &stderr, regexp.MustCompile(`msg="serving metrics" url=(\S+)`))
	// The SDK's poll series appear once the worker has polled.
	var body string
	for deadline := time.Now().Add(time.Minute); ; {
		body = get(t, url)
		if strings.Contains(body, "temporal_") || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, series := range []string{"go_goroutines", "temporal_", "db_client_operation_duration", "modeltender_policy_decision_duration_seconds"} {
		if !strings.Contains(body, series) {
			t.Errorf("worker /metrics lacks %s:\n%s", series, body)
		}
	}
}

// A line logged with a span's context names its trace and span.
func TestLogLinesCarryTraceIDs(t *testing.T) {
	var out bytes.Buffer
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("test").Start(context.Background(), "request")
	telemetry.NewLogger(&out).InfoContext(ctx, "decided")
	span.End()
	sc := span.SpanContext()
	if want := "trace_id=" + sc.TraceID().String() + " span_id=" + sc.SpanID().String(); !strings.Contains(out.String(), want) {
		t.Errorf("log line %q lacks %q", out.String(), want)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, res.Status, err)
	}
	return string(b)
}

// waitFor waits until the log matches re and returns its first group.
func waitFor(t *testing.T, log *syncBuffer, re *regexp.Regexp) string {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := re.FindStringSubmatch(log.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no %s in the log:\n%s", re, log.String())
	return ""
}

// syncBuffer is a bytes.Buffer the command's logger and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
