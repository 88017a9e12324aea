package telemetry

import (
	"fmt"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
)

// TemporalInterceptors trace workflow starts, updates, signals, queries,
// workflows and activities, carrying the caller's trace across Temporal in
// the workflow headers, and name the trace in what workflows and activities
// log (logFieldsTracer). Pass them in client.Options.Interceptors: workers
// made from that client use them too. Without trace export there are none.
func (t *Telemetry) TemporalInterceptors() ([]interceptor.ClientInterceptor, error) {
	if t == nil || !t.tracing {
		return nil, nil
	}
	tr, err := temporalotel.NewTracer(temporalotel.TracerOptions{
		Tracer: t.tracer.Tracer("temporal-sdk-go"),
		// A workflow started by a process with another tracing setup must
		// still run; its spans just start a new trace.
		AllowInvalidParentSpans: true,
	})
	if err != nil {
		return nil, fmt.Errorf("set up Temporal tracing: %w", err)
	}
	return []interceptor.ClientInterceptor{interceptor.NewTracingInterceptor(logFieldsTracer{tr})}, nil
}

// logFieldsTracer is the SDK's OpenTelemetry tracer with one change: the
// loggers activity.GetLogger and workflow.GetLogger return carry the current
// span as trace_id and span_id, the keys LogHandler writes for HTTP requests,
// so one search finds a request's lines in serve and in every worker. (The
// tracer's own fields are TraceID and SpanID.) A workflow's logger reads the
// span from the workflow context, where the interceptor put it when the
// workflow task began; workflow.GetLogger still drops lines during replay.
type logFieldsTracer struct{ interceptor.Tracer }

func (t logFieldsTracer) GetLogger(logger log.Logger, ref interceptor.TracerSpanRef) log.Logger {
	// Both places the SDK asks from hand over the tracer's own span, which is
	// an OpenTelemetry span.
	span, ok := ref.(interface{ SpanContext() trace.SpanContext })
	if !ok || !span.SpanContext().IsValid() {
		return logger
	}
	sc := span.SpanContext()
	return log.With(logger, "trace_id", sc.TraceID().String(), "span_id", sc.SpanID().String())
}

// TemporalMetrics is the Temporal SDK's metrics handler (client.Options.MetricsHandler):
// its request, poll, workflow-task and activity series land in this registry
// as temporal_* series.
func (t *Telemetry) TemporalMetrics() client.MetricsHandler {
	if t == nil {
		return client.MetricsNopHandler
	}
	return temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter:                t.meters.Meter("temporal-sdk-go"),
		UseMonotonicCounters: true,        // counters are exported as Prometheus counters, not gauges
		OnError:              otel.Handle, // the default panics
	})
}

// PgxTracer traces each PostgreSQL query as a child of the span in its
// context and records query durations; set it as the pool's
// ConnConfig.Tracer. Query parameters are not recorded.
func (t *Telemetry) PgxTracer() pgx.QueryTracer {
	if t == nil {
		return nil
	}
	return otelpgx.NewTracer(otelpgx.WithTracerProvider(t.tracer), otelpgx.WithMeterProvider(t.meters))
}
