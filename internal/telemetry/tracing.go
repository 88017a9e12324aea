package telemetry

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/modeltender/modeltender/internal/config"
)

// instrumentation is the name spans of modeltender's own code are made under.
const instrumentation = "github.com/modeltender/modeltender"

type spanExporter = sdktrace.SpanExporter

// otlpExporter is the OTLP trace exporter cfg asks for, or nil when no
// endpoint is set. The exporter reads the endpoint, headers, certificates
// and timeouts from the OTEL_EXPORTER_OTLP_* variables itself, which keeps
// their defaults (e.g. /v1/traces appended to a base HTTP endpoint).
func otlpExporter(ctx context.Context, cfg config.Telemetry) (spanExporter, error) {
	if cfg.OTLPEndpoint == "" {
		return nil, nil
	}
	var (
		exp spanExporter
		err error
	)
	switch cfg.OTLPProtocol {
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		exp, err = otlptracehttp.New(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("set up OTLP trace export to %s over %s (OTEL_EXPORTER_OTLP_*): %w", cfg.OTLPEndpoint, cfg.OTLPProtocol, err)
	}
	return exp, nil
}

// setupTracing makes the tracer provider: batching spans to exp, or a no-op
// provider without one, so untraced processes pay nothing for spans.
func (t *Telemetry) setupTracing(ctx context.Context, cfg config.Telemetry, exp spanExporter) error {
	if exp == nil {
		t.tracer = noop.NewTracerProvider()
		return nil
	}
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithAttributes(semconv.ServiceName(cfg.ServiceName)))
	if err != nil {
		return fmt.Errorf("describe the traced service: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	t.tracer, t.tracing = tp, true
	t.shutdown = append(t.shutdown, tp.Shutdown)
	return nil
}

// Tracer makes spans of modeltender's own code.
func (t *Telemetry) Tracer() trace.Tracer {
	if t == nil {
		return noop.NewTracerProvider().Tracer(instrumentation)
	}
	return t.tracer.Tracer(instrumentation)
}

// LogHandler wraps h so that a record logged with a context inside a span
// carries the span's trace_id and span_id, which join logs to traces.
func LogHandler(h slog.Handler) slog.Handler { return traceLogHandler{h} }

// NewLogger is the log modeltender's commands write: text lines at info
// level to w, each logged with the context of a traced request or activity
// naming its trace_id and span_id.
func NewLogger(w io.Writer) *slog.Logger {
	return slog.New(LogHandler(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})))
}

type traceLogHandler struct{ slog.Handler }

func (h traceLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceLogHandler{h.Handler.WithAttrs(attrs)}
}

func (h traceLogHandler) WithGroup(name string) slog.Handler {
	return traceLogHandler{h.Handler.WithGroup(name)}
}
