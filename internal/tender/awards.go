package tender

import (
	"context"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// Ranking is the qualified candidates of a closed solicitation, best first,
// with the weights that ranked them.
func (s *Service) Ranking(ctx context.Context, u domain.User, solicitationID string) (domain.Solicitation, []domain.RankedCandidate, error) {
	if err := s.Authorize(ctx, u, "ranking:read"); err != nil {
		return domain.Solicitation{}, nil, err
	}
	sol, err := s.closedSolicitation(ctx, u, solicitationID)
	if err != nil {
		return sol, nil, err
	}
	r, err := s.Store.Ranking(ctx, sol.ID)
	return sol, nonNil(r), err
}

// closedSolicitation loads a solicitation whose bids are open to the agency.
func (s *Service) closedSolicitation(ctx context.Context, u domain.User, id string) (domain.Solicitation, error) {
	sol, err := s.visibleSolicitation(ctx, u, id)
	if err != nil {
		return sol, err
	}
	return sol, requireClosed(sol)
}

// FitScore is the officer's 0-100 score of a qualified candidate's fit for
// the use case, with a note that justifies it.
type FitScore struct {
	CandidateID string   `json:"candidate_id"`
	Score       *float64 `json:"score"`
	Note        string   `json:"note"`
}

// ScoreFit records the officer's fit score and returns the new ranking.
func (s *Service) ScoreFit(ctx context.Context, u domain.User, solicitationID string, f FitScore) ([]domain.RankedCandidate, error) {
	var out []domain.RankedCandidate
	if err := required(map[string]string{"candidate_id": f.CandidateID, "note": f.Note}); err != nil {
		return out, err
	}
	if f.Score == nil {
		return out, domain.InvalidFields("the fit score is missing", []domain.FieldError{{Field: "score", Message: "give a score from 0 to 100"}})
	}
	return out, s.running(ctx, u, "award:recommend", solicitationID, true, contract.ScoreFitUpdate,
		contract.FitRequest{Actor: actor(u), CandidateID: f.CandidateID, Score: *f.Score, Note: f.Note}, &out)
}

// Recommendation is the officer's recommended award and its rationale.
type Recommendation struct {
	CandidateID string `json:"candidate_id"`
	Rationale   string `json:"rationale"`
}

// RecommendAward sends the officer's recommendation for approval by reviewers.
func (s *Service) RecommendAward(ctx context.Context, u domain.User, solicitationID string, r Recommendation) (domain.Award, error) {
	var out domain.Award
	if err := required(map[string]string{"candidate_id": r.CandidateID, "rationale": r.Rationale}); err != nil {
		return out, err
	}
	err := s.running(ctx, u, "award:recommend", solicitationID, true, contract.RecommendAwardUpdate,
		contract.RecommendRequest{Actor: actor(u), AwardID: domain.NewID("awd"), CandidateID: r.CandidateID, Rationale: r.Rationale}, &out)
	if err != nil {
		return out, err
	}
	// The award is stored by then, and its pin with it.
	stored, err := s.Store.Award(ctx, out.ID)
	out.Pin = stored.Pin
	return out, err
}

// Awards lists a closed solicitation's awards.
func (s *Service) Awards(ctx context.Context, u domain.User, solicitationID string) ([]domain.Award, error) {
	if err := s.Authorize(ctx, u, "solicitation:read"); err != nil {
		return nil, err
	}
	sol, err := s.closedSolicitation(ctx, u, solicitationID)
	if err != nil {
		return nil, err
	}
	awards, err := s.Store.Awards(ctx, sol.ID)
	if err != nil {
		return nil, err
	}
	pins, err := s.Store.AwardPins(ctx, sol.ID)
	for i := range awards {
		awards[i].Pin = pins[awards[i].ID]
	}
	return nonNil(awards), err
}

// Protest is a losing vendor's protest of an award during the standstill.
func (s *Service) Protest(ctx context.Context, u domain.User, solicitationID, grounds string) (domain.Protest, error) {
	var out domain.Protest
	if err := required(map[string]string{"grounds": grounds}); err != nil {
		return out, err
	}
	return out, s.running(ctx, u, "protest:file", solicitationID, true, contract.FileProtestUpdate,
		contract.ProtestRequest{Actor: actor(u), ID: domain.NewID("prt"), Grounds: grounds}, &out)
}

// ProtestDecision is the officer's written decision on a protest:
// outcome upheld or dismissed.
type ProtestDecision struct {
	Outcome  string `json:"outcome"`
	Decision string `json:"decision"`
}

// DecideProtest records the officer's decision on a protest; an upheld
// protest revokes the award.
func (s *Service) DecideProtest(ctx context.Context, u domain.User, solicitationID, protestID string, d ProtestDecision) (domain.Protest, error) {
	var out domain.Protest
	if err := required(map[string]string{"outcome": d.Outcome, "decision": d.Decision}); err != nil {
		return out, err
	}
	return out, s.running(ctx, u, "protest:decide", solicitationID, true, contract.ResolveProtestUpdate,
		contract.ResolveProtestRequest{Actor: actor(u), ProtestID: protestID, Outcome: d.Outcome, Decision: d.Decision}, &out)
}

// Protests shows the agency every protest and a vendor its own.
func (s *Service) Protests(ctx context.Context, u domain.User, solicitationID string) ([]domain.Protest, error) {
	if err := s.Authorize(ctx, u, "protest:read"); err != nil {
		return nil, err
	}
	sol, err := s.closedSolicitation(ctx, u, solicitationID)
	if err != nil {
		return nil, err
	}
	ps, err := s.Store.Protests(ctx, sol.ID)
	visible := make([]domain.Protest, 0, len(ps))
	for _, p := range ps {
		if u.Role != domain.RoleVendor || p.VendorOrgID == u.OrgID {
			visible = append(visible, p)
		}
	}
	return visible, err
}
