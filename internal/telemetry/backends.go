package telemetry

import (
	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// TemporalInterceptors trace workflow starts, updates, signals, queries,
// workflows and activities, carrying the caller's trace across Temporal in
// the workflow headers. Pass them in client.Options.Interceptors: workers
// made from that client use them too. Without trace export there are none.
func (t *Telemetry) TemporalInterceptors() ([]interceptor.ClientInterceptor, error) {
	if t == nil || !t.tracing {
		return nil, nil
	}
	i, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer: t.tracer.Tracer("temporal-sdk-go"),
		// A workflow started by a process with another tracing setup must
		// still run; its spans just start a new trace.
		AllowInvalidParentSpans: true,
	})
	if err != nil {
		return nil, err
	}
	return []interceptor.ClientInterceptor{i}, nil
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
