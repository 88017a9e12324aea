package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/modeltender/modeltender/internal/domain"
)

var asOf = time.Date(2026, 5, 1, 17, 0, 0, 0, time.UTC)

func newEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := NewEngine(context.Background())
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	return e
}

func ptr[T any](v T) *T { return &v }

// completeInput is a standard-tier candidate that meets every rule.
func completeInput() Input {
	var evidence []domain.EvidenceItem
	for _, kind := range domain.EvidenceKinds {
		evidence = append(evidence, domain.EvidenceItem{
			Kind:     kind,
			Title:    kind,
			Location: "https://example.org/evidence/" + kind,
			Date:     "2026-01-15",
		})
	}
	packs, err := Packs()
	if err != nil {
		panic(err)
	}
	var attestations []domain.Attestation
	for _, p := range packs {
		for _, a := range p.Attestations {
			if !slices.ContainsFunc(attestations, func(b domain.Attestation) bool { return b.Term == a.Term }) {
				attestations = append(attestations, domain.Attestation{Term: a.Term, Answer: domain.AnswerYes, Document: "Volume II, " + a.Term})
			}
		}
	}
	return Input{
		Criteria: domain.Criteria{SolicitationID: "sol-1", RiskTier: domain.RiskStandard, ExpectedMonthlyUsers: 50_000},
		Manifest: domain.Manifest{
			SchemaVersion: "1",
			Name:          "Example 8B",
			Weights:       domain.Weights{License: "Apache-2.0", Location: "https://example.org/weights"},
			Components: []domain.Component{
				{Name: "Training code", License: "Apache-2.0", Included: true},
				{Name: "Inference code", License: "MIT", Included: true},
				{Name: "Model card", License: "CC-BY-4.0", Included: true},
			},
			Evidence:     evidence,
			Deployment:   domain.Deployment{OnPremises: true, WeightsExportable: true},
			DataUse:      domain.DataUse{TrainsOnAgencyData: ptr(false)},
			Attestations: attestations,
		},
		AsOf: asOf,
	}
}

func withoutAttestation(in Input, term string) Input {
	in.Manifest.Attestations = slices.DeleteFunc(slices.Clone(in.Manifest.Attestations), func(a domain.Attestation) bool {
		return a.Term == term
	})
	return in
}

func withoutEvidence(in Input, kind string) Input {
	in.Manifest.Evidence = slices.DeleteFunc(slices.Clone(in.Manifest.Evidence), func(e domain.EvidenceItem) bool {
		return e.Kind == kind
	})
	return in
}

func decide(t *testing.T, e *Engine, in Input) domain.PolicyDecision {
	t.Helper()
	d, err := e.Decide(context.Background(), in)
	if err != nil {
		t.Fatalf("Decide: %v", err)
	}
	return d
}

func findRule(findings []domain.Finding, rule string) (domain.Finding, bool) {
	for _, f := range findings {
		if f.Rule == rule {
			return f, true
		}
	}
	return domain.Finding{}, false
}

func TestDecideCompleteStandardQualifies(t *testing.T) {
	e := newEngine(t)
	d := decide(t, e, completeInput())
	if len(d.Deny) != 0 || len(d.Warn) != 0 {
		t.Fatalf("deny = %+v, warn = %+v; want none", d.Deny, d.Warn)
	}
	if d.ApprovalsRequired != 1 {
		t.Errorf("approvals_required = %d, want 1", d.ApprovalsRequired)
	}
	// Weights and 3 open components reach no MOF class, so no preference points.
	if d.Score != 0 || d.Openness.Class != nil || d.Outcome != domain.OutcomeQualified {
		t.Errorf("score = %v, class = %v, outcome = %s; want 0, unclassified, qualified", d.Score, d.Openness.Class, d.Outcome)
	}
	if d.Revision != e.Revision() {
		t.Errorf("revision = %q, want %q", d.Revision, e.Revision())
	}
	if _, ok := findRule(d.Info, "openness.class"); !ok {
		t.Errorf("info = %+v, want the openness summary", d.Info)
	}
}

