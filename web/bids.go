package web

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/internal/tender"
)

// bidResponse is a bid as its vendor (and, after close, the agency) sees it.
type bidResponse struct {
	ID             string              `json:"id"`
	SolicitationID string              `json:"solicitation_id"`
	VendorOrgID    string              `json:"vendor_org_id"`
	SubmittedAt    time.Time           `json:"submitted_at"`
	Candidates     []candidateResponse `json:"candidates"`
}

type candidateResponse struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	ManifestHash string          `json:"manifest_hash"`
	Manifest     domain.Manifest `json:"manifest"`
	// Format and Unmapped answer a submission: the format the candidate was
	// read in, and what it said that the manifest has no place for, so the
	// vendor sees what the checks did not read.
	Format   manifest.Format     `json:"format,omitempty"`
	Unmapped []manifest.Unmapped `json:"unmapped,omitempty"`
}

func toBidResponse(b domain.Bid) bidResponse {
	r := bidResponse{ID: b.ID, SolicitationID: b.SolicitationID, VendorOrgID: b.VendorOrgID, SubmittedAt: b.SubmittedAt}
	for _, c := range b.Candidates {
		r.Candidates = append(r.Candidates, candidateResponse{ID: c.ID, Name: c.Name, ManifestHash: c.ManifestHash, Manifest: c.Manifest})
	}
	return r
}

// submittedResponse is the answer to a submission or revision: the bid, and
// for each candidate the format it was read in and its unmapped fields.
func submittedResponse(sub tender.SubmittedBid) bidResponse {
	r := toBidResponse(sub.Bid)
	for i := range r.Candidates {
		r.Candidates[i].Format, r.Candidates[i].Unmapped = sub.Parsed[i].Format, sub.Parsed[i].Unmapped
	}
	return r
}

func (s *Server) submitBid(c echo.Context, u domain.User, b tender.BidSubmission) (bidResponse, error) {
	b.IdempotencyKey = c.Request().Header.Get(idempotencyKey)
	sub, err := s.svc.SubmitBid(c.Request().Context(), u, c.Param("id"), b)
	if err != nil {
		return bidResponse{}, err
	}
	return submittedResponse(sub), nil
}

func (s *Server) reviseBid(c echo.Context, u domain.User, b tender.BidSubmission) (any, error) {
	sub, err := s.svc.Revise(c.Request().Context(), u, c.Param("id"), b)
	if err != nil {
		return nil, err
	}
	return map[string]any{"bid": submittedResponse(sub), "prechecks": sub.Prechecks}, nil
}

func bidStatus(b domain.Bid, err error) (any, error) {
	return map[string]any{"id": b.ID, "status": b.Status, "revision": b.Revision}, err
}

func (s *Server) withdrawBid(c echo.Context, u domain.User) (any, error) {
	return bidStatus(s.svc.Withdraw(c.Request().Context(), u, c.Param("id")))
}

func (s *Server) confirmBid(c echo.Context, u domain.User) (any, error) {
	return bidStatus(s.svc.Confirm(c.Request().Context(), u, c.Param("id")))
}

func (s *Server) getBid(c echo.Context, u domain.User) (bidResponse, error) {
	b, err := s.svc.Bid(c.Request().Context(), u, c.Param("id"))
	return toBidResponse(b), err
}

func (s *Server) bidEvaluations(c echo.Context, u domain.User) (any, error) {
	evals, err := s.svc.Evaluations(c.Request().Context(), u, c.Param("id"))
	return map[string]any{"bid_id": c.Param("id"), "evaluations": evals}, err
}

func (s *Server) listBids(c echo.Context, u domain.User) (any, error) {
	limit := 0 // the service's default page
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, domain.Errorf(domain.ErrInvalid, "limit=%q is not a whole number of bids: ask for 1 to %d", v, tender.MaxBidPage)
		}
		limit = n
	}
	page, err := s.svc.Bids(c.Request().Context(), u, c.Param("id"), c.QueryParam("after"), limit)
	out := map[string]any{"solicitation_id": c.Param("id"), "bids": page.Bids}
	if page.Next != "" {
		out["next"] = page.Next
	}
	return out, err
}

func (s *Server) precheck(c echo.Context, u domain.User) (any, error) {
	checks, err := s.svc.Prechecks(c.Request().Context(), u, c.Param("id"))
	return map[string]any{"bid_id": c.Param("id"), "prechecks": checks}, err
}

func (s *Server) listClarifications(c echo.Context, u domain.User) (any, error) {
	cl, err := s.svc.Clarifications(c.Request().Context(), u, c.Param("id"))
	return map[string]any{"bid_id": c.Param("id"), "clarifications": cl}, err
}
