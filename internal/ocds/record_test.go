package ocds

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

// A bid's price is never in the notice, in any state, nor given away by the
// lowest and highest valid bid: the visibility table keeps prices with the
// agency and the bid's vendor. The award's value is what is published.
func TestBidPricesStayOutOfTheNotice(t *testing.T) {
	for _, status := range []domain.SolicitationStatus{domain.SolicitationClosed, domain.SolicitationEvaluated, domain.SolicitationAwarded} {
		n := awardedTender()
		n.Solicitation.Status = status
		if status != domain.SolicitationAwarded {
			n.Awards = nil
		}
		_, r := buildValid(t, n)
		for _, d := range r.Bids.Details {
			if d.Value != nil {
				t.Errorf("%s: %s value = %+v, want no price", status, d.ID, d.Value)
			}
		}
		for _, st := range r.Bids.Statistics {
			if st.Currency != "" {
				t.Errorf("%s: statistic %s = %v %s gives prices away", status, st.ID, st.Value, st.Currency)
			}
		}
	}
	n := cancelledTender()
	n.Bids[0].Price = &Value{Amount: 1, Currency: "USD"}
	if _, r := buildValid(t, n); r.Bids != nil {
		t.Errorf("sealed bids published: %+v", r.Bids)
	}
}

func TestResponsesFrom(t *testing.T) {
	missing := domain.Finding{Rule: "safety.evidence-missing", Evidence: domain.Evidence{Component: "red-team-report"}}
	disqualified := CandidateResult{License: domain.StagePassed, OpennessClass: "III", PolicyRan: true, PolicyFindings: []domain.Finding{missing}}
	sol := solicitation(domain.SolicitationAwarded)
	qualified := CandidateResult{Qualified: true, License: domain.StagePassed, OpennessClass: "II", PolicyRan: true}
	// The qualified candidate answers for the bid, whatever its position.
	got := ResponsesFrom(sol, []CandidateResult{disqualified, qualified}, evidence, nil)
	want := []RequirementResponse{{RequirementLicense, true}, {RequirementOpennessClass, 2}}
	for _, e := range evidence {
		want = append(want, RequirementResponse{EvidenceRequirementID(e.Kind), true})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("qualified bid: %+v, want %+v", got, want)
	}
	got = ResponsesFrom(sol, []CandidateResult{disqualified}, evidence, nil)
	for _, r := range got {
		if r.RequirementID == EvidenceRequirementID("red-team-report") && r.Value != false {
			t.Errorf("missing red-team report answered %v", r.Value)
		}
	}
	// A candidate stopped at the license stage answers only the license.
	got = ResponsesFrom(sol, []CandidateResult{{License: domain.StageFailed}}, evidence, nil)
	if !reflect.DeepEqual(got, []RequirementResponse{{RequirementLicense, false}}) {
		t.Errorf("license failure: %+v", got)
	}
	if got := ResponsesFrom(sol, nil, evidence, nil); got != nil {
		t.Errorf("no candidates: %+v", got)
	}
	// Without a minimum class no openness requirement is published to answer.
	sol.MinimumOpennessClass = ""
	if got := ResponsesFrom(sol, []CandidateResult{qualified}, nil, nil); !reflect.DeepEqual(got, []RequirementResponse{{RequirementLicense, true}}) {
		t.Errorf("no minimum class: %+v", got)
	}
}

// The notice names the policy packs frozen with the revision; a
// solicitation published before packs were chosen names none.
func TestNoticeNamesThePacks(t *testing.T) {
	n := awardedTender()
	n.Solicitation.Packs = []string{"omb-m-25-22", "omb-m-26-04"}
	_, r := buildValid(t, n)
	i := slices.IndexFunc(r.Tender.Documents, func(d Document) bool { return d.ID == "policy-revision" })
	if i < 0 || !strings.Contains(r.Tender.Documents[i].Description, "Policy packs applied: omb-m-25-22, omb-m-26-04.") {
		t.Fatalf("policy document: %+v", r.Tender.Documents)
	}
	n.Solicitation.Packs = nil
	if _, r := buildValid(t, n); strings.Contains(r.Tender.Documents[0].Description, "Policy packs") {
		t.Errorf("a solicitation without packs names some: %s", r.Tender.Documents[0].Description)
	}
}
