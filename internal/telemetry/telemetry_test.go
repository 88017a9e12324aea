package telemetry

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/modeltender/modeltender/internal/config"
	"github.com/modeltender/modeltender/internal/devstack/pgtest"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, func(ctx context.Context, url string) error { return store.Migrate(ctx, url, io.Discard) })
}

var taskCreated = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// seed stores one evaluation waiting at its approval stage and its open task.
func seed(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	agency, err := st.EnsureOrganisation(ctx, "Agency", "agency")
	must(err)
	vendor, err := st.EnsureOrganisation(ctx, "Vendor", "vendor")
	must(err)
	officer, _, err := st.CreateUser(ctx, "officer@agency.test", domain.RoleOfficer, agency.ID)
	must(err)
	seller, _, err := st.CreateUser(ctx, "seller@vendor.test", domain.RoleVendor, vendor.ID)
	must(err)
	at := taskCreated.Add(-time.Hour)
	sol := domain.Solicitation{ID: "sol_1", AgencyOrgID: agency.ID, Title: "t", RiskTier: domain.RiskStandard,
		Deadline: at, Status: domain.SolicitationDraft, CreatedBy: officer.ID, CreatedAt: at}
	must(st.CreateSolicitation(ctx, sol))
	m := domain.Manifest{SchemaVersion: "1", Name: "granite", Weights: domain.Weights{License: "Apache-2.0"}}
	must(st.InsertBid(ctx, domain.Bid{ID: "bid_1", SolicitationID: sol.ID, VendorOrgID: vendor.ID, SubmittedBy: seller.ID, SubmittedAt: at,
		Candidates: []domain.Candidate{{ID: "cnd_1", BidID: "bid_1", Name: m.Name, Manifest: m, ManifestHash: "sha256:x"}}}))
	must(st.StartEvaluation(ctx, "cnd_1", "bid_1", sol.ID, "evaluation/bid_1/cnd_1", "rev", at))
	for i, stage := range []domain.Stage{domain.StageIntake, domain.StageLicense, domain.StagePolicy, domain.StageApproval} {
		status := domain.StagePassed
		if stage == domain.StageApproval {
			status = domain.StageWaiting
		}
		must(st.RecordStage(ctx, domain.StageUpdate{CandidateID: "cnd_1", Stage: stage, Status: status, At: at.Add(time.Duration(i) * time.Minute)}))
	}
	must(st.CreateTask(ctx, domain.Task{ID: "tsk_1", Kind: domain.TaskComplianceApproval, Status: domain.TaskOpen,
		SolicitationID: sol.ID, BidID: "bid_1", CandidateID: "cnd_1", VendorOrgID: vendor.ID, WorkflowID: "evaluation/bid_1/cnd_1",
		Title: "Approve granite", FindingsHash: domain.HashFindings(nil), Approvals: 1, CreatedAt: taskCreated}))
}

func TestMetricsScrapedFromARealServer(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	seed(t, st)

	tel, err := build(ctx, config.Telemetry{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(ctx) })
	tel.now = func() time.Time { return taskCreated.Add(90 * time.Second) }
	if err := tel.RegisterStore(st); err != nil {
		t.Fatal(err)
	}

	e := echo.New()
	e.Use(tel.Middleware())
	e.GET("/solicitations/:id", func(c echo.Context) error { return c.String(http.StatusOK, c.Param("id")) })
	e.GET("/broken", func(echo.Context) error { return echo.NewHTTPError(http.StatusServiceUnavailable, "down") })
	e.GET("/metrics", echo.WrapHandler(tel.Handler()))
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)

	for _, path := range []string{"/solicitations/sol_a", "/solicitations/sol_b", "/broken", "/no/such/page"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	tel.ObservePolicyDecision(2 * time.Millisecond)
	tel.ObserveLicenseReview(300 * time.Microsecond)
	tel.TemporalMetrics().WithTags(map[string]string{"namespace": "default"}).Counter("temporal_request").Inc(3)

	families := scrape(t, srv.URL+"/metrics")
	for _, tc := range []struct {
		family string
		labels map[string]string
		want   float64 // count for histograms, value otherwise
	}{
		{"modeltender_http_request_duration_seconds", map[string]string{"method": "GET", "route": "/solicitations/:id", "code": "200"}, 2},
		{"modeltender_http_request_duration_seconds", map[string]string{"method": "GET", "route": "/broken", "code": "503"}, 1},
		{"modeltender_http_request_duration_seconds", map[string]string{"method": "GET", "route": "unmatched", "code": "404"}, 1},
		{"modeltender_evaluations", map[string]string{"stage": "approval", "outcome": "undecided"}, 1},
		{"modeltender_open_tasks", map[string]string{"kind": "compliance-approval"}, 1},
		{"modeltender_open_task_oldest_age_seconds", map[string]string{"kind": "compliance-approval"}, 90},
		{"modeltender_policy_decision_duration_seconds", nil, 1},
		{"modeltender_license_review_duration_seconds", nil, 1},
		{"temporal_request_total", map[string]string{"namespace": "default"}, 3},
	} {
		got, ok := value(families[tc.family], tc.labels)
		if !ok || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s%v = %v (found %v), want %v", tc.family, tc.labels, got, ok, tc.want)
		}
	}
	for _, m := range families["modeltender_http_request_duration_seconds"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" && strings.Contains(l.GetValue(), "sol_") {
				t.Errorf("a raw path became a route label: %s", l.GetValue())
			}
		}
	}
	for _, name := range []string{"go_goroutines", "go_gc_duration_seconds", "process_resident_memory_bytes"} {
		if families[name] == nil {
			t.Errorf("runtime series %s is missing", name)
		}
	}
}

