//go:build opaserver

// This benchmark starts OPA's own server in the test process, which links
// all of OPA's runtime (plugins, Prometheus, OpenTelemetry): built only with
// -tags opaserver, so the package's ordinary tests do not pay for it.

package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/logging"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/runtime"

	"github.com/modeltender/modeltender/internal/domain"
)

// BenchmarkDecisionVsOPAServer decides one high-impact candidate four ways,
// taking turns within each iteration so that all four see the same load on
// shared cores, and reports each one's time and its ratio to OPA's server:
//   - server: OPA's runtime (`opa run --server`) in this process, serving the
//     bundle as written, asked over loopback HTTP (POST /v1/data/...);
//   - engine: Engine.Decide with its decision cache off;
//   - partial: the decision partially evaluated once against the frozen
//     criteria and as-of date (the solicitation's), then evaluated on the
//     rest of the input;
//   - remembered: Engine.Decide answering from its decision cache.
func BenchmarkDecisionVsOPAServer(b *testing.B) {
	ctx := b.Context()
	bundle, err := LoadBundle()
	if err != nil {
		b.Fatal(err)
	}
	in := completeInput()
	in.Criteria.RiskTier = domain.RiskHighImpact
	in.LicenseNormalization = map[string]string{"Apache 2.0": "Apache-2.0"}
	raw, err := inputJSON(in)
	if err != nil {
		b.Fatal(err)
	}

	engine := newEngine(b)
	engine.decisions = nil
	remembered := newEngine(b)
	want := decideOrFail(b, engine, in)

	url := startOPAServer(b, bundle) + "/v1/data/" + decisionPath()
	client := &http.Client{}
	serverDecide := func() (domain.PolicyDecision, error) {
		resp, err := client.Post(url, "application/json", bytes.NewReader(append(append([]byte(`{"input":`), raw...), '}')))
		if err != nil {
			return domain.PolicyDecision{}, err
		}
		defer resp.Body.Close()
		var body struct {
			Result json.RawMessage `json:"result"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
			return domain.PolicyDecision{}, fmt.Errorf("OPA server: %s, %v", resp.Status, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		return decodeDecision(body.Result)
	}

	partial := partialDecision(b, bundle, in)
	partialDecide := func() (domain.PolicyDecision, error) {
		raw, err := inputJSON(in)
		if err != nil {
			return domain.PolicyDecision{}, err
		}
		value, err := ast.ValueFromReader(bytes.NewReader(raw))
		if err != nil {
			return domain.PolicyDecision{}, err
		}
		rs, err := partial.Eval(ctx, rego.EvalParsedInput(value))
		if err != nil || len(rs) != 1 {
			return domain.PolicyDecision{}, fmt.Errorf("partial: %v, %d results", err, len(rs))
		}
		result, err := json.Marshal(rs[0].Expressions[0].Value)
		if err != nil {
			return domain.PolicyDecision{}, err
		}
		return decodeDecision(result)
	}

	ways := []struct {
		name   string
		decide func() (domain.PolicyDecision, error)
	}{
		{"server", serverDecide},
		{"engine", func() (domain.PolicyDecision, error) { return engine.Decide(ctx, in) }},
		{"partial", partialDecide},
		{"remembered", func() (domain.PolicyDecision, error) { return remembered.Decide(ctx, in) }},
	}
	for _, w := range ways {
		got, err := w.decide()
		if err != nil {
			b.Fatalf("%s: %v", w.name, err)
		}
		got.Revision = want.Revision
		if !reflect.DeepEqual(got, want) {
			b.Fatalf("%s decides\n%+v\nwant\n%+v", w.name, got, want)
		}
	}

	wall := make([]time.Duration, len(ways))
	cpu := make([]time.Duration, len(ways))
	for b.Loop() {
		for i, w := range ways {
			c0, t0 := cpuTime(b), time.Now()
			if _, err := w.decide(); err != nil {
				b.Fatal(err)
			}
			wall[i] += time.Since(t0)
			cpu[i] += cpuTime(b) - c0
		}
	}
	for i, w := range ways {
		b.ReportMetric(float64(wall[i])/float64(b.N), w.name+"-ns/op")
		b.ReportMetric(float64(cpu[i])/float64(b.N), w.name+"-cpu-ns/op")
		if i > 0 {
			b.ReportMetric(float64(wall[0])/float64(wall[i]), "server/"+w.name)
		}
	}
}

func decideOrFail(b *testing.B, e *Engine, in Input) domain.PolicyDecision {
	b.Helper()
	d, err := e.Decide(b.Context(), in)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// decisionPath is decisionQuery as a Data API path.
func decisionPath() string {
	ref := ast.MustParseRef(decisionQuery)
	path := ""
	for _, t := range ref[1:] {
		path += "/" + string(t.Value.(ast.String))
	}
	return path[1:]
}

// startOPAServer serves bundle, written out in OPA's layout, with OPA's
// runtime on a loopback port, and returns its base URL.
func startOPAServer(b *testing.B, bundle *Bundle) string {
	b.Helper()
	dir := b.TempDir()
	if err := bundle.WriteOPABundle(dir); err != nil {
		b.Fatal(err)
	}
	params := runtime.NewParams()
	params.Addrs = &[]string{"127.0.0.1:0"}
	params.Paths = []string{dir}
	params.BundleMode = true
	params.Output = io.Discard
	params.Logger = logging.NewNoOpLogger()
	params.ConsoleLogger = logging.NewNoOpLogger()
	ctx, cancel := context.WithCancel(context.Background())
	rt, err := runtime.NewRuntime(ctx, params)
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- rt.Serve(ctx) }()
	b.Cleanup(func() { cancel(); <-served })
	for range 500 {
		if addrs := rt.Addrs(); len(addrs) > 0 {
			return "http://" + addrs[0]
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatal("OPA server did not start listening within 5 s")
	return ""
}

// partialDecision partially evaluates the decision with the criteria and
// the as-of date known and the candidate (manifest, license findings and
// normalization) unknown, and prepares the residual query.
func partialDecision(b *testing.B, bundle *Bundle, in Input) rego.PreparedEvalQuery {
	b.Helper()
	ctx := b.Context()
	compiler, store, err := compileBundle(ctx, bundle, true)
	if err != nil {
		b.Fatal(err)
	}
	frozen := map[string]any{"criteria": in.Criteria, "as_of": in.AsOf.Format(time.DateOnly)}
	pr, err := rego.New(
		rego.Query(decisionQuery),
		rego.Compiler(compiler),
		rego.Store(store),
		rego.Input(frozen),
		rego.Unknowns([]string{"input.manifest", "input.license_findings", "input.license_normalization"}),
	).PartialResult(ctx)
	if err != nil {
		b.Fatalf("partial evaluation: %v", err)
	}
	q, err := pr.Rego().PrepareForEval(ctx)
	if err != nil {
		b.Fatalf("prepare the residual decision: %v", err)
	}
	return q
}
