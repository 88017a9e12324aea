package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/client"

	"github.com/modeltender/modeltender/activities/license"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/workflows"
)

// bidRequest is the body of POST /solicitations/{id}/bids: native manifests,
// one per candidate model.
type bidRequest struct {
	Candidates []json.RawMessage `json:"candidates"`
	// Price is the vendor's price for the bid; ranking weighs it.
	Price *domain.Money `json:"price,omitempty"`
}

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
}

func toBidResponse(b domain.Bid) bidResponse {
	r := bidResponse{ID: b.ID, SolicitationID: b.SolicitationID, VendorOrgID: b.VendorOrgID, SubmittedAt: b.SubmittedAt}
	for _, c := range b.Candidates {
		r.Candidates = append(r.Candidates, candidateResponse{ID: c.ID, Name: c.Name, ManifestHash: c.ManifestHash, Manifest: c.Manifest})
	}
	return r
}

// parseBid validates every manifest of a bid and collects every error, so
// the vendor can fix them all in one go.
func (s *Server) parseBid(req bidRequest) ([]domain.Manifest, error) {
	if len(req.Candidates) == 0 {
		return nil, domain.InvalidFields("the bid has no candidates", []domain.FieldError{{Field: "candidates", Message: "add at least one candidate model manifest"}})
	}
	var fields []domain.FieldError
	var manifests []domain.Manifest
	for i, raw := range req.Candidates {
		path := fmt.Sprintf("candidates[%d]", i)
		m, err := manifest.ParseJSON(raw, path)
		if err != nil {
			de := asDomainError(err)
			fields = append(fields, de.Fields...)
			continue
		}
		for _, fe := range license.ValidateManifestLicenses(m) {
			fields = append(fields, domain.FieldError{Field: path + "." + fe.Path, Message: fe.Message})
		}
		manifests = append(manifests, m)
	}
	if len(fields) > 0 {
		return nil, domain.InvalidFields(fmt.Sprintf("the bid was not accepted: %d problem(s) in its manifests (see errors; the manifest schema is at /api/v1/schemas/manifest.json); fix them and submit again", len(fields)), fields)
	}
	return manifests, nil
}

func (s *Server) submitBid(c echo.Context) error {
	u, err := s.authorize(c, "bid:submit")
	if err != nil {
		return err
	}
	if err := requireVendorOrg(u); err != nil {
		return err
	}
	var req bidRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	bid, err := s.submit(c.Request().Context(), u, c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toBidResponse(bid))
}

func requireVendorOrg(u domain.User) error {
	if u.OrgID == "" {
		return domain.Errorf(domain.ErrForbidden, "your vendor user belongs to no organisation: recreate it with `modeltender users add --role vendor --org COMPANY`")
	}
	return nil
}

// submit validates a bid's manifests and hands the bid to the solicitation's
// workflow; the API and the web form both submit through it.
func (s *Server) submit(ctx context.Context, u domain.User, solicitationID string, req bidRequest) (domain.Bid, error) {
	if err := requireVendorOrg(u); err != nil {
		return domain.Bid{}, err
	}
	manifests, err := s.parseBid(req)
	if err != nil {
		return domain.Bid{}, err
	}
	sol, err := s.visibleSolicitation(ctx, u, solicitationID)
	if err != nil {
		return domain.Bid{}, err
	}
	if sol.Status == domain.SolicitationDraft {
		return domain.Bid{}, domain.Errorf(domain.ErrConflict, "solicitation %s is not published yet: bids open when the officer publishes it", sol.ID)
	}
	now := s.deps.Now().UTC()
	if sol.Status != domain.SolicitationPublished || !now.Before(sol.Deadline) {
		return domain.Bid{}, domain.Errorf(domain.ErrDeadlinePassed, "the deadline for solicitation %s passed at %s; bids are no longer accepted", sol.ID, sol.Deadline.Format(time.RFC3339))
	}
	if err := validPrice(req.Price); err != nil {
		return domain.Bid{}, err
	}
	bid := domain.Bid{ID: domain.NewID("bid"), SolicitationID: sol.ID, VendorOrgID: u.OrgID, SubmittedBy: u.ID, SubmittedAt: now, Price: req.Price}
	for _, m := range manifests {
		bid.Candidates = append(bid.Candidates, domain.Candidate{
			ID: domain.NewID("cnd"), BidID: bid.ID, Name: m.Name, ManifestHash: manifest.Hash(m), Manifest: m,
		})
	}
	// The workflow's validator is the authority on the deadline: it refuses a
	// late bid before anything is written.
	handle, err := s.deps.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.SolicitationWorkflowID(sol.ID),
		UpdateName:   workflows.SubmitBidUpdate,
		Args:         []any{workflows.SubmitBidRequest{Bid: bid, SubmitterRole: u.Role}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return bid, s.workflowError(err, sol)
	}
	if err := handle.Get(ctx, nil); err != nil {
		return bid, s.workflowError(err, sol)
	}
	return bid, nil
}

