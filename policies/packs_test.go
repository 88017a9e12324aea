package policies

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

// defaultPacks is DefaultsFor over the catalogue opts load.
func defaultPacks(tier domain.RiskTier, isLLM bool, opts ...Option) ([]string, error) {
	packs, err := Packs(opts...)
	if err != nil {
		return nil, err
	}
	return DefaultsFor(packs, tier, isLLM), nil
}

func TestDefaultPacks(t *testing.T) {
	for _, tt := range []struct {
		tier  domain.RiskTier
		isLLM bool
		want  []string
	}{
		{domain.RiskStandard, false, []string{"omb-m-25-22"}},
		{domain.RiskStandard, true, []string{"omb-m-25-22", "omb-m-26-04"}},
		{domain.RiskHighImpact, false, []string{"omb-m-25-21", "omb-m-25-22"}},
		{domain.RiskHighImpact, true, []string{"omb-m-25-21", "omb-m-25-22", "omb-m-26-04"}},
	} {
		got, err := defaultPacks(tt.tier, tt.isLLM)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("DefaultsFor(%s, %v) = %q, %v; want %q", tt.tier, tt.isLLM, got, err, tt.want)
		}
	}
}

// TestNoPacksNamedDecidesAsTheDefaults keeps the policies' reading of an
// empty criteria.packs and DefaultsFor(tier, false) the same.
func TestNoPacksNamedDecidesAsTheDefaults(t *testing.T) {
	e := newEngine(t)
	for _, tier := range []domain.RiskTier{domain.RiskStandard, domain.RiskHighImpact} {
		in := completeInput()
		in.Criteria.RiskTier = tier
		in.Manifest.Evidence, in.Manifest.Attestations = nil, nil
		implicit := decide(t, e, in)
		if in.Criteria.Packs, _ = defaultPacks(tier, false); len(in.Criteria.Packs) == 0 {
			t.Fatalf("no default packs for %s", tier)
		}
		if explicit := decide(t, e, in); !slices.EqualFunc(implicit.Packs, explicit.Packs, func(a, b domain.PackStatus) bool { return a.ID == b.ID }) ||
			len(implicit.Deny) != len(explicit.Deny) || len(implicit.Warn) != len(explicit.Warn) {
			t.Errorf("%s: no packs named decides %d deny, %d warn, packs %+v; the defaults named decide %d deny, %d warn, packs %+v",
				tier, len(implicit.Deny), len(implicit.Warn), implicit.Packs, len(explicit.Deny), len(explicit.Warn), explicit.Packs)
		}
	}
}

func TestCheckPacks(t *testing.T) {
	if err := CheckPacks([]string{"omb-m-25-22", "eu-gpai-documentation"}); err != nil {
		t.Errorf("known packs: %v", err)
	}
	if err := CheckPacks(nil); err != nil {
		t.Errorf("no packs: %v", err)
	}
	err := CheckPacks([]string{"omb-m-25-22", "omb-m-24-10"})
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.ErrInvalid || !strings.Contains(err.Error(), "omb-m-24-10") ||
		!strings.Contains(err.Error(), "valid packs: omb-m-25-21, omb-m-25-22, omb-m-26-04, gsar-552-239-7001-draft-2026-06, eu-gpai-documentation") {
		t.Errorf("unknown pack: %v; want an invalid-input error naming it and the valid packs", err)
	}
}

