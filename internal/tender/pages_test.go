package tender

import (
	"slices"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
)

// The license page marks every quote the knowledge base rests a clause on
// and anchors the first of each clause, including two clauses that quote
// the same passage; the texts are given whole.
func TestLicenseTextAnchorsEveryQuotedClause(t *testing.T) {
	v, err := (&Service{}).LicenseText("LicenseRef-Llama-3.1-Community")
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]string{}
	for _, doc := range v.Texts {
		for _, p := range doc.Passages {
			for _, a := range p.Anchors {
				if _, dup := anchors[a]; dup {
					t.Errorf("clause %s is anchored twice", a)
				}
				anchors[a] = doc.File
			}
		}
	}
	for _, clause := range []string{"commercial_use", "mau_cap", "acceptable_use_policy", "field_of_use_restrictions", "naming_requirement", "termination_on_litigation"} {
		if anchors[clause] == "" {
			t.Errorf("no anchor for clause %s; anchors: %v", clause, anchors)
		}
	}
	if anchors["field_of_use_restrictions"] != "licenses/llama-3.1-use-policy.txt" {
		t.Errorf("the use policy's clause is anchored in %q", anchors["field_of_use_restrictions"])
	}
	var whole strings.Builder
	for _, p := range v.Texts[0].Passages {
		whole.WriteString(p.Text)
	}
	if !strings.Contains(whole.String(), "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT") {
		t.Errorf("the license text is not given whole")
	}
	if _, err := (&Service{}).LicenseText("LicenseRef-Nobody"); domain.KindOf(err) != domain.ErrNotFound {
		t.Errorf("an unknown license: %v, want not found", err)
	}
}

// A disqualified candidate is led by its denial, grouped over components,
// in one line.
func TestDisqualifiedCandidateHasOneLineReason(t *testing.T) {
	deny := func(comp string) domain.Finding {
		return domain.Finding{Rule: "license.commercial-use", Severity: domain.SeverityDeny, Message: comp + ": CC-BY-NC-4.0 does not permit commercial use",
			Evidence: domain.Evidence{Component: comp, Clause: "CC-BY-NC-4.0 commercial_use"}}
	}
	outcome := domain.OutcomeDisqualified
	c := NewCandidateStatus(domain.Candidate{ID: "c", Name: "olmo"}, "V", &store.EvaluationView{Outcome: &outcome, Stages: []store.StageView{
		{Stage: domain.StageIntake, Status: domain.StagePassed},
		{Stage: domain.StageLicense, Status: domain.StageFailed, Findings: []domain.Finding{
			{Rule: "openness.class", Severity: domain.SeverityInfo, Message: "class I"}, deny("weights"), deny("Datasets")}},
	}})
	if c.Reason != "CC-BY-NC-4.0 does not permit commercial use (weights, Datasets)" {
		t.Fatalf("reason %q", c.Reason)
	}
	if len(c.Deciding) != 1 || !slices.Equal(c.Deciding[0].Components, []string{"weights", "Datasets"}) {
		t.Fatalf("deciding %+v", c.Deciding)
	}
	if c.Openness.Class != "" || c.Openness.Judged || !c.Openness.Final {
		t.Fatalf("openness %+v: the policy never ran, and evaluation is over", c.Openness)
	}
}

// A decision form with several problems gets all of them back at once.
func TestVerdictReportsEveryProblem(t *testing.T) {
	var fields []string
	for _, f := range (Verdict{}).validate() {
		fields = append(fields, f.Field)
	}
	if !slices.Equal(fields, []string{"verdict", "reason_code"}) {
		t.Fatalf("an empty decision: errors on %v, want verdict and reason_code", fields)
	}
	errs := Verdict{Verdict: "reject", ReasonCode: "meets-requirements"}.validate()
	if len(errs) != 2 || errs[0].Field != "reason_code" || errs[1].Field != "comment" || strings.Contains(errs[0].Message, "[") {
		t.Fatalf("a rejection with an approving reason and no comment: %+v", errs)
	}
}
