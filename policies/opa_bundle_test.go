package policies

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/modeltender/modeltender/internal/domain"
)

// A decision can be re-run without modeltender: the bundle written in OPA's
// layout, given the input document the engine decides on, makes OPA's own
// evaluator reach the decision the engine reaches, finding for finding;
// so does the one-shot engine of `modeltender evaluate` (OneShot).
func TestOPAReachesTheEngineDecision(t *testing.T) {
	ctx := context.Background()
	b, err := LoadBundle()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := b.WriteOPABundle(dir); err != nil {
		t.Fatal(err)
	}
	highImpact := completeInput()
	highImpact.Criteria.RiskTier = domain.RiskHighImpact
	unlicensed := withoutEvidence(completeInput(), "red-team")
	unlicensed.Manifest.Weights.License = "CC-BY-NC-4.0"
	normalized := completeInput()
	normalized.Manifest.Components[0].License = "Apache License 2.0"
	normalized.LicenseNormalization = map[string]string{"Apache License 2.0": "Apache-2.0"}
	inputs := map[string]Input{
		"complete standard": completeInput(), "high impact": highImpact,
		"non-commercial weights, no red-team": unlicensed, "normalized license name": normalized,
		"an attestation missing": withoutAttestation(completeInput(), completeInput().Manifest.Attestations[0].Term),
	}
	engine := newEngine(t)
	oneShot, err := NewEngine(ctx, OneShot())
	if err != nil {
		t.Fatal(err)
	}
	query, err := rego.New(rego.Query(decisionQuery), rego.LoadBundle(dir)).PrepareForEval(ctx)
	if err != nil {
		t.Fatalf("OPA reads the bundle written in its layout: %v", err)
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			want := decide(t, engine, in)
			// The one-shot engine, its tables left unfolded, decides the same.
			if got := decide(t, oneShot, in); !reflect.DeepEqual(got, want) {
				t.Fatalf("the one-shot engine decided\n%+v\nthe engine\n%+v", got, want)
			}
			doc, err := InputDocument(in)
			if err != nil {
				t.Fatal(err)
			}
			var input any
			if err := json.Unmarshal(doc, &input); err != nil {
				t.Fatal(err)
			}
			rs, err := query.Eval(ctx, rego.EvalInput(input))
			if err != nil || len(rs) != 1 {
				t.Fatalf("OPA: %v (%d results)", err, len(rs))
			}
			raw, err := json.Marshal(rs[0].Expressions[0].Value)
			if err != nil {
				t.Fatal(err)
			}
			var got domain.PolicyDecision
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			// The engine stamps the decision with its bundle's revision;
			// the policies themselves do not know it.
			got.Revision = engine.Revision()
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("OPA decided\n%+v\nthe engine\n%+v", got, want)
			}
		})
	}
}