// TestPackRulesAreDeclared keeps each pack's declared rules and its Rego
// package in step: every rule id the data lists is one its file emits, and
// the other way round.
func TestPackRulesAreDeclared(t *testing.T) {
	packs, err := Packs()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range packs {
		file := "pack_" + strings.ReplaceAll(p.ID, "-", "_") + ".rego"
		src, err := fs.ReadFile(Embedded(), file)
		if errors.Is(err, fs.ErrNotExist) {
			if len(p.Rules) > 0 {
				t.Errorf("pack %s declares rules but has no %s", p.ID, file)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var declared []string
		for _, r := range p.Rules {
			declared = append(declared, r.ID)
		}
		var emitted []string
		for _, line := range strings.Split(string(src), "\n") {
			if id, ok := strings.CutPrefix(strings.TrimSpace(line), `"rule": "`); ok {
				emitted = append(emitted, strings.TrimSuffix(id, `",`))
			}
		}
		slices.Sort(declared)
		slices.Sort(emitted)
		if !slices.Equal(declared, emitted) {
			t.Errorf("pack %s declares rules %q; %s emits %q", p.ID, declared, file, emitted)
		}
		if !strings.Contains(string(src), "package modeltender.packs."+strings.ReplaceAll(p.ID, "-", "_")+"\n") {
			t.Errorf("%s is not package modeltender.packs.%s", file, strings.ReplaceAll(p.ID, "-", "_"))
		}
	}
}

func TestDecidePacksReportWhatIsMissing(t *testing.T) {
	in := completeInput()
	in.Criteria.Packs = []string{"omb-m-26-04", "gsar-552-239-7001-draft-2026-06"}
	in = withoutEvidence(withoutAttestation(in, "incident-reporting-72h"), "feedback-mechanism")
	in.Manifest.Attestations = append(in.Manifest.Attestations, domain.Attestation{Term: "material-change-notice", Answer: domain.AnswerNo, Document: "Volume II, 5"})
	d := decide(t, newEngine(t), in)
	if d.Outcome != domain.OutcomeDisqualified {
		t.Errorf("outcome = %s, want disqualified", d.Outcome)
	}
	if len(d.Packs) != 2 || d.Packs[0].ID != "omb-m-26-04" || d.Packs[1].ID != "gsar-552-239-7001-draft-2026-06" {
		t.Fatalf("packs = %+v, want M-26-04 then the GSAR draft", d.Packs)
	}
	m2604, gsar := d.Packs[0], d.Packs[1]
	if m2604.Effective != "2025-12-11" || m2604.Version != 1 || len(m2604.RequiredEvidence) != 4 ||
		len(m2604.MissingEvidence) != 1 || m2604.MissingEvidence[0].ID != "feedback-mechanism" || len(m2604.MissingAttestations) != 0 {
		t.Errorf("M-26-04 = %+v, want 4 documents required, the feedback mechanism missing", m2604)
	}
	var missing []string
	for _, r := range gsar.MissingAttestations {
		missing = append(missing, r.ID)
	}
	if gsar.Status != "draft" || len(gsar.RequiredAttestations) != 8 || !slices.Equal(missing, []string{"incident-reporting-72h", "material-change-notice"}) {
		t.Errorf("GSAR draft = %+v, want 8 terms asked, 72-hour reporting and material-change notice missing", gsar)
	}
	refused, _ := findRule(d.Deny, "packs.attestation-refused")
	unattested, _ := findRule(d.Warn, "packs.attestation-missing")
	evidence, _ := findRule(d.Deny, "safety.evidence-missing")
	if refused.Evidence.Component != "material-change-notice" || unattested.Evidence.Component != "incident-reporting-72h" || evidence.Evidence.Component != "feedback-mechanism" {
		t.Errorf("deny = %+v, warn = %+v; want the refused notice term, the unattested 72-hour term and the missing feedback mechanism", d.Deny, d.Warn)
	}
	if _, ok := findRule(d.Info, "packs.not-in-force"); !ok {
		t.Errorf("info = %+v, want the draft pack stated as not in force", d.Info)
	}
}

func TestDecideUnknownPackNeedsReview(t *testing.T) {
	in := completeInput()
	in.Criteria.Packs = []string{"omb-m-24-18"}
	d := decide(t, newEngine(t), in)
	if f, ok := findRule(d.Warn, "packs.unknown-pack"); !ok || !strings.Contains(f.Message, "valid packs: ") || d.Outcome != domain.OutcomeNeedsReview || len(d.Packs) != 0 {
		t.Errorf("decision = %+v, want needs_review with an unknown-pack warning and no packs applied", d)
	}
}

func TestDecideOSAID(t *testing.T) {
	in := completeInput()
	in.Criteria.RequireOSAID = true
	in.Criteria.OSAIDPreferencePoints = 10
	d := decide(t, newEngine(t), in)
	if d.Openness.OSAID.Conformant || len(d.Openness.OSAID.Missing) == 0 || d.Openness.OSAID.Source == "" {
		t.Fatalf("osaid = %+v, want not conformant with what is missing", d.Openness.OSAID)
	}
	if _, ok := findRule(d.Deny, "openness.osaid-required"); !ok {
		t.Errorf("deny = %+v, want openness.osaid-required", d.Deny)
	}
	in.Manifest.Components = nil
	for _, name := range domain.MOFComponents {
		in.Manifest.Components = append(in.Manifest.Components, domain.Component{Name: name, License: "Apache-2.0", Included: true})
	}
	d = decide(t, newEngine(t), in)
	if !d.Openness.OSAID.Conformant || len(d.Openness.OSAID.Missing) != 0 || d.Score != 40 || d.Openness.PreferencePoints != 40 {
		t.Errorf("osaid = %+v, score = %v; want conformant and 30 + 10 points", d.Openness.OSAID, d.Score)
	}
	if got := in.Criteria.OpennessScore(d.Score); got != 100 {
		t.Errorf("openness score = %v, want 100 for Class I and OSAID", got)
	}
}

// TestPackDefaultsFollowThePolicyDir: an agency's directory that makes
// M-25-21 a default at every tier changes DefaultsFor and the packs the
// policies apply alike.
func TestPackDefaultsFollowThePolicyDir(t *testing.T) {
	dir := copyBundle(t)
	file := filepath.Join(dir, "data", "policy_packs.json")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	high := `"default_for": {"tiers": ["high-impact"], "llm_only": false}`
	if strings.Count(string(raw), high) != 1 {
		t.Fatal("policy_packs.json no longer makes M-25-21 the only high-impact default as expected")
	}
	edited := strings.Replace(string(raw), high, `"default_for": {"tiers": ["standard", "high-impact"], "llm_only": false}`, 1)
	if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{"omb-m-25-21", "omb-m-25-22"}
	if got, err := defaultPacks(domain.RiskStandard, false, Dir(dir)); err != nil || !slices.Equal(got, want) {
		t.Errorf("DefaultsFor(standard, Dir) = %q, %v; want %q", got, err, want)
	}
	e, err := NewEngine(context.Background(), Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	var applied []string
	for _, p := range decide(t, e, completeInput()).Packs {
		applied = append(applied, p.ID)
	}
	if !slices.Equal(applied, want) {
		t.Errorf("packs applied = %q, want %q", applied, want)
	}
}

func TestEvidenceGuideCoversEveryKind(t *testing.T) {
	guide, err := EvidenceGuide()
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range domain.EvidenceKinds {
		if r := guide[kind]; r.Title == "" || r.Fix == "" || r.Source == "" {
			t.Errorf("evidence kind %q: guide %+v, want a title, fix and source", kind, r)
		}
	}
	if guide["model-card"].Source != "NIST AI RMF MEASURE 2.9" || guide["system-card"].Title != "Model, system or data card" {
		t.Errorf("model card %+v, system card %+v; want the baseline first, the pack's card requirement for the system card", guide["model-card"], guide["system-card"])
	}
	ages, err := EvidenceMaxAgeMonths()
	if err != nil || ages["red-team-report"] != 12 || ages["monitoring-plan"] != 0 || len(ages) != len(domain.EvidenceKinds) {
		t.Errorf("max ages = %v, %v; want every kind, the red-team report at 12 months", ages, err)
	}
}

// A bundle stored before policy packs existed has none, and still decides.
func TestBundleWithoutPacks(t *testing.T) {
	files, err := readFiles(bundle, isBundleFile)
	if err != nil {
		t.Fatal(err)
	}
	delete(files, "data/policy_packs.json")
	old := newBundle(files)
	packs, err := Packs(FromBundle(old))
	if err != nil || len(packs) != 0 {
		t.Fatalf("packs of a bundle without them: %d, %v", len(packs), err)
	}
	e, err := NewEngine(t.Context(), FromBundle(old))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Decide(t.Context(), completeInput()); err != nil {
		t.Fatalf("a bundle without packs does not decide: %v", err)
	}
}
