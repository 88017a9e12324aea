package ocds

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/visibility"
	"github.com/modeltender/modeltender/policies"
)

func criterion(t *testing.T, r Release, id string) Criterion {
	t.Helper()
	i := slices.IndexFunc(r.Tender.Criteria, func(c Criterion) bool { return c.ID == id })
	if i < 0 {
		t.Fatalf("no criterion %s among %d", id, len(r.Tender.Criteria))
	}
	return r.Tender.Criteria[i]
}

func requirement(t *testing.T, c Criterion, id string) Requirement {
	t.Helper()
	for _, g := range c.RequirementGroups {
		if i := slices.IndexFunc(g.Requirements, func(r Requirement) bool { return r.ID == id }); i >= 0 {
			return g.Requirements[i]
		}
	}
	t.Fatalf("criterion %s has no requirement %s", c.ID, id)
	return Requirement{}
}

// An LLM solicitation under OMB M-26-04 publishes the pack as a criterion:
// dated, with its sources, its four documents and its two contract terms,
// each citing its section and saying it rests on a secondary source.
func TestPackCriterionOfAnLLMSolicitation(t *testing.T) {
	_, r := buildValid(t, publishedTender())
	c := criterion(t, r, "pack-omb-m-26-04")
	if !strings.HasPrefix(c.Title, "OMB M-26-04: ") ||
		!strings.Contains(c.Description, "version 1, in-force: issued 2025-12-11, effective 2025-12-11, expires 2027-12-11") ||
		!strings.Contains(c.Description, "https://www.whitehouse.gov/wp-content/uploads/2025/12/M-26-04-") {
		t.Errorf("criterion %q: %s", c.Title, c.Description)
	}
	if len(c.RequirementGroups) != 1 || len(c.RequirementGroups[0].Requirements) != 6 || c.RequirementGroups[0].ID != "pack-omb-m-26-04-standard" {
		t.Fatalf("groups = %+v, want one group of the four documents and two terms", c.RequirementGroups)
	}
	for _, req := range c.RequirementGroups[0].Requirements {
		if req.DataType != "boolean" || req.ExpectedValue != true || !strings.Contains(req.Description, "(as read in a secondary source)") {
			t.Errorf("requirement %+v: want a boolean expecting true, marked as resting on a secondary source", req)
		}
	}
	feedback := requirement(t, c, PackEvidenceRequirementID("omb-m-26-04", "feedback-mechanism"))
	if !strings.Contains(feedback.Description, "OMB M-26-04, LLM procurement, minimum transparency: mechanism for end-user feedback") {
		t.Errorf("feedback mechanism: %s", feedback.Description)
	}
	if card := requirement(t, c, PackEvidenceRequirementID("omb-m-26-04", "model-card")); !strings.Contains(card.Description, "Also met by: system-card, data-card.") {
		t.Errorf("model card: %s", card.Description)
	}
	term := requirement(t, c, PackTermRequirementID("omb-m-26-04", "unbiased-ai-principles-accepted"))
	if term.Title != "Unbiased AI Principles accepted" || !strings.Contains(term.Description, "Executive Order 14319 §4(b)") {
		t.Errorf("term: %+v", term)
	}
}

// Every pack validates at both tiers; a pack asks only what applies at the
// tier, and one that asks nothing there has no criterion. Ids are unique in
// the release and the same in every build.
func TestPackCriteriaAtEachTier(t *testing.T) {
	all := catalogue()
	var ids []string
	for _, p := range all {
		ids = append(ids, p.ID)
	}
	for _, tier := range []domain.RiskTier{domain.RiskStandard, domain.RiskHighImpact} {
		t.Run(string(tier), func(t *testing.T) {
			n := protested(awardedTender(), domain.ProtestDismissed)
			n.Solicitation.RiskTier, n.Solicitation.Packs = tier, ids
			n.Packs = policies.Selected(all, ids, tier)
			n.Bids[0].Responses = append(n.Bids[0].Responses[:4], packResponses(n.Packs, tier, nil)...)
			n.Bids[1].Responses = n.Bids[1].Responses[:2]
			pkg, r := buildValid(t, n)
			seen := map[string]bool{}
			once := func(id string) {
				if seen[id] {
					t.Errorf("id %s is published twice", id)
				}
				seen[id] = true
			}
			for _, c := range r.Tender.Criteria {
				once(c.ID)
				for _, g := range c.RequirementGroups {
					once(g.ID)
					for _, req := range g.Requirements {
						once(req.ID)
					}
				}
			}
			hasM2521 := seen["pack-omb-m-25-21"]
			if hasM2521 != (tier == domain.RiskHighImpact) {
				t.Errorf("M-25-21 criterion at %s: %v; it asks only of high-impact candidates", tier, hasM2521)
			}
			practices := seen[PackTermRequirementID("omb-m-25-22", "high-impact-minimum-practices")]
			if practices != (tier == domain.RiskHighImpact) {
				t.Errorf("M-25-22 asks for the minimum practices at %s: %v", tier, practices)
			}
			gsar := criterion(t, r, "pack-gsar-552-239-7001-draft-2026-06")
			if !strings.Contains(gsar.Description, "a draft of 2026-06-17 not yet in force") {
				t.Errorf("draft pack: %s", gsar.Description)
			}
			doc := requirement(t, criterion(t, r, "pack-eu-gpai-documentation"), PackEvidenceRequirementID("eu-gpai-documentation", "model-documentation"))
			if !strings.Contains(doc.Description, "Waived when open-source-gpai holds.") || strings.Contains(doc.Description, "secondary") {
				t.Errorf("EU model documentation: %s", doc.Description)
			}
			again, err := Build(n)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal(pkg)
			b, _ := json.Marshal(again)
			if string(a) != string(b) {
				t.Error("two builds of one notice differ")
			}
		})
	}
}