// A panicking handler is still answered and counted when a recover
// middleware sits inside this one, as web.NewServer registers them.
func TestMiddlewareCountsRecoveredPanics(t *testing.T) {
	tel, err := build(context.Background(), config.Telemetry{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.Use(tel.Middleware())
	e.Use(recoverAsError)
	e.GET("/panics", func(echo.Context) error { panic("boom") })
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/panics", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d", rec.Code)
	}
	fams, err := tel.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "modeltender_http_request_duration_seconds" {
			if n, ok := value(f, map[string]string{"route": "/panics", "code": "500"}); ok && n == 1 {
				return
			}
		}
	}
	t.Error("the recovered panic was not counted as a 500 on /panics")
}

func recoverAsError(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = echo.NewHTTPError(http.StatusInternalServerError, "panic")
			}
		}()
		return next(c)
	}
}

func TestTraces(t *testing.T) {
	ctx := context.Background()
	exp := tracetest.NewInMemoryExporter()
	tel, err := build(ctx, config.Telemetry{ServiceName: "modeltender-test"}, exp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(ctx) })
	cfg, err := pgxpool.ParseConfig(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = tel.PgxTracer()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)

	var logs bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&logs, nil)))
	e := echo.New()
	e.Use(tel.Middleware())
	e.GET("/solicitations/:id", func(c echo.Context) error {
		var n int
		if err := pool.QueryRow(c.Request().Context(), "SELECT count(*) FROM solicitations").Scan(&n); err != nil {
			return err
		}
		log.InfoContext(c.Request().Context(), "counted", "n", n)
		return c.NoContent(http.StatusNoContent)
	})
	req := httptest.NewRequest(http.MethodGet, "/solicitations/sol_1", nil)
	// The caller's trace continues: its trace id and span as the parent.
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	// Flush the batcher into exp (Shutdown would also clear exp).
	if err := tel.tracer.(*sdktrace.TracerProvider).ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}

	spans := exp.GetSpans()
	var server, query *tracetest.SpanStub
	for i := range spans {
		if spans[i].SpanKind == trace.SpanKindServer {
			server = &spans[i]
		}
	}
	if server == nil {
		t.Fatalf("no server span among %d spans", len(spans))
	}
	if server.Name != "GET /solicitations/:id" || server.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" ||
		server.Parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("server span %q trace %s parent %s", server.Name, server.SpanContext.TraceID(), server.Parent.SpanID())
	}
	for i := range spans {
		if spans[i].Parent.SpanID() == server.SpanContext.SpanID() {
			query = &spans[i]
		}
	}
	if query == nil {
		t.Fatalf("no child span of the server span among %+v", spans)
	}
	if !strings.Contains(logs.String(), `"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"`) ||
		!strings.Contains(logs.String(), `"span_id":"`+server.SpanContext.SpanID().String()+`"`) {
		t.Errorf("the log record does not name its trace and span: %s", logs.String())
	}
	if ints, err := tel.TemporalInterceptors(); err != nil || len(ints) != 1 {
		t.Errorf("TemporalInterceptors with tracing on = %v, %v", ints, err)
	}
}

// Without an OTLP endpoint nothing is traced and nothing is exported.
func TestNoEndpointNoTracing(t *testing.T) {
	tel, err := New(context.Background(), config.Telemetry{OTLPProtocol: "http/protobuf"})
	if err != nil {
		t.Fatal(err)
	}
	_, span := tel.Tracer().Start(context.Background(), "x")
	if span.SpanContext().IsValid() || span.IsRecording() {
		t.Error("a span is recorded without an exporter")
	}
	if ints, err := tel.TemporalInterceptors(); err != nil || ints != nil {
		t.Errorf("TemporalInterceptors without tracing = %v, %v", ints, err)
	}
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", res.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// value finds the series of f whose labels include want and returns its
// value, or its sample count for a histogram.
func value(f *dto.MetricFamily, want map[string]string) (float64, bool) {
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && have[k] == v
		}
		if !match {
			continue
		}
		switch {
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		}
	}
	return 0, false
}