func TestDecideMissingRedTeamDenied(t *testing.T) {
	d := decide(t, newEngine(t), withoutEvidence(completeInput(), "red-team-report"))
	if len(d.Deny) != 1 {
		t.Fatalf("deny = %+v, want one finding", d.Deny)
	}
	f := d.Deny[0]
	if f.Rule != "safety.evidence-missing" || f.Evidence.Component != "red-team-report" ||
		!strings.Contains(f.Message, "red-team-report") || f.Source != "NIST AI RMF MEASURE 2.7" || f.Fix == "" {
		t.Errorf("finding = %+v, want a missing red-team-report with source and fix", f)
	}
}

func TestDecideExpiredRedTeamDenied(t *testing.T) {
	in := completeInput()
	for i := range in.Manifest.Evidence {
		if in.Manifest.Evidence[i].Kind == "red-team-report" {
			in.Manifest.Evidence[i].Date = "2025-03-31"
		}
	}
	d := decide(t, newEngine(t), in)
	f, ok := findRule(d.Deny, "safety.evidence-expired")
	if !ok || !strings.Contains(f.Message, "expired") || !strings.Contains(f.Message, "2025-03-31") {
		t.Fatalf("deny = %+v, want an expired red-team-report naming its date", d.Deny)
	}
}

func TestDecideHighImpact(t *testing.T) {
	e := newEngine(t)
	in := completeInput()
	in.Criteria.RiskTier = domain.RiskHighImpact
	if d := decide(t, e, in); d.ApprovalsRequired != 2 || len(d.Deny) != 0 {
		t.Fatalf("complete high-impact: approvals = %d, deny = %+v; want 2 and none", d.ApprovalsRequired, d.Deny)
	}

	standardOnly := completeInput()
	standardOnly.Criteria.RiskTier = domain.RiskHighImpact
	standardOnly.Manifest.Evidence = slices.DeleteFunc(standardOnly.Manifest.Evidence, func(e domain.EvidenceItem) bool {
		return !slices.Contains([]string{"model-card", "evaluation-results", "red-team-report", "content-filtering",
			"incident-response", "data-card", "nist-ai-rmf-mapping"}, e.Kind)
	})
	d := decide(t, e, standardOnly)
	var missing []string
	for _, f := range d.Deny {
		missing = append(missing, f.Evidence.Component)
	}
	slices.Sort(missing)
	want := []string{"genai-risk-coverage", "human-oversight-plan", "impact-assessment", "monitoring-plan",
		"pre-deployment-testing", "remedies-and-appeals", "third-party-red-team"}
	if !slices.Equal(missing, want) {
		t.Errorf("missing = %q, want %q", missing, want)
	}
}

func TestDecideProcurement(t *testing.T) {
	e := newEngine(t)

	trains := completeInput()
	trains.Manifest.DataUse.TrainsOnAgencyData = ptr(true)
	if _, ok := findRule(decide(t, e, trains).Deny, "procurement.trains-on-agency-data"); !ok {
		t.Error("training on agency data: want deny procurement.trains-on-agency-data")
	}

	silent := withoutAttestation(completeInput(), "no-training-on-government-data")
	silent.Manifest.DataUse.TrainsOnAgencyData = nil
	if d := decide(t, e, silent); len(d.Deny) != 0 || len(d.Warn) != 2 || d.Warn[0].Rule != "packs.attestation-missing" || d.Warn[1].Rule != "procurement.data-use-undeclared" {
		t.Errorf("undeclared data use: deny = %+v, warn = %+v; want the unattested term and the undeclared data use", d.Deny, d.Warn)
	}

	hosted := withoutAttestation(completeInput(), "vendor-lock-in-protections")
	hosted.Manifest.Deployment = domain.Deployment{}
	if _, ok := findRule(decide(t, e, hosted).Warn, "procurement.vendor-lock-in"); !ok {
		t.Error("hosted-only weights: want warn procurement.vendor-lock-in")
	}

	licensed := completeInput()
	licensed.LicenseFindings = []domain.Finding{
		{Rule: "license.missing", Severity: domain.SeverityDeny, Message: "no weights license", Source: "SPDX"},
		{Rule: "license.needs-review", Severity: domain.SeverityWarn, Message: "custom license", Source: "SPDX"},
	}
	d := decide(t, e, licensed)
	if len(d.Deny) != 1 || d.Deny[0] != licensed.LicenseFindings[0] {
		t.Errorf("deny = %+v, want the license deny carried over unchanged", d.Deny)
	}
}

