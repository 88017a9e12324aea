package telemetry

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/internal/config"
	"github.com/modeltender/modeltender/internal/devstack/temporaldev"
)

// syncBuffer is a log sink the worker's goroutines and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func greetWorkflow(ctx workflow.Context, name string) (string, error) {
	workflow.GetLogger(ctx).Info("workflow line", "name", name)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, greetActivity, name).Get(ctx, &out)
	return out, err
}

func greetActivity(ctx context.Context, name string) (string, error) {
	activity.GetLogger(ctx).Info("activity line", "name", name)
	return "hello " + name, nil
}

// A request that runs a workflow and its activity leaves log lines, in the
// workflow and in the activity, that name the request's trace, and the
// span each ran in: one trace id joins the HTTP log, the workflow's and the
// activity's lines and the spans.
func TestWorkflowAndActivityLogsCarryTheRequestTrace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	exp := tracetest.NewInMemoryExporter()
	tel, err := build(ctx, config.Telemetry{ServiceName: "modeltender-test"}, exp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	interceptors, err := tel.TemporalInterceptors()
	if err != nil {
		t.Fatal(err)
	}

	srv, err := temporaldev.Start(ctx, temporaldev.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	var logs syncBuffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&logs, nil)))
	c, err := client.Dial(client.Options{HostPort: srv.Address(), Namespace: srv.Namespace(),
		Interceptors: interceptors, Logger: tlog.NewStructuredLogger(log)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w := worker.New(c, "traced", worker.Options{})
	w.RegisterWorkflow(greetWorkflow)
	w.RegisterActivity(greetActivity)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	e := echo.New()
	e.Use(tel.Middleware())
	e.POST("/greet", func(ec echo.Context) error {
		rctx := ec.Request().Context()
		run, err := c.ExecuteWorkflow(rctx, client.StartWorkflowOptions{TaskQueue: "traced"}, greetWorkflow, "ada")
		if err != nil {
			return err
		}
		var out string
		if err := run.Get(rctx, &out); err != nil {
			return err
		}
		log.InfoContext(rctx, "http line", "out", out)
		return ec.String(http.StatusOK, out)
	})
	req := httptest.NewRequest(http.MethodPost, "/greet", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if err := tel.tracer.(*sdktrace.TracerProvider).ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}

	spans := map[trace.SpanID]tracetest.SpanStub{}
	var server tracetest.SpanStub
	for _, s := range exp.GetSpans() {
		spans[s.SpanContext.SpanID()] = s
		if s.SpanKind == trace.SpanKindServer {
			server = s
		}
	}
	traceID := server.SpanContext.TraceID().String()
	if !server.SpanContext.IsValid() {
		t.Fatalf("no server span among %d spans", len(spans))
	}

	lines := map[string]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if msg, _ := rec["msg"].(string); strings.HasSuffix(msg, " line") {
			if _, dup := lines[msg]; dup {
				t.Errorf("%q was logged twice: a replay logged it again", msg)
			}
			lines[msg] = rec
		}
	}
	for msg, spanName := range map[string]string{
		"http line":     "POST /greet",
		"workflow line": "RunWorkflow:greetWorkflow",
		"activity line": "RunActivity:greetActivity",
	} {
		rec, ok := lines[msg]
		if !ok {
			t.Errorf("no %q in the log:\n%s", msg, logs.String())
			continue
		}
		if rec["trace_id"] != traceID {
			t.Errorf("%q has trace_id %v, want the request's %s", msg, rec["trace_id"], traceID)
		}
		id, err := trace.SpanIDFromHex(asString(rec["span_id"]))
		if err != nil {
			t.Errorf("%q has span_id %v: %v", msg, rec["span_id"], err)
			continue
		}
		if s, ok := spans[id]; !ok || s.Name != spanName {
			t.Errorf("%q names span %s (%q), want the %q span", msg, id, s.Name, spanName)
		}
		if _, ok := rec["TraceID"]; ok {
			t.Errorf("%q also carries the SDK's TraceID field: %v", msg, rec)
		}
	}
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}
