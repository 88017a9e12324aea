package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/client"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/licensing"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/internal/store"
)

// bidRequest is the body of POST /solicitations/{id}/bids and of
// POST /bids/{id}/revisions: one entry per candidate model, each a native
// manifest object or a candidateFile.
type bidRequest struct {
	Candidates []json.RawMessage `json:"candidates"`
	// Price is the vendor's price for the bid; ranking weighs it.
	Price *domain.Money `json:"price,omitempty"`
}

// candidateFile is a candidate in another format, sent as the file's text:
// a Model Openness Tool model YAML, a CycloneDX ML-BOM, or a native manifest.
type candidateFile struct {
	Format  manifest.Format `json:"format"`
	Content *string         `json:"content"`
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
func submittedResponse(b domain.Bid, parsed []manifest.Candidate) bidResponse {
	r := toBidResponse(b)
	for i := range r.Candidates {
		r.Candidates[i].Format, r.Candidates[i].Unmapped = parsed[i].Format, parsed[i].Unmapped
	}
	return r
}

// newCandidates makes the bid's candidates from its parsed manifests.
func newCandidates(bidID string, parsed []manifest.Candidate) []domain.Candidate {
	var out []domain.Candidate
	for _, c := range parsed {
		m := c.Manifest
		out = append(out, domain.Candidate{ID: domain.NewID("cnd"), BidID: bidID, Name: m.Name, ManifestHash: manifest.Hash(m), Manifest: m})
	}
	return out
}

// parseBid reads and validates every candidate of a bid and collects every
// error, so the vendor can fix them all in one go.
func (s *Server) parseBid(req bidRequest) ([]manifest.Candidate, error) {
	if len(req.Candidates) == 0 {
		return nil, domain.InvalidFields("the bid has no candidates", []domain.FieldError{{Field: "candidates", Message: "add at least one candidate model manifest"}})
	}
	var fields []domain.FieldError
	var parsed []manifest.Candidate
	for i, raw := range req.Candidates {
		c, errs := checkCandidate(raw, fmt.Sprintf("candidates[%d]", i))
		fields = append(fields, errs...)
		if len(errs) == 0 {
			parsed = append(parsed, c)
		}
	}
	if len(fields) > 0 {
		return nil, domain.InvalidFields(fmt.Sprintf("the bid was not accepted: %d problem(s) in its manifests (see errors; the manifest schema is at /api/v1/schemas/manifest.json); fix them and submit again", len(fields)), fields)
	}
	return parsed, nil
}

// checkCandidate reads one candidate (parseCandidate) and checks a native
// manifest's license expressions, returning every problem as a field error
// under path. Bids and amended manifests in clarification answers go
// through it alike.
func checkCandidate(raw json.RawMessage, path string) (manifest.Candidate, []domain.FieldError) {
	c, err := parseCandidate(raw, path)
	if err != nil {
		de := asDomainError(err)
		if len(de.Fields) == 0 {
			de.Fields = []domain.FieldError{{Field: path, Message: de.Message}}
		}
		return c, de.Fields
	}
	var fields []domain.FieldError
	if c.Format == manifest.FormatNative {
		// MOF and CycloneDX files may name licenses in free text, as their
		// formats allow; the license review and the openness finding say
		// which to correct.
		for _, fe := range licensing.ValidateManifestLicenses(c.Manifest) {
			fields = append(fields, domain.FieldError{Field: path + "." + fe.Path, Message: fe.Message})
		}
	}
	return c, fields
}

// parseCandidate reads one candidate: a native manifest object, or a
// candidateFile, told apart by its "format" member (the manifest has none).
func parseCandidate(raw json.RawMessage, path string) (manifest.Candidate, error) {
	var probe struct {
		Format json.RawMessage `json:"format"`
	}
	if json.Unmarshal(raw, &probe) != nil || probe.Format == nil {
		return manifest.Parse(raw, manifest.FormatNative, path)
	}
	var f candidateFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return manifest.Candidate{}, domain.InvalidFields("a candidate file is malformed", []domain.FieldError{{Field: path,
			Message: fmt.Sprintf(`%v; give {"format": "mof"|"cyclonedx"|"manifest", "content": "<the file as a string>"} or a native manifest object`, err)}})
	}
	format, err := manifest.ParseFormat(string(f.Format))
	if err != nil {
		return manifest.Candidate{}, domain.InvalidFields("a candidate file has an unknown format", []domain.FieldError{{Field: path + ".format", Message: err.Error()}})
	}
	if f.Content == nil {
		return manifest.Candidate{}, domain.InvalidFields("a candidate file has no content", []domain.FieldError{{Field: path + ".content",
			Message: "give the file's text as a JSON string"}})
	}
	return manifest.Parse([]byte(*f.Content), format, path)
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
	parsed, err := s.parseBid(req)
	if err != nil {
		return err
	}
	bid, err := s.submitParsed(c.Request().Context(), u, c.Param("id"), req.Price, parsed)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, submittedResponse(bid, parsed))
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
	parsed, err := s.parseBid(req)
	if err != nil {
		return domain.Bid{}, err
	}
	return s.submitParsed(ctx, u, solicitationID, req.Price, parsed)
}

// submitParsed hands a bid whose candidates are parsed to the solicitation's workflow.
func (s *Server) submitParsed(ctx context.Context, u domain.User, solicitationID string, price *domain.Money, parsed []manifest.Candidate) (domain.Bid, error) {
	sol, err := s.visibleSolicitation(ctx, u, solicitationID)
	if err != nil {
		return domain.Bid{}, err
	}
	if sol.Status == domain.SolicitationDraft {
		return domain.Bid{}, domain.Errorf(domain.ErrConflict, "solicitation %s is not published yet: bids open when the officer publishes it", sol.ID)
	}
	now := s.deps.Now().UTC()
	if !sol.Status.AcceptsBids() || !now.Before(sol.Deadline) {
		return domain.Bid{}, domain.Errorf(domain.ErrDeadlinePassed, "the deadline for solicitation %s passed at %s; bids are no longer accepted", sol.ID, sol.Deadline.Format(time.RFC3339))
	}
	if err := validPrice(price); err != nil {
		return domain.Bid{}, err
	}
	bid := domain.Bid{ID: domain.NewID("bid"), SolicitationID: sol.ID, VendorOrgID: u.OrgID, SubmittedBy: u.ID, SubmittedAt: now, Price: price}
	bid.Candidates = newCandidates(bid.ID, parsed)
	// The workflow's validator is the authority on the deadline: it refuses a
	// late bid before anything is written.
	handle, err := s.deps.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   contract.SolicitationWorkflowID(sol.ID),
		UpdateName:   contract.SubmitBidUpdate,
		Args:         []any{contract.SubmitBidRequest{Bid: bid, SubmitterRole: u.Role}},
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
	if sol.Status.AcceptsBids() {
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
	} else if sol.Status.AcceptsBids() {
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
