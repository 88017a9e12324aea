package activities

import (
	"context"
	"slices"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/ocds"
	"github.com/modeltender/modeltender/policies"
)

// noticeRecord adds to n what the system of record holds beyond the tender
// and its bids: the evidence the risk tier demands (published as criteria),
// the policy packs the solicitation applies (published as criteria), each
// bid's price (which ocds.Build publishes only where the visibility table
// lets the public see prices) and its responses to the requirements
// (published once the award stands), the awards' standstill and the
// protests. ocds.Build decides what each state discloses.
func (a *Activities) noticeRecord(ctx context.Context, n *ocds.Notice) error {
	sol := n.Solicitation
	evidence, err := baselineEvidence(sol.RiskTier)
	if err != nil {
		return err
	}
	n.RequiredEvidence = evidence
	catalogue, err := a.Check.Packs(ctx, sol.PolicyRevision)
	if err != nil {
		return err
	}
	n.Packs = policies.Selected(catalogue, sol.Packs, sol.RiskTier)
	orgs := map[string]ocds.Organisation{}
	for i := range n.Bids {
		b := &n.Bids[i]
		orgs[b.Tenderer.ID] = b.Tenderer
		bid, err := a.Store.Bid(ctx, b.ID)
		if err != nil {
			return err
		}
		if bid.Price != nil {
			b.Price = &ocds.Value{Amount: bid.Price.Amount, Currency: bid.Price.Currency}
		}
		evals, err := a.Store.EvaluationsForBid(ctx, b.ID)
		if err != nil {
			return err
		}
		var results []ocds.CandidateResult
		for _, e := range evals {
			r := ocds.CandidateResult{Qualified: e.Outcome != nil && *e.Outcome == domain.OutcomeQualified}
			for _, st := range e.Stages {
				settled := st.Status == domain.StagePassed || st.Status == domain.StageFailed
				switch {
				case st.Stage == domain.StageLicense && settled:
					r.License = st.Status
				case st.Stage == domain.StagePolicy && settled:
					r.PolicyRan, r.PolicyFindings = true, st.Findings
					r.OpennessClass, _ = st.Detail["openness_class"].(string)
				}
			}
			results = append(results, r)
		}
		b.Responses = ocds.ResponsesFrom(sol, results, evidence, n.Packs)
	}

	awards, err := a.Store.Awards(ctx, sol.ID)
	if err != nil {
		return err
	}
	for i := range n.Awards {
		if j := slices.IndexFunc(awards, func(aw domain.Award) bool { return aw.ID == n.Awards[i].ID }); j >= 0 {
			n.Awards[i].StandstillUntil = awards[j].StandstillUntil
		}
	}
	protests, err := a.Store.Protests(ctx, sol.ID)
	if err != nil {
		return err
	}
	for _, p := range protests {
		vendor, ok := orgs[p.VendorOrgID]
		if !ok {
			o, err := a.Store.Organisation(ctx, p.VendorOrgID)
			if err != nil {
				return err
			}
			vendor = ocds.Organisation{ID: o.ID, Name: o.Name}
		}
		n.Protests = append(n.Protests, ocds.Protest{ID: p.ID, AwardID: p.AwardID, Vendor: vendor, FiledAt: p.FiledAt,
			Outcome: p.Outcome, Decision: p.Decision, DecidedAt: p.DecidedAt})
	}
	return nil
}

// baselineEvidence is the evidence the embedded baseline demands of a risk
// tier, as the notice publishes it; the policy packs' additions are
// published with their packs.
func baselineEvidence(tier domain.RiskTier) ([]ocds.EvidenceRequirement, error) {
	reqs, err := policies.BaselineEvidenceAt(string(tier))
	if err != nil {
		return nil, err
	}
	var out []ocds.EvidenceRequirement
	for _, r := range reqs {
		out = append(out, ocds.EvidenceRequirement{Kind: r.Kind, Title: r.Title, Source: r.Source, MaxAgeMonths: r.MaxAgeMonths})
	}
	return out, nil
}