func TestDecideOrderIsStable(t *testing.T) {
	in := completeInput()
	in.Manifest.Evidence = nil
	in.Manifest.DataUse.TrainsOnAgencyData = ptr(true)
	d := decide(t, newEngine(t), in)
	if !slices.IsSortedFunc(d.Deny, func(a, b domain.Finding) int {
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	}) {
		t.Errorf("deny not sorted by rule then message: %+v", d.Deny)
	}
	if len(d.Deny) != 8 {
		t.Errorf("got %d deny findings, want 7 missing evidence + 1 data use", len(d.Deny))
	}
}

func TestDecideFailsClosed(t *testing.T) {
	e := newEngine(t)
	for name, in := range map[string]Input{
		"unknown risk tier": func() Input { in := completeInput(); in.Criteria.RiskTier = "low"; return in }(),
		"no as_of":          func() Input { in := completeInput(); in.AsOf = time.Time{}; return in }(),
	} {
		t.Run(name, func(t *testing.T) {
			d, err := e.Decide(context.Background(), in)
			if err == nil {
				t.Fatal("Decide returned no error")
			}
			if d.Outcome != domain.OutcomeNeedsReview || len(d.Warn) != 1 || d.Warn[0].Rule != EvaluationErrorRule || d.ApprovalsRequired < 1 || d.Revision != e.Revision() {
				t.Errorf("decision = %+v, want one %s warn and a revision", d, EvaluationErrorRule)
			}
		})
	}
}

func TestDecodeDecisionRejectsUnexpectedShapes(t *testing.T) {
	finding := map[string]any{"rule": "r", "severity": "deny", "message": "m", "evidence": map[string]any{}, "source": "s"}
	valid := func() map[string]any {
		return map[string]any{"outcome": "disqualified", "deny": []any{finding}, "warn": []any{}, "info": []any{},
			"openness": map[string]any{"class": nil}, "score": 10, "approvals_required": 1, "packs": []any{}}
	}
	decode := func(m map[string]any) (domain.PolicyDecision, error) {
		raw, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return decodeDecision(raw)
	}
	if _, err := decode(valid()); err != nil {
		t.Fatalf("valid decision rejected: %v", err)
	}
	for name, mutate := range map[string]func(map[string]any){
		"empty object":             func(m map[string]any) { clear(m) },
		"missing warn":             func(m map[string]any) { delete(m, "warn") },
		"extra field":              func(m map[string]any) { m["pass"] = true },
		"score is text":            func(m map[string]any) { m["score"] = "high" },
		"zero approvals":           func(m map[string]any) { m["approvals_required"] = 0 },
		"severity mismatch":        func(m map[string]any) { m["warn"] = []any{finding} },
		"qualified despite a deny": func(m map[string]any) { m["outcome"] = "qualified" },
		"missing openness":         func(m map[string]any) { delete(m, "openness") },
		"missing packs":            func(m map[string]any) { delete(m, "packs") },
		"pack with extra field": func(m map[string]any) {
			m["packs"] = []any{map[string]any{"id": "omb-m-25-22", "passed": true}}
		},
		"finding extra field": func(m map[string]any) {
			m["info"] = []any{map[string]any{"rule": "r", "severity": "info", "message": "m", "note": "x"}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			m := valid()
			mutate(m)
			if _, err := decode(m); err == nil {
				t.Errorf("decision %v accepted", m)
			}
		})
	}
}

func TestRevisionIsReproducible(t *testing.T) {
	a, b := newEngine(t), newEngine(t)
	if a.Revision() != b.Revision() {
		t.Fatalf("revisions differ: %s, %s", a.Revision(), b.Revision())
	}
	if !strings.HasPrefix(a.Revision(), "sha256:") || len(a.Revision()) != len("sha256:")+64 {
		t.Errorf("revision = %q, want sha256:<64 hex>", a.Revision())
	}
	bundle, err := LoadBundle()
	if err != nil {
		t.Fatal(err)
	}
	if bundle.Revision() != a.Revision() {
		t.Errorf("bundle revision %s, engine revision %s", bundle.Revision(), a.Revision())
	}
	for p := range bundle.Files() {
		if !isBundleFile(p) {
			t.Errorf("the bundle holds %s, which decides nothing", p)
		}
	}
	// Each kind of file counts: a policy, a data file, a license text.
	for _, p := range []string{"safety.rego", "data/openness_defaults.json", "data/licenses/mit.txt"} {
		files := bundle.Files()
		if files[p] == nil {
			t.Fatalf("the embedded bundle lacks %s", p)
		}
		files[p] = append(slices.Clone(files[p]), '\n')
		if revision(files) == a.Revision() {
			t.Errorf("revision did not change when %s changed", p)
		}
	}
}

