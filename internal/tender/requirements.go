package tender

import (
	"context"
	"fmt"
	"slices"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/policies"
)

// Requirements are what a solicitation's policy packs ask of every
// candidate at its risk tier: the evidence to supply and the contract
// terms to attest, each with its source. Vendors see them on the bid form
// and through the API before they bid.
type Requirements struct {
	Packs        []policies.Pack            `json:"packs"`
	Evidence     []policies.PackEvidence    `json:"evidence"`
	Attestations []policies.PackAttestation `json:"attestations"`
}

// requirements gathers sol's requirements from the packs of the policy
// revision it froze at publication (a draft's from this process's
// catalogue). A solicitation that names no packs (published before packs
// were chosen in the draft) applies the defaults of its tier.
func (s *Service) requirements(ctx context.Context, sol domain.Solicitation) (Requirements, error) {
	catalogue := s.Packs
	if sol.PolicyRevision != "" {
		var err error
		if catalogue, err = s.Check.Packs(ctx, sol.PolicyRevision); err != nil {
			return Requirements{}, err
		}
	}
	r := Requirements{Packs: []policies.Pack{}, Evidence: []policies.PackEvidence{}, Attestations: []policies.PackAttestation{}}
	for _, p := range policies.Selected(catalogue, sol.Packs, sol.RiskTier) {
		r.Packs = append(r.Packs, p)
		for _, e := range p.Evidence {
			if policies.AppliesAt(e.Tiers, sol.RiskTier) && !slices.ContainsFunc(r.Evidence, func(x policies.PackEvidence) bool { return x.Kind == e.Kind }) {
				r.Evidence = append(r.Evidence, e)
			}
		}
		for _, a := range p.Attestations {
			if policies.AppliesAt(a.Tiers, sol.RiskTier) && !slices.ContainsFunc(r.Attestations, func(x policies.PackAttestation) bool { return x.Term == a.Term }) {
				r.Attestations = append(r.Attestations, a)
			}
		}
	}
	return r, nil
}

// Requirements is what the solicitation's packs ask of a bid, for anyone
// who may see the solicitation.
func (s *Service) Requirements(ctx context.Context, u domain.User, solicitationID string) (Requirements, error) {
	sol, err := s.Solicitation(ctx, u, solicitationID)
	if err != nil {
		return Requirements{}, err
	}
	return s.requirements(ctx, sol)
}

// attest gives every candidate the bid's attestations, each replacing the
// candidate's own answer to the same term: contract terms are the vendor's
// commitments for the whole bid, whatever format describes each model, and
// the latest answer (a revision's) is the one that binds.
func attest(parsed []manifest.Candidate, atts []domain.Attestation) {
	for i := range parsed {
		m := &parsed[i].Manifest
		for _, a := range atts {
			m.Attestations = slices.DeleteFunc(m.Attestations, func(x domain.Attestation) bool { return x.Term == a.Term })
			m.Attestations = append(m.Attestations, a)
		}
	}
}

// validAttestations names every attestation of a bid that is not a term
// answered yes or no.
func validAttestations(atts []domain.Attestation) []domain.FieldError {
	var errs []domain.FieldError
	for i, a := range atts {
		path := fmt.Sprintf("attestations[%d]", i)
		if a.Term == "" {
			errs = append(errs, domain.FieldError{Field: path + ".term", Message: "is required: name the contract term (see GET /api/v1/solicitations/{id}/requirements)"})
		}
		if a.Answer != domain.AnswerYes && a.Answer != domain.AnswerNo {
			errs = append(errs, domain.FieldError{Field: path + ".answer", Message: `must be "yes" or "no"`})
		}
	}
	return errs
}