// workflowError explains an update that did not reach a running solicitation.
func (s *Server) workflowError(err error, sol domain.Solicitation) error {
	de := asDomainError(err)
	if de.Kind == domain.ErrInternal {
		if isNotFound(err) {
			return domain.Errorf(domain.ErrDeadlinePassed, "solicitation %s is closed; bids are no longer accepted", sol.ID)
		}
	}
	return de
}

// visibleBid loads the bid named by the :id path parameter under the sealed-bid rule.
func (s *Server) visibleBid(c echo.Context) (domain.Bid, error) {
	return s.sealedBid(c.Request().Context(), userOf(c), c.Param("id"))
}

// sealedBid loads a bid and applies the sealed-bid rule: its vendor sees it
// at any time; the agency's officers, reviewers and auditors only after close.
func (s *Server) sealedBid(ctx context.Context, u domain.User, id string) (domain.Bid, error) {
	b, err := s.deps.Store.Bid(ctx, id)
	if err != nil {
		return b, err
	}
	if u.Role == domain.RoleVendor {
		if b.VendorOrgID != u.OrgID {
			return b, domain.Errorf(domain.ErrNotFound, "no bid %s", b.ID)
		}
		return b, nil
	}
	sol, err := s.deps.Store.Solicitation(ctx, b.SolicitationID)
	if err != nil {
		return b, err
	}
	if sol.Status == domain.SolicitationPublished {
		return b, domain.Errorf(domain.ErrForbidden, "bid %s is sealed until the deadline (%s); it opens when the solicitation closes", b.ID, sol.Deadline.Format(time.RFC3339))
	}
	return b, nil
}

func (s *Server) getBid(c echo.Context) error {
	if _, err := s.authorize(c, "bid:read"); err != nil {
		return err
	}
	b, err := s.visibleBid(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toBidResponse(b))
}

func (s *Server) bidEvaluations(c echo.Context) error {
	if _, err := s.authorize(c, "evaluation:read"); err != nil {
		return err
	}
	b, err := s.visibleBid(c)
	if err != nil {
		return err
	}
	evals, err := s.deps.Store.EvaluationsForBid(c.Request().Context(), b.ID)
	if err != nil {
		return err
	}
	if evals == nil {
		evals = []store.EvaluationView{}
	}
	return c.JSON(http.StatusOK, map[string]any{"bid_id": b.ID, "evaluations": evals})
}

// listBids shows a vendor its own bids at any time, and the agency every bid
// once the solicitation has closed.
func (s *Server) listBids(c echo.Context) error {
	u, err := s.authorize(c, "bid:read")
	if err != nil {
		return err
	}
	sol, err := s.solicitation(c)
	if err != nil {
		return err
	}
	vendorOrg := ""
	if u.Role == domain.RoleVendor {
		vendorOrg = u.OrgID
	} else if sol.Status == domain.SolicitationPublished {
		return domain.Errorf(domain.ErrForbidden, "bids on %s are sealed until the deadline (%s)", sol.ID, sol.Deadline.Format(time.RFC3339))
	}
	bids, err := s.deps.Store.BidsForSolicitation(c.Request().Context(), sol.ID, vendorOrg)
	if err != nil {
		return err
	}
	if bids == nil {
		bids = []store.BidSummary{}
	}
	return c.JSON(http.StatusOK, map[string]any{"solicitation_id": sol.ID, "bids": bids})
}
