package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/evaluate"
	"github.com/modeltender/modeltender/policies"
	"github.com/open-policy-agent/opa/v1/rego"
)

func TestPolicyExportWritesTheStoredRevision(t *testing.T) {
	ctx := context.Background()
	b, err := policies.LoadBundle()
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]map[string][]byte{b.Revision(): b.Files()}
	load := func(_ context.Context, revision string) (map[string][]byte, error) {
		if files, ok := stored[revision]; ok {
			return files, nil
		}
		return nil, errors.New("not stored")
	}
	dir := filepath.Join(t.TempDir(), "frozen")
	var out bytes.Buffer
	if err := exportBundle(ctx, load, b.Revision(), dir, false, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "note:") {
		t.Errorf("output %q: the embedded bundle exported reads back as another revision", out.String())
	}
	// The directory, served as a policy directory, is the same revision.
	out.Reset()
	getenv := func(string) string { return "" }
	if err := runPolicy(ctx, []string{"revision", "--policy-dir", dir}, getenv, &out, &out); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out.String()); got != b.Revision() {
		t.Errorf("policy revision of the export = %q, want %s", got, b.Revision())
	}

	if err := exportBundle(ctx, load, b.Revision(), dir, false, &out); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("export into a non-empty directory = %v, want it refused", err)
	}
	tampered := b.Files()
	tampered["safety.rego"] = append(bytes.Clone(tampered["safety.rego"]), '\n')
	stored[b.Revision()] = tampered
	if err := exportBundle(ctx, load, b.Revision(), t.TempDir(), false, &out); err == nil || !strings.Contains(err.Error(), "hashes to") {
		t.Errorf("export of a tampered bundle = %v, want it refused", err)
	}
	if err := exportBundle(ctx, load, "sha256:00", t.TempDir(), false, &out); err == nil {
		t.Error("export of a revision never stored succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "licenses", "mit.txt")); err != nil {
		t.Errorf("license texts not exported: %v", err)
	}
}

// An auditor re-runs a decision with OPA alone: the revision exported in
// OPA's layout and the input evaluate --policy-input prints give OPA's
// evaluator the decision evaluate prints, for each example manifest.
func TestOPAReRunsEvaluateDecisions(t *testing.T) {
	ctx := context.Background()
	b, err := policies.LoadBundle()
	if err != nil {
		t.Fatal(err)
	}
	load := func(context.Context, string) (map[string][]byte, error) { return b.Files(), nil }
	dir := filepath.Join(t.TempDir(), "opa")
	var out bytes.Buffer
	if err := exportBundle(ctx, load, b.Revision(), dir, true, &out); err != nil {
		t.Fatal(err)
	}
	query, err := rego.New(rego.Query("data.modeltender.evaluation.decision"), rego.LoadBundle(dir)).PrepareForEval(ctx)
	if err != nil {
		t.Fatalf("OPA reads the export: %v", err)
	}
	sol := filepath.Join(t.TempDir(), "solicitation.json")
	if err := os.WriteFile(sol, []byte(`{"risk_tier": "high-impact", "expected_monthly_users": 25000, "minimum_openness_class": "III", "deadline": "2026-09-01"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	getenv := func(string) string { return "" }
	for _, m := range []string{"granite-3.1-8b-instruct.json", "llama-3.1-8b-instruct.json"} {
		file := filepath.Join("..", "..", "examples", "manifests", m)
		var decided, input bytes.Buffer
		if err := evaluate.Run(ctx, []string{"--solicitation", sol, file}, getenv, &decided, os.Stderr); err != nil {
			t.Fatal(err)
		}
		if err := evaluate.Run(ctx, []string{"--solicitation", sol, "--policy-input", file}, getenv, &input, os.Stderr); err != nil {
			t.Fatal(err)
		}
		// evaluate prints the decision's fields beside its own; its outcome
		// is the check's, which for these manifests is the policies'.
		var want domain.PolicyDecision
		if err := json.Unmarshal(decided.Bytes(), &want); err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(input.Bytes(), &doc); err != nil {
			t.Fatalf("%s: --policy-input printed no JSON document: %v", m, err)
		}
		rs, err := query.Eval(ctx, rego.EvalInput(doc))
		if err != nil || len(rs) != 1 {
			t.Fatalf("%s: OPA: %v (%d results)", m, err, len(rs))
		}
		raw, err := json.Marshal(rs[0].Expressions[0].Value)
		if err != nil {
			t.Fatal(err)
		}
		var got domain.PolicyDecision
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		got.Revision = want.Revision // stamped by the engine, not decided
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: OPA decided %s, evaluate %s", m, raw, decided.Bytes())
		}
		if got.Outcome == "" || len(got.Info) == 0 {
			t.Errorf("%s: an empty decision proves nothing: %s", m, raw)
		}
	}
}
