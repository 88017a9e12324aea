package telemetry

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

// unmatched stands for the route of requests no route matched, so that
// scanners probing random paths add one series, not one per path.
const unmatched = "unmatched"

// propagator reads the caller's trace from W3C traceparent and baggage headers.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// Middleware opens a server span per request, continuing the caller's trace,
// and records the request's latency and status by route pattern. Register it
// first (e.Use), so a handler's error or panic has become a status by the
// time it is recorded: it hands errors to echo's error handler itself.
func (t *Telemetry) Middleware() echo.MiddlewareFunc {
	if t == nil {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	tracer := t.Tracer()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			route := c.Path()
			if route == "" {
				route = unmatched
			}
			ctx := propagator.Extract(req.Context(), propagation.HeaderCarrier(req.Header))
			ctx, span := tracer.Start(ctx, req.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(semconv.HTTPRequestMethodKey.String(req.Method), semconv.HTTPRoute(route), semconv.URLPath(req.URL.Path)))
			defer span.End()
			c.SetRequest(req.WithContext(ctx))

			start := t.now()
			if err := next(c); err != nil {
				span.RecordError(err)
				c.Error(err)
			}
			status := c.Response().Status
			span.SetAttributes(semconv.HTTPResponseStatusCode(status))
			if status >= http.StatusInternalServerError {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
			t.httpDuration.WithLabelValues(req.Method, route, strconv.Itoa(status)).Observe(t.now().Sub(start).Seconds())
			return nil
		}
	}
}