func TestAllow(t *testing.T) {
	e := newEngine(t)
	tests := []struct {
		role   domain.Role
		action string
		want   bool
	}{
		{domain.RoleOfficer, "solicitation:create", true},
		{domain.RoleOfficer, "solicitation:publish", true},
		{domain.RoleOfficer, "bid:submit", false},
		{domain.RoleOfficer, "task:decide", false},
		{domain.RoleVendor, "bid:submit", true},
		{domain.RoleVendor, "question:ask", true},
		{domain.RoleVendor, "solicitation:publish", false},
		{domain.RoleVendor, "protest:decide", false},
		{domain.RoleReviewer, "conflict:declare", true},
		{domain.RoleReviewer, "task:decide", true},
		{domain.RoleReviewer, "user:create", false},
		{domain.RoleAuditor, "task:decide", false},
		{domain.RoleAuditor, "bid:submit", false},
		{domain.RoleAdmin, "user:create", true},
		{domain.RoleAdmin, "bid:submit", false},
		{"intruder", "bid:submit", false},
		{domain.RoleOfficer, "", false},
	}
	for _, tt := range tests {
		got, err := e.Allow(context.Background(), tt.role, tt.action)
		if err != nil {
			t.Errorf("Allow(%s, %s): %v", tt.role, tt.action, err)
		}
		if got != tt.want {
			t.Errorf("Allow(%s, %s) = %v, want %v", tt.role, tt.action, got, tt.want)
		}
	}
}

func TestPermissionsCoverKnownRolesOnly(t *testing.T) {
	var perms struct {
		Roles map[domain.Role][]string `json:"roles"`
	}
	readJSON(t, "permissions.json", &perms)
	for role, actions := range perms.Roles {
		if !role.Valid() {
			t.Errorf("permissions.json grants actions to unknown role %q", role)
		}
		// What a role reads is internal/visibility's table, the one place
		// that knows the sealed-bid rules; a read action here would be a second.
		for _, a := range actions {
			if strings.HasSuffix(a, ":read") || strings.HasSuffix(a, ":list") {
				t.Errorf("permissions.json grants %s the read action %q: reads belong in internal/visibility", role, a)
			}
		}
	}
}

func TestDataMatchesDomain(t *testing.T) {
	var reqs struct {
		Requirements []struct {
			Kind  string            `json:"kind"`
			Tiers []domain.RiskTier `json:"tiers"`
		} `json:"requirements"`
	}
	readJSON(t, "evidence_requirements.json", &reqs)
	packs, err := Packs()
	if err != nil {
		t.Fatal(err)
	}
	// Every kind the baseline or a pack asks for, or accepts instead.
	kinds := map[string]bool{}
	checkTiers := func(what string, tiers []domain.RiskTier) {
		for _, tier := range tiers {
			if tier != domain.RiskStandard && tier != domain.RiskHighImpact {
				t.Errorf("%s names unknown tier %q", what, tier)
			}
		}
	}
	for _, r := range reqs.Requirements {
		kinds[r.Kind] = true
		checkTiers("requirement "+r.Kind, r.Tiers)
	}
	for _, p := range packs {
		checkTiers("pack "+p.ID, p.DefaultFor.Tiers)
		for _, e := range p.Evidence {
			kinds[e.Kind] = true
			for _, k := range e.Accepts {
				kinds[k] = true
			}
			checkTiers(p.ID+" evidence "+e.Kind, e.Tiers)
		}
		for _, a := range p.Attestations {
			checkTiers(p.ID+" attestation "+a.Term, a.Tiers)
		}
	}
	got, wantKinds := slices.Sorted(maps.Keys(kinds)), slices.Sorted(slices.Values(domain.EvidenceKinds))
	if !slices.Equal(got, wantKinds) {
		t.Errorf("evidence kinds the policy data asks for = %q, want domain.EvidenceKinds %q", got, wantKinds)
	}

	var mof struct {
		Components []struct {
			Name string `json:"name"`
		} `json:"components"`
	}
	readJSON(t, "mof_components.json", &mof)
	var names []string
	for _, c := range mof.Components {
		names = append(names, c.Name)
	}
	want := slices.Clone(domain.MOFComponents)
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("mof_components.json names = %q, want domain.MOFComponents %q", names, want)
	}
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := fs.ReadFile(Data(), name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
}