// A bid answers the packs from its policy findings: the evidence found
// missing or expired and the terms refused or not attested are not met.
func TestPackResponsesFromFindings(t *testing.T) {
	sol := solicitation(domain.SolicitationAwarded)
	packs := policies.Selected(catalogue(), sol.Packs, sol.RiskTier)
	c := CandidateResult{Qualified: true, License: domain.StagePassed, OpennessClass: "II", PolicyRan: true, PolicyFindings: []domain.Finding{
		{Rule: "safety.evidence-missing", Evidence: domain.Evidence{Component: "feedback-mechanism"}},
		{Rule: "packs.attestation-missing", Evidence: domain.Evidence{Component: "noncompliance-corrective-action"}},
		refusedTraining,
	}}
	got := map[string]any{}
	for _, r := range ResponsesFrom(sol, []CandidateResult{c}, evidence, packs) {
		got[r.RequirementID] = r.Value
	}
	unmet := []string{
		PackEvidenceRequirementID("omb-m-26-04", "feedback-mechanism"),
		PackTermRequirementID("omb-m-26-04", "noncompliance-corrective-action"),
		PackTermRequirementID("omb-m-25-22", "no-training-on-government-data"),
	}
	if len(got) != 4+11 {
		t.Errorf("%d responses, want 4 and the packs' 11: %v", len(got), got)
	}
	for id, v := range got {
		if strings.HasPrefix(id, "pack-") && v != !slices.Contains(unmet, id) {
			t.Errorf("%s = %v", id, v)
		}
	}
}

// Every bid's responses, the packs' included, are published where the
// visibility table shows responses to the public: once the award stands,
// never while it pends or during the standstill.
func TestPackResponsesFollowTheVisibilityTable(t *testing.T) {
	packResponses := func(r Release) map[string]int {
		out := map[string]int{}
		if r.Bids == nil {
			return out
		}
		for _, b := range r.Bids.Details {
			for _, rr := range b.RequirementResponses {
				if strings.HasPrefix(rr.Requirement.ID, "pack-") {
					out[b.ID]++
				}
			}
		}
		return out
	}
	for name, tc := range map[string]struct {
		n    Notice
		want map[string]int
	}{
		"awarded":     {awardedTender(), map[string]int{"bid_a": 11, "bid_b": 11}},
		"standstill":  {pendingAward(awardedTender(), domain.SolicitationStandstill, &standstillUntil), map[string]int{}},
		"award pends": {pendingAward(awardedTender(), domain.SolicitationAwardPending, nil), map[string]int{}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, r := buildValid(t, tc.n); !maps.Equal(packResponses(r), tc.want) {
				t.Errorf("pack responses per bid = %v, want %v", packResponses(r), tc.want)
			}
		})
	}

	// Were responses kept from the public, no bid's would be published.
	saved := visibility.Table[visibility.Responses]
	t.Cleanup(func() { visibility.Table[visibility.Responses] = saved })
	narrowed := maps.Clone(saved)
	delete(narrowed, visibility.Anonymous)
	visibility.Table[visibility.Responses] = narrowed
	_, r := buildValid(t, awardedTender())
	if got := packResponses(r); len(got) != 0 {
		t.Errorf("with responses kept from the public: %v", got)
	}
}
