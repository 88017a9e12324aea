package ocds

import (
	"slices"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/visibility"
	"github.com/modeltender/modeltender/policies"
)

// publicValue is a bid's price as the notice may publish it: only in a
// phase where the visibility table shows prices to the public. These are
// best-value procurements, not sealed bidding with a public opening (FAR
// 14.402-1): a losing bid's price stays with the agency and its vendor, and
// the award's value is what the notice publishes.
func publicValue(s domain.Solicitation, b BidSummary) *Value {
	if b.Price == nil || !visibility.Sees(visibility.Prices, visibility.Anonymous, visibility.PhaseOf(s)) {
		return nil
	}
	v := *b.Price
	return &v
}

// publicPrices are the bids as the notice's statistics may count their
// prices: without them where the public may not see prices, so that the
// lowest and highest valid bid do not give them away.
func publicPrices(s domain.Solicitation, bids []BidSummary) []BidSummary {
	out := slices.Clone(bids)
	for i := range out {
		out[i].Price = publicValue(s, out[i])
	}
	return out
}

// CandidateResult is what one candidate's evaluation established about the
// published requirements, read from its stages.
type CandidateResult struct {
	Qualified bool
	// License is the license stage's final status: passed or failed; ""
	// while it has not settled.
	License domain.StageStatus
	// OpennessClass is the Model Openness Framework class the policy stage
	// found ("I", "II", "III"), "" when it has not run or found none.
	OpennessClass string
	// PolicyRan is set once the policy stage settled; PolicyFindings are its
	// findings.
	PolicyRan      bool
	PolicyFindings []domain.Finding
}

// ResponsesFrom states how a bid met the published requirements, from the
// evaluation of its first qualified candidate, or of its first candidate
// when none qualified: a bid answers the requirements with one model.
// Requirements its evaluation did not reach, and the openness class when s
// sets no minimum (no such requirement is published), get no response; the
// packs are those of the notice (Notice.Packs).
func ResponsesFrom(s domain.Solicitation, candidates []CandidateResult, evidence []EvidenceRequirement, packs []policies.Pack) []RequirementResponse {
	if len(candidates) == 0 {
		return nil
	}
	c := candidates[0]
	if i := slices.IndexFunc(candidates, func(c CandidateResult) bool { return c.Qualified }); i >= 0 {
		c = candidates[i]
	}
	var out []RequirementResponse
	if c.License == domain.StagePassed || c.License == domain.StageFailed {
		out = append(out, RequirementResponse{RequirementID: RequirementLicense, Value: c.License == domain.StagePassed})
	}
	if class, ok := mofClass[c.OpennessClass]; ok && s.MinimumOpennessClass != "" {
		out = append(out, RequirementResponse{RequirementID: RequirementOpennessClass, Value: class})
	}
	if !c.PolicyRan {
		return out
	}
	lacking := map[string]bool{}
	for _, f := range c.PolicyFindings {
		if f.Rule == ruleEvidenceMissing || f.Rule == ruleEvidenceExpired {
			lacking[f.Evidence.Component] = true
		}
	}
	for _, e := range evidence {
		out = append(out, RequirementResponse{RequirementID: EvidenceRequirementID(e.Kind), Value: !lacking[e.Kind]})
	}
	return append(out, packResponses(packs, s.RiskTier, c.PolicyFindings)...)
}

// The rules whose findings say a kind of evidence (their evidence
// component) is missing or out of date (policies/safety.rego).
const (
	ruleEvidenceMissing = "safety.evidence-missing"
	ruleEvidenceExpired = "safety.evidence-expired"
)