// TestRego runs the Rego unit tests (*_test.rego) against the embedded
// policies and data.
func TestRego(t *testing.T) {
	results, err := Test(context.Background(), Embedded())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Problem != "" {
			t.Errorf("%s: %s", r.Name, r.Problem)
		}
	}
	if len(results) == 0 {
		t.Fatal("no Rego tests ran")
	}
	t.Logf("%d Rego tests", len(results))
}

// TestTablesDecideAsWritten compares the engine, which computes the tables
// package once, with the bundle evaluated as written, on candidates that
// take every path through the openness and safety rules.
func TestTablesDecideAsWritten(t *testing.T) {
	ctx := context.Background()
	b, err := LoadBundle()
	if err != nil {
		t.Fatal(err)
	}
	modules, store, err := compileInput(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	compiler, err := compile(modules)
	if err != nil {
		t.Fatal(err)
	}
	asWritten, err := rego.New(rego.Query(decisionQuery), rego.Compiler(compiler), rego.Store(store)).PrepareForEval(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t)

	var inputs []Input
	for _, tier := range []domain.RiskTier{domain.RiskStandard, domain.RiskHighImpact} {
		for _, listing := range [][]string{nil, domain.MOFComponents, domain.MOFComponents[:9], {"Research paper", "Model card"}} {
			for _, license := range []string{"MIT", "Apache 2.0", "LicenseRef-Llama-3.1", ""} {
				in := completeInput()
				in.Criteria.RiskTier = tier
				in.Criteria.MinimumOpennessClass = "II"
				in.LicenseNormalization = map[string]string{"Apache 2.0": "Apache-2.0"}
				// Some evidence missing, one item without a location, the red-team report expired.
				in.Manifest.Evidence = in.Manifest.Evidence[len(listing)%3:]
				in.Manifest.Evidence[0].Location = ""
				for i := range in.Manifest.Evidence {
					if in.Manifest.Evidence[i].Kind == "red-team-report" {
						in.Manifest.Evidence[i].Date = "2024-01-01"
					}
				}
				in.Manifest.Components = nil
				for _, name := range listing {
					in.Manifest.Components = append(in.Manifest.Components, domain.Component{Name: name, License: license, Included: true})
				}
				inputs = append(inputs, in)
			}
		}
	}
	for i, in := range inputs {
		got := decide(t, e, in)
		raw, err := inputJSON(in)
		if err != nil {
			t.Fatal(err)
		}
		value, err := ast.ValueFromReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		rs, err := asWritten.Eval(ctx, rego.EvalParsedInput(value))
		if err != nil || len(rs) != 1 {
			t.Fatalf("input %d as written: %v, %d results", i, err, len(rs))
		}
		result, err := json.Marshal(rs[0].Expressions[0].Value)
		if err != nil {
			t.Fatal(err)
		}
		want, err := decodeDecision(result)
		if err != nil {
			t.Fatal(err)
		}
		want.Revision = got.Revision
		if !reflect.DeepEqual(got, want) {
			t.Errorf("input %d: engine decided\n%+v\nthe bundle as written decides\n%+v", i, got, want)
		}
	}
}

// TestRegoFormatted keeps the policies `opa fmt` clean.
func TestRegoFormatted(t *testing.T) {
	unformatted, err := CheckFormat(Embedded())
	if err != nil {
		t.Fatal(err)
	}
	for p, formatted := range unformatted {
		t.Errorf("%s is not formatted; run `modeltender policy fmt --check` or write the formatter's output:\n%s", p, formatted)
	}
}

func BenchmarkDecide(b *testing.B) {
	e := newEngine(b)
	in := completeInput()
	in.Criteria.RiskTier = domain.RiskHighImpact
	// Each iteration decides anew: with the cache, it would decide once.
	e.decisions = nil
	ctx := context.Background()
	loopWithCPU(b, func() error { _, err := e.Decide(ctx, in); return err })
}
