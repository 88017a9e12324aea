package manifest

import (
	"slices"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

func TestCompleteness(t *testing.T) {
	no := false
	standard := []string{"model-card", "evaluation-results", "red-team-report", "content-filtering", "incident-response", "data-card", "nist-ai-rmf-mapping"}
	evidence := func(kinds ...string) []domain.EvidenceItem {
		var out []domain.EvidenceItem
		for _, k := range kinds {
			out = append(out, domain.EvidenceItem{Kind: k, Location: "https://example.org/" + k, Date: "2026-01-10"})
		}
		return out
	}
	// The contract terms OMB M-25-22 (a default pack of both tiers) asks about.
	m2522 := []string{"no-training-on-government-data", "government-data-rights", "testing-and-monitoring-access", "vendor-lock-in-protections", "ai-use-in-performance-disclosed"}
	var attested []domain.Attestation
	for _, term := range append(slices.Clone(m2522), "high-impact-minimum-practices") {
		attested = append(attested, domain.Attestation{Term: term, Answer: domain.AnswerYes, Document: "Vol. II"})
	}
	full := domain.Manifest{Name: "m", Weights: domain.Weights{License: "Apache-2.0", Location: "https://example.org/w"},
		Components: []domain.Component{{Name: "Model parameters (Final)", License: "Apache-2.0", Included: true},
			{Name: "Datasets", License: "CC-BY-4.0", Included: true}},
		Evidence: evidence(standard...), Deployment: domain.Deployment{OnPremises: true}, DataUse: domain.DataUse{TrainsOnAgencyData: &no},
		Attestations: attested}
	tests := []struct {
		name    string
		edit    func(m *domain.Manifest)
		tier    domain.RiskTier
		score   int
		missing []string
		packs   []string
	}{
		{"complete for the standard tier", func(*domain.Manifest) {}, domain.RiskStandard, 100, nil, nil},
		{"tier defaults to standard", func(*domain.Manifest) {}, "", 100, nil, nil},
		// The tier's baseline asks for two more kinds; its default pack, OMB
		// M-25-21, for its minimum practices.
		{"high impact asks for more evidence", func(*domain.Manifest) {}, domain.RiskHighImpact, 0,
			[]string{"evidence[third-party-red-team]", "evidence[genai-risk-coverage]", "evidence[pre-deployment-testing]", "evidence[impact-assessment]",
				"evidence[human-oversight-plan]", "evidence[monitoring-plan]", "evidence[remedies-and-appeals]"}, nil},
		{"the packs' contract terms unanswered", func(m *domain.Manifest) { m.Attestations = nil }, domain.RiskStandard, 0,
			[]string{"attestations[no-training-on-government-data]", "attestations[government-data-rights]", "attestations[testing-and-monitoring-access]",
				"attestations[vendor-lock-in-protections]", "attestations[ai-use-in-performance-disclosed]"}, nil},
		{"an LLM pack asks for its packet", func(*domain.Manifest) {}, domain.RiskStandard, 0,
			[]string{"evidence[acceptable-use-policy]", "evidence[end-user-resources]", "evidence[feedback-mechanism]",
				"attestations[unbiased-ai-principles-accepted]", "attestations[noncompliance-corrective-action]"}, []string{"omb-m-26-04"}},
		{"no weights license", func(m *domain.Manifest) { m.Weights.License = "unknown"; m.Components[0].License = "unknown" }, domain.RiskStandard, 94,
			[]string{"weights.license"}, nil},
		{"component without a license", func(m *domain.Manifest) { m.Components[1].License = "" }, domain.RiskStandard, 94,
			[]string{"components[Datasets].license"}, nil},
		{"excluded component needs none", func(m *domain.Manifest) { m.Components[1].License = ""; m.Components[1].Included = false }, domain.RiskStandard, 100, nil, nil},
		{"red-team report without date", func(m *domain.Manifest) { m.Evidence[2].Date = "" }, domain.RiskStandard, 94,
			[]string{"evidence[red-team-report].date"}, nil},
		{"no evidence at all", func(m *domain.Manifest) { m.Evidence = nil }, domain.RiskStandard, 56,
			[]string{"evidence[model-card]", "evidence[evaluation-results]", "evidence[red-team-report]", "evidence[content-filtering]", "evidence[incident-response]", "evidence[data-card]", "evidence[nist-ai-rmf-mapping]"}, nil},
		{"data use and deployment unstated", func(m *domain.Manifest) {
			m.DataUse = domain.DataUse{}
			m.Deployment = domain.Deployment{}
			m.Weights.Location = ""
		}, domain.RiskStandard, 88, []string{"data_use.trains_on_agency_data", "deployment"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := full
			m.Components = slices.Clone(full.Components)
			m.Evidence = slices.Clone(full.Evidence)
			tt.edit(&m)
			got, err := Completeness(m, domain.Criteria{RiskTier: tt.tier, Packs: tt.packs})
			if err != nil {
				t.Fatal(err)
			}
			var fields []string
			for _, f := range got.Missing {
				fields = append(fields, f.Field)
				if f.What == "" || f.Fix == "" {
					t.Errorf("%s: missing what or fix", f.Field)
				}
			}
			if (tt.score != 0 && got.Score != tt.score) || !slices.Equal(fields, tt.missing) {
				t.Errorf("score %d missing %q; want %d %q", got.Score, fields, tt.score, tt.missing)
			}
		})
	}
}

// A real model card, read as intake reads it, says what it lacks.
func TestCompletenessOfAModelCard(t *testing.T) {
	c, err := ParseHuggingFace(read(t, "testdata/huggingface/mistralai-Mistral-7B-v0.1.md"), "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Completeness(c.Manifest, domain.Criteria{RiskTier: domain.RiskStandard})
	if err != nil {
		t.Fatal(err)
	}
	if got.Score <= 0 || got.Score >= 100 {
		t.Errorf("score %d", got.Score)
	}
	for _, want := range []string{"evidence[red-team-report]", "data_use.trains_on_agency_data", "components[Model card].license"} {
		if !slices.ContainsFunc(got.Missing, func(f domain.MissingField) bool { return f.Field == want }) {
			t.Errorf("missing %+v lacks %s", got.Missing, want)
		}
	}
}
