package ocds

import (
	"slices"

	"github.com/modeltender/modeltender/internal/domain"
)

// openedBidValue is a bid's price as published once bids are opened at the
// deadline, as a public bid opening reads the prices out (FAR 14.402-1); it
// is never published while bids are sealed (Build leaves bids out then).
func openedBidValue(b BidSummary) *Value {
	if b.Price == nil {
		return nil
	}
	v := *b.Price
	return &v
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
// sets no minimum (no such requirement is published), get no response.
func ResponsesFrom(s domain.Solicitation, candidates []CandidateResult, evidence []EvidenceRequirement) []RequirementResponse {
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
		if f.Rule == "safety.evidence-missing" || f.Rule == "safety.evidence-expired" {
			lacking[f.Evidence.Component] = true
		}
	}
	for _, e := range evidence {
		out = append(out, RequirementResponse{RequirementID: EvidenceRequirementID(e.Kind), Value: !lacking[e.Kind]})
	}
	return out
}
