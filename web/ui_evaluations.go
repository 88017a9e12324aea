package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
)

// evaluationsView is a set of candidates with their pipelines; Live says
// whether some are still in evaluation, so the page keeps refreshing.
type evaluationsView struct {
	Sol        domain.Solicitation
	BidID      string
	Candidates []candidateView
	Chart      scoreChart
	Live       bool
}

// candidateViews builds the views of a bid's candidates from the read model.
func (s *Server) candidateViews(ctx context.Context, b domain.Bid, vendor string) ([]candidateView, error) {
	evals, err := s.store.EvaluationsForBid(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	byCandidate := map[string]*store.EvaluationView{}
	for i := range evals {
		byCandidate[evals[i].CandidateID] = &evals[i]
	}
	var out []candidateView
	for _, c := range b.Candidates {
		out = append(out, newCandidateView(c, vendor, byCandidate[c.ID]))
	}
	return out, nil
}

func live(cands []candidateView) bool {
	for _, c := range cands {
		if !c.Done {
			return true
		}
	}
	return false
}

// boardPage is the officer's view after close: every candidate of every bid
// with its pipeline, refreshed by htmx while evaluations run.
func (s *Server) boardPage(c echo.Context) error {
	u, err := s.authorize(c, "evaluation:read")
	if err != nil {
		return err
	}
	if u.Role == domain.RoleVendor {
		return domain.Errorf(domain.ErrForbidden, "the evaluation board shows every vendor's bid: vendors see their own bids on the solicitation page")
	}
	ctx := c.Request().Context()
	sol, err := s.svc.Solicitation(ctx, u, c.Param("id"))
	if err != nil {
		return err
	}
	if sol.Status == domain.SolicitationDraft || sol.Status.AcceptsBids() {
		return domain.Errorf(domain.ErrForbidden, "bids on %q are sealed until the deadline (%s); the board opens when the solicitation closes", sol.Title, sol.Deadline.UTC().Format("2 Jan 2006 15:04 MST"))
	}
	bids, err := s.store.BidsForSolicitation(ctx, sol.ID, "")
	if err != nil {
		return err
	}
	v := evaluationsView{Sol: sol}
	for _, summary := range bids {
		b, err := s.store.Bid(ctx, summary.ID)
		if err != nil {
			return err
		}
		cands, err := s.candidateViews(ctx, b, summary.VendorName)
		if err != nil {
			return err
		}
		v.Candidates = append(v.Candidates, cands...)
	}
	v.Chart, v.Live = newScoreChart(v.Candidates), live(v.Candidates)
	return s.render(c, http.StatusOK, "board", "Evaluation board: "+sol.Title, v)
}
