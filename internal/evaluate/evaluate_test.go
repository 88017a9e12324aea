package evaluate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/artifact"
	"github.com/modeltender/modeltender/internal/domain"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr)
	return stdout.String(), err
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Exit status 0: evaluate decided, whatever the outcome.
func TestRunDecides(t *testing.T) {
	mof := "../../policies/testdata/mot/models/Polyglot-Ko.yml"
	native := "../../examples/manifests/llama-3.1-8b-instruct.json"
	out, err := run(t, mof, native, "--format", "auto")
	if err != nil {
		t.Fatalf("Run = %v, want a decision", err)
	}
	var got []Evaluation
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 2 {
		t.Fatalf("want a JSON array of two decisions: %v\n%s", err, out)
	}
	if got[0].Format != "mof" || got[0].Openness.Class == nil || *got[0].Openness.Class != "II" || got[0].Openness.Progress["I"] < 92 {
		t.Errorf("%s: format %s, openness %+v; want Class II as the Model Openness Tool", got[0].File, got[0].Format, got[0].Openness)
	}
	if len(got[0].Unmapped) == 0 || got[0].Outcome == "" || got[0].Revision == "" {
		t.Errorf("%s: unmapped %v, outcome %q, revision %q", got[0].File, got[0].Unmapped, got[0].Outcome, got[0].Revision)
	}
	if got[1].Format != "manifest" || got[1].Outcome == "" {
		t.Errorf("%s: format %s, outcome %q", got[1].File, got[1].Format, got[1].Outcome)
	}

	// The solicitation's declared use is weighed against the license's
	// acceptable use policy: Llama's bans military use outright.
	military := writeFile(t, "solicitation.json", `{"risk_tier": "standard", "expected_monthly_users": 1000, "use_cases": ["military-and-defense"]}`)
	out, err = run(t, "--solicitation", military, native)
	var banned Evaluation
	if err != nil || json.Unmarshal([]byte(out), &banned) != nil {
		t.Fatalf("military use: %v\n%s", err, out)
	}
	if !strings.Contains(out, `"license.use-restricted"`) || banned.Outcome != "disqualified" {
		t.Errorf("Llama 3.1 for military use: outcome %q; want disqualified by license.use-restricted\n%s", banned.Outcome, out)
	}

	// The packs the solicitation file names are the ones applied: under OMB
	// M-26-04 a candidate without the developer's packet is told what it lacks.
	llm := writeFile(t, "solicitation.json", `{"risk_tier": "standard", "expected_monthly_users": 1000, "packs": ["omb-m-26-04"]}`)
	out, err = run(t, "--solicitation", llm, native)
	var packed Evaluation
	if err != nil || json.Unmarshal([]byte(out), &packed) != nil {
		t.Fatalf("M-26-04: %v\n%s", err, out)
	}
	applied := []string{}
	for _, p := range packed.PolicyDecision.Packs {
		applied = append(applied, p.ID)
	}
	if !slices.Equal(applied, []string{"omb-m-26-04"}) || !strings.Contains(out, "unbiased-ai-principles-accepted") {
		t.Errorf("under the M-26-04 pack: packs %v\n%s", applied, out)
	}

	out, err = run(t, native)
	var one Evaluation
	if err != nil || json.Unmarshal([]byte(out), &one) != nil || one.Manifest == "" {
		t.Errorf("one file: %v; want one JSON object, got\n%s", err, out)
	}
}

// Exit status 2: input evaluate cannot read, named with file, line and problem.
func TestRunRefusesUnreadableInput(t *testing.T) {
	badYAML := writeFile(t, "bad.yml", "framework:\n  name: Model Openness Framework\nrelease:\n  name: [unclosed\n  producer: x\n")
	badJSON := writeFile(t, "bad.json", "{\n  \"schema_version\": \"1\",\n  \"name\": \"x\",\n}\n")
	badUses := writeFile(t, "solicitation.json", `{"risk_tier": "standard", "use_cases": ["chatbots"]}`)
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"bad YAML", []string{badYAML}, []string{badYAML, "line 4", "did not find expected"}},
		{"bad JSON", []string{badJSON}, []string{badJSON, "line 4"}},
		{"missing file", []string{"no-such-file.yml"}, []string{"no-such-file.yml"}},
		{"no file", nil, []string{"usage"}},
		{"unknown format", []string{"--format", "spdx", badJSON}, []string{"spdx"}},
		{"unknown flag", []string{"--colour", "red", badJSON}, []string{"colour"}},
		{"unknown use case", []string{"--solicitation", badUses, badJSON}, []string{badUses, `"chatbots" is not a use case`, "military-and-defense"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t, tc.args...)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Run = %v, want an InputError (exit 2)", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q does not mention %q", err, w)
				}
			}
		})
	}
}

// A broken policy bundle is modeltender's failure (exit 1), not the input's.
func TestRunWithBrokenPolicyDir(t *testing.T) {
	dir := filepath.Dir(writeFile(t, "evaluation.rego", "package modeltender.evaluation\n\ndecision := {\n"))
	_, err := run(t, "--policy-dir", dir, "../../examples/manifests/llama-3.1-8b-instruct.json")
	var ie *InputError
	if err == nil || errors.As(err, &ie) {
		t.Errorf("Run = %v, want a policy error that is not an InputError", err)
	}
}

// A signed candidate is judged offline as in a bid: verified under the key
// given with --signing-key, disqualified as untrusted without one, and a
// key file that is no key is unreadable input. The model is a signed test
// model of sigstore/model-transparency, vendored by internal/artifact.
func TestRunVerifiesSignatures(t *testing.T) {
	const mt = "../artifact/testdata/model-transparency/"
	files, err := artifact.DigestDir(context.Background(), mt+"v1.0.0-elliptic-key", []string{"model.sig"})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := os.ReadFile(mt + "v1.0.0-elliptic-key/model.sig")
	if err != nil {
		t.Fatal(err)
	}
	m, err := json.Marshal(domain.Manifest{SchemaVersion: "1", Name: "signed",
		Weights: domain.Weights{License: "Apache-2.0", Files: files, Signature: string(sig)}})
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, "signed.json", string(m))
	decide := func(args ...string) Evaluation {
		t.Helper()
		out, err := run(t, append(args, file)...)
		if err != nil {
			t.Fatal(err)
		}
		var e Evaluation
		if err := json.Unmarshal([]byte(out), &e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	if e := decide("--signing-key", mt+"keys/signing-key-pub.pem"); e.Signature == nil || e.Signature.Status != domain.SignatureVerified {
		t.Errorf("with the signer's key: %+v", e.Signature)
	}
	if e := decide(); e.Signature == nil || e.Signature.Status != domain.SignatureUntrusted || e.Outcome != domain.OutcomeDisqualified {
		t.Errorf("without a key: %s, %+v", e.Outcome, e.Signature)
	}
	notKey := writeFile(t, "key.pem", "not a key")
	var ie *InputError
	if _, err := run(t, "--signing-key", notKey, file); !errors.As(err, &ie) || !strings.Contains(err.Error(), "key.pem") {
		t.Errorf("a key file that is no key: %v", err)
	}
}
