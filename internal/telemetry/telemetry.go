// Package telemetry owns what a running modeltender tells its operators:
// Prometheus metrics (HTTP latency and status by route, evaluations and open
// tasks read from PostgreSQL at scrape time, policy decision and license
// review latency, the Temporal SDK's metrics, the Go runtime) and
// OpenTelemetry traces (HTTP server spans, Temporal workflows and
// activities, pgx queries), exported over OTLP when
// OTEL_EXPORTER_OTLP_ENDPOINT is set and not at all otherwise. Log records
// written inside a span carry its trace_id and span_id: those of HTTP
// handlers (LogHandler) and those of workflows and activities
// (workflow.GetLogger, activity.GetLogger; TemporalInterceptors).
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/modeltender/modeltender/internal/config"
)

// Telemetry is one process's metrics registry and tracer provider. On a nil
// *Telemetry the methods that record (Middleware, Observe*, Tracer, the
// Temporal and pgx hooks, Shutdown) do nothing, so code under test can leave
// it out; Handler, Serve and RegisterStore need a real one.
type Telemetry struct {
	registry *prometheus.Registry
	// meters turns the OpenTelemetry metrics of the Temporal SDK and pgx
	// into Prometheus series of the same registry.
	meters *sdkmetric.MeterProvider
	tracer trace.TracerProvider
	// tracing is false when no exporter is configured: spans are not made.
	tracing  bool
	shutdown []func(context.Context) error

	httpDuration    *prometheus.HistogramVec
	policyDuration  prometheus.Histogram
	licenseDuration prometheus.Histogram
	now             func() time.Time
}

// New sets up metrics and, when cfg names an OTLP endpoint, trace export.
// Call Shutdown before the process exits so buffered spans are sent.
func New(ctx context.Context, cfg config.Telemetry) (*Telemetry, error) {
	exp, err := otlpExporter(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return build(ctx, cfg, exp)
}

func build(ctx context.Context, cfg config.Telemetry, spans spanExporter) (*Telemetry, error) {
	reg := prometheus.NewRegistry()
	t := &Telemetry{registry: reg, now: time.Now}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	t.registerOwnMetrics()

	// Scope and target info labels would repeat the same constants on every
	// Temporal series; the registry belongs to this process alone.
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, fmt.Errorf("bridge OpenTelemetry metrics to Prometheus: %w", err)
	}
	t.meters = sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	t.shutdown = append(t.shutdown, t.meters.Shutdown)

	if err := t.setupTracing(ctx, cfg, spans); err != nil {
		return nil, err
	}
	return t, nil
}

// Handler serves the metrics in the Prometheus text format: the /metrics route.
func (t *Telemetry) Handler() http.Handler {
	return promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{
		// A failing store query leaves its series out of one scrape instead
		// of failing the whole scrape; the error goes to OpenTelemetry's log.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      errorLog{},
		Registry:      t.registry,
	})
}

// Serve serves /metrics on addr in the background until ctx ends: the
// worker's only HTTP listener. It fails at once when addr cannot be bound and
// returns the address bound, which differs from addr when its port is 0.
func (t *Telemetry) Serve(ctx context.Context, addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen for metrics on %s (MODELTENDER_WORKER_METRICS_ADDR): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", t.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			otel.Handle(fmt.Errorf("serve metrics on %s: %w", addr, err))
		}
	}()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	return l.Addr().String(), nil
}

// Shutdown sends the spans still buffered and stops the exporters.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	var errs []error
	for _, f := range t.shutdown {
		errs = append(errs, f(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("shut down telemetry: %w", err)
	}
	return nil
}

// errorLog sends promhttp's errors where OpenTelemetry's go.
type errorLog struct{}

func (errorLog) Println(v ...any) { otel.Handle(errors.New(fmt.Sprint(v...))) }
