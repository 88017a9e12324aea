package tender

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/licensing"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/internal/visibility"
)

// BidSubmission is a vendor's bid: the body of POST
// /solicitations/{id}/bids and of POST /bids/{id}/revisions, one entry per
// candidate model, each a native manifest object or a CandidateFile.
type BidSubmission struct {
	Candidates []json.RawMessage `json:"candidates"`
	// Price is the vendor's price for the bid; ranking weighs it.
	Price *domain.Money `json:"price,omitempty"`
	// Keep, on a revision, names current candidates of the bid to keep as
	// they are stored (not read again), before the new ones.
	Keep []string `json:"keep,omitempty"`
	// Attestations answer the contract terms the solicitation's policy
	// packs ask about, for every candidate of the bid that does not answer
	// them in its own manifest.
	Attestations []domain.Attestation `json:"attestations,omitempty"`
	// IdempotencyKey (the Idempotency-Key header) makes a retry after a
	// dropped connection get the bid it first submitted.
	IdempotencyKey string `json:"-"`
}

// CandidateFile is a candidate in another format, sent as the file's text:
// a Model Openness Tool model YAML, a CycloneDX ML-BOM, a Hugging Face
// model card, an SPDX 3 document or a native manifest. Evidence are safety
// evidence items sent beside the file (evidence.go), Signature the model's
// OMS model.sig (signing.go); the file is read as it is.
type CandidateFile struct {
	Format    manifest.Format       `json:"format"`
	Content   *string               `json:"content"`
	Evidence  []domain.EvidenceItem `json:"evidence,omitempty"`
	Signature string                `json:"signature,omitempty"`
}

// SubmittedBid is a bid as stored, with each candidate as it was read.
type SubmittedBid struct {
	Bid    domain.Bid
	Parsed []manifest.Candidate
	// Prechecks are the automated checks of a revision's candidates.
	Prechecks []domain.Precheck
}

// ParseBid reads and validates every candidate and the price of a bid and
// collects every error, so the vendor can fix them all in one go. SubmitBid
// and Revise run it; a form that could not even read its price runs it to
// show the candidates' problems beside that one.
func ParseBid(sub BidSubmission) ([]manifest.Candidate, error) {
	return parseBid(sub, nil)
}

// parseBid reads a bid's new candidates after the kept ones, which were
// read when they were bid.
func parseBid(sub BidSubmission, kept []manifest.Candidate) ([]manifest.Candidate, error) {
	if len(sub.Candidates) == 0 && len(kept) == 0 {
		return nil, domain.InvalidFields("the bid has no candidates", []domain.FieldError{{Field: "candidates", Message: "add at least one candidate model manifest"}})
	}
	var fields []domain.FieldError
	parsed := slices.Clone(kept)
	for i, raw := range sub.Candidates {
		cs, errs := readCandidate(raw, fmt.Sprintf("candidates[%d]", i))
		fields = append(fields, errs...)
		if len(errs) == 0 {
			parsed = append(parsed, cs...)
		}
	}
	if err := validPrice(sub.Price); err != nil {
		fields = append(fields, err.Fields...)
	}
	fields = append(fields, validAttestations(sub.Attestations)...)
	if len(fields) > 0 {
		return nil, domain.InvalidFields(fmt.Sprintf("the bid was not accepted: %d problem(s) in its manifests, listed field by field (the manifest schema is at /api/v1/schemas/manifest.json); fix them and submit again", len(fields)), fields)
	}
	attest(parsed, sub.Attestations)
	return parsed, nil
}

// readCandidate reads one entry of a bid (parseCandidate): one candidate,
// or one per AI package of an SPDX 3 document. It checks a native
// manifest's license expressions, returning every problem as a field error
// under path. Bids and amended manifests in clarification answers go
// through it alike.
func readCandidate(raw json.RawMessage, path string) ([]manifest.Candidate, []domain.FieldError) {
	cs, err := parseCandidate(raw, path)
	if err != nil {
		de, ok := err.(*domain.Error)
		if !ok {
			return nil, []domain.FieldError{{Field: path, Message: err.Error()}}
		}
		if len(de.Fields) == 0 {
			return nil, []domain.FieldError{{Field: path, Message: de.Message}}
		}
		return nil, de.Fields
	}
	var fields []domain.FieldError
	for _, c := range cs {
		if c.Format != manifest.FormatNative {
			// Other formats may name licenses in free text, as they allow;
			// the license review and the openness finding say which to correct.
			continue
		}
		for _, fe := range licensing.ValidateManifestLicenses(c.Manifest) {
			fields = append(fields, domain.FieldError{Field: path + "." + fe.Path, Message: fe.Message})
		}
	}
	return cs, fields
}

// parseCandidate reads one entry: a native manifest object, or a
// CandidateFile, told apart by its "format" member (the manifest has none).
func parseCandidate(raw json.RawMessage, path string) ([]manifest.Candidate, error) {
	var probe struct {
		Format json.RawMessage `json:"format"`
	}
	if json.Unmarshal(raw, &probe) != nil || probe.Format == nil {
		return manifest.ParseAll(raw, manifest.FormatNative, path)
	}
	var f CandidateFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, domain.InvalidFields("a candidate file is malformed", []domain.FieldError{{Field: path,
			Message: fmt.Sprintf(`%v; give {"format": "%s", "content": "<the file as a string>"} or a native manifest object`, err, manifest.FormatNames("|"))}})
	}
	format, err := manifest.ParseFormat(string(f.Format))
	if err != nil {
		return nil, domain.InvalidFields("a candidate file has an unknown format", []domain.FieldError{{Field: path + ".format", Message: err.Error()}})
	}
	if f.Content == nil {
		return nil, domain.InvalidFields("a candidate file has no content", []domain.FieldError{{Field: path + ".content",
			Message: "give the file's text as a JSON string"}})
	}
	if errs := checkEvidence(f.Evidence, path+".evidence"); len(errs) > 0 {
		return nil, domain.InvalidFields("the evidence beside a candidate file is not valid", errs)
	}
	cs, err := manifest.ParseAll([]byte(*f.Content), format, path)
	if err != nil {
		return nil, err
	}
	return withSignature(withEvidence(cs, f.Evidence), f.Signature, path)
}

func validPrice(p *domain.Money) *domain.Error {
	if p == nil {
		return nil
	}
	if p.Amount <= 0 || len(p.Currency) != 3 || strings.ToUpper(p.Currency) != p.Currency {
		return domain.InvalidFields("the price is not valid", []domain.FieldError{{Field: "price",
			Message: "give a positive amount and an ISO 4217 currency code, e.g. {\"amount\": 120000, \"currency\": \"USD\"}"}})
	}
	return nil
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

func requireVendorOrg(u domain.User) error {
	if u.OrgID == "" {
		return domain.Errorf(domain.ErrForbidden, "your vendor user belongs to no organisation: recreate it with `modeltender users add --role vendor --org COMPANY`")
	}
	return nil
}

// SubmitBid validates a bid's candidates and hands the bid to the
// solicitation's workflow, whose validator is the authority on the
// deadline: it refuses a late bid before anything is written.
func (s *Service) SubmitBid(ctx context.Context, u domain.User, solicitationID string, sub BidSubmission) (SubmittedBid, error) {
	if err := s.Authorize(ctx, u, "bid:submit"); err != nil {
		return SubmittedBid{}, err
	}
	if err := requireVendorOrg(u); err != nil {
		return SubmittedBid{}, err
	}
	parsed, err := ParseBid(sub)
	if err != nil {
		return SubmittedBid{}, err
	}
	sol, err := s.visibleSolicitation(ctx, u, solicitationID)
	if err != nil {
		return SubmittedBid{}, err
	}
	if sol.Status == domain.SolicitationDraft {
		return SubmittedBid{}, domain.Errorf(domain.ErrConflict, "solicitation %s is not published yet: bids open when the officer publishes it", sol.ID)
	}
	now := s.now()
	if !sol.Status.AcceptsBids() || !now.Before(sol.Deadline) {
		return SubmittedBid{}, domain.Errorf(domain.ErrDeadlinePassed, "the deadline for solicitation %s passed at %s; bids are no longer accepted", sol.ID, sol.Deadline.Format(time.RFC3339))
	}
	bid := domain.Bid{ID: domain.NewID("bid"), SolicitationID: sol.ID, VendorOrgID: u.OrgID, SubmittedBy: u.ID, SubmittedAt: now, Price: sub.Price}
	bid.Candidates = newCandidates(bid.ID, parsed)
	var res contract.BidResult
	err = s.update(ctx, contract.SolicitationWorkflowID(sol.ID), contract.SubmitBidUpdate,
		contract.SubmitBidRequest{Bid: bid, SubmitterRole: u.Role, IdempotencyKey: sub.IdempotencyKey}, &res)
	if errors.Is(err, errFinished) {
		err = domain.Errorf(domain.ErrDeadlinePassed, "solicitation %s is closed; bids are no longer accepted", sol.ID)
	}
	if err == nil && res.BidID != "" && res.BidID != bid.ID {
		// A retry: the workflow answered with the bid the key first made.
		if bid, err = s.Store.Bid(ctx, res.BidID); err != nil {
			return SubmittedBid{}, err
		}
	}
	return SubmittedBid{Bid: bid, Parsed: parsed, Prechecks: res.Prechecks}, err
}

// Revise replaces the candidates (and price) of a vendor's own bid before
// the deadline.
func (s *Service) Revise(ctx context.Context, u domain.User, bidID string, sub BidSubmission) (SubmittedBid, error) {
	if err := s.Authorize(ctx, u, "bid:submit"); err != nil {
		return SubmittedBid{}, err
	}
	var kept []manifest.Candidate
	if len(sub.Keep) > 0 {
		old, err := s.ownBid(ctx, u, bidID)
		if err != nil {
			return SubmittedBid{}, err
		}
		for _, id := range slices.Compact(slices.Clone(sub.Keep)) {
			i := slices.IndexFunc(old.Candidates, func(c domain.Candidate) bool { return c.ID == id })
			if i < 0 {
				return SubmittedBid{}, domain.InvalidFields("the revision keeps a candidate the bid does not have",
					[]domain.FieldError{{Field: "keep", Message: fmt.Sprintf("candidate %s is not in bid %s's current revision: reload the bid and name one of its candidates", id, old.ID)}})
			}
			kept = append(kept, storedCandidate(old.Candidates[i]))
		}
	}
	parsed, err := parseBid(sub, kept)
	if err != nil {
		return SubmittedBid{}, err
	}
	return s.revise(ctx, u, bidID, parsed, sub.Price)
}

// storedCandidate is a stored candidate as a revision keeps it: the
// manifest it was read into when it was bid, with what intake found in its
// file, not read again.
func storedCandidate(c domain.Candidate) manifest.Candidate {
	return manifest.Candidate{Format: manifest.FormatNative, Manifest: c.Manifest, Unmapped: []manifest.Unmapped{}}
}

// revise sends the workflow a revision of the vendor's own bid made of
// candidates already read.
func (s *Service) revise(ctx context.Context, u domain.User, bidID string, parsed []manifest.Candidate, price *domain.Money) (SubmittedBid, error) {
	old, err := s.ownBid(ctx, u, bidID)
	if err != nil {
		return SubmittedBid{}, err
	}
	bid := domain.Bid{ID: old.ID, SolicitationID: old.SolicitationID, VendorOrgID: u.OrgID, SubmittedBy: u.ID,
		SubmittedAt: s.now(), Revision: old.Revision + 1, Price: price}
	bid.Candidates = newCandidates(bid.ID, parsed)
	var res contract.BidResult
	err = s.update(ctx, contract.SolicitationWorkflowID(old.SolicitationID), contract.ReviseBidUpdate,
		contract.SubmitBidRequest{Bid: bid, SubmitterRole: u.Role}, &res)
	return SubmittedBid{Bid: bid, Parsed: parsed, Prechecks: res.Prechecks}, err
}

// Withdraw withdraws a vendor's own bid before the deadline.
func (s *Service) Withdraw(ctx context.Context, u domain.User, bidID string) (domain.Bid, error) {
	return s.changeBid(ctx, u, bidID, contract.WithdrawBidUpdate)
}

// Confirm confirms a vendor's own bid against the latest amendment.
func (s *Service) Confirm(ctx context.Context, u domain.User, bidID string) (domain.Bid, error) {
	return s.changeBid(ctx, u, bidID, contract.ConfirmBidUpdate)
}

func (s *Service) changeBid(ctx context.Context, u domain.User, bidID, update string) (domain.Bid, error) {
	if err := s.Authorize(ctx, u, "bid:submit"); err != nil {
		return domain.Bid{}, err
	}
	b, err := s.ownBid(ctx, u, bidID)
	if err != nil {
		return b, err
	}
	if err := s.update(ctx, contract.SolicitationWorkflowID(b.SolicitationID), update,
		contract.BidAction{Actor: actor(u), BidID: b.ID}, nil); err != nil {
		return b, err
	}
	return s.Store.Bid(ctx, b.ID)
}

// OwnBid loads a bid of the vendor's own organisation.
func (s *Service) OwnBid(ctx context.Context, u domain.User, id string) (domain.Bid, error) {
	if err := s.Authorize(ctx, u, "bid:submit"); err != nil {
		return domain.Bid{}, err
	}
	return s.ownBid(ctx, u, id)
}

func (s *Service) ownBid(ctx context.Context, u domain.User, id string) (domain.Bid, error) {
	if err := requireVendorOrg(u); err != nil {
		return domain.Bid{}, err
	}
	b, err := s.Store.Bid(ctx, id)
	if err != nil {
		return b, err
	}
	if b.VendorOrgID != u.OrgID {
		return b, domain.Errorf(domain.ErrNotFound, "no bid %s", b.ID)
	}
	return b, nil
}

// Bid loads a bid under the sealed-bid rule (internal/visibility): its
// vendor sees it at any time; the agency's officers, reviewers and auditors
// once bids are opened, which a cancellation before the deadline never does.
func (s *Service) Bid(ctx context.Context, u domain.User, id string) (domain.Bid, error) {
	if err := s.Authorize(ctx, u, "bid:read"); err != nil {
		return domain.Bid{}, err
	}
	return s.sealedBid(ctx, u, id, visibility.Manifests)
}

// sealedBid loads a bid whose field f u may see.
func (s *Service) sealedBid(ctx context.Context, u domain.User, id string, f visibility.Field) (domain.Bid, error) {
	b, err := s.Store.Bid(ctx, id)
	if err != nil {
		return b, err
	}
	sol, err := s.Store.Solicitation(ctx, b.SolicitationID)
	if err != nil {
		return b, err
	}
	if err := seeBid(u, sol, b.VendorOrgID, b.Status, f, "bid "+b.ID); err != nil {
		return domain.Bid{}, err
	}
	return b, nil
}

// Evaluations lists the evaluations of a bid's candidates, under the
// sealed-bid rule.
func (s *Service) Evaluations(ctx context.Context, u domain.User, bidID string) ([]store.EvaluationView, error) {
	if err := s.Authorize(ctx, u, "evaluation:read"); err != nil {
		return nil, err
	}
	b, err := s.sealedBid(ctx, u, bidID, visibility.Evaluations)
	if err != nil {
		return nil, err
	}
	evals, err := s.Store.EvaluationsForBid(ctx, b.ID)
	return nonNil(evals), err
}

// MaxBidPage is the most bids one page of Bids lists.
const MaxBidPage = store.MaxBidPage

// Bids shows a vendor its own bids at any time, and the agency every bid
// once the solicitation has closed, a page of limit bids (0: the default
// page) after the cursor ("": the first page).

func (s *Service) Bids(ctx context.Context, u domain.User, solicitationID, after string, limit int) (store.BidPage, error) {
	if err := s.Authorize(ctx, u, "bid:read"); err != nil {
		return store.BidPage{}, err
	}
	sol, err := s.visibleSolicitation(ctx, u, solicitationID)
	if err != nil {
		return store.BidPage{}, err
	}
	vendorOrg := ""
	if visibility.VendorSide(u) {
		vendorOrg = u.OrgID
	} else if err := see(u, sol, "", visibility.Candidates, "every bid on solicitation "+sol.ID); err != nil {
		return store.BidPage{}, err
	}
	if limit == 0 {
		limit = store.DefaultBidPage
	}
	page, err := s.Store.BidsPage(ctx, sol.ID, vendorOrg, after, limit)
	visible := make([]store.BidSummary, 0, len(page.Bids))
	for _, b := range page.Bids {
		if seesBid(u, sol, b.VendorOrgID, b.Status, visibility.Candidates) {
			visible = append(visible, b)
		}
	}
	page.Bids = visible
	return page, err
}

// Prechecks shows a vendor's users the automated checks of its own bid
// (visibility.Prechecks).
func (s *Service) Prechecks(ctx context.Context, u domain.User, bidID string) ([]domain.Precheck, error) {
	if err := s.Authorize(ctx, u, "bid:read"); err != nil {
		return nil, err
	}
	b, err := s.sealedBid(ctx, u, bidID, visibility.Prechecks)
	if err != nil {
		return nil, err
	}
	checks, err := s.Store.Prechecks(ctx, b.ID)
	return nonNil(checks), err
}

// Clarifications lists the clarifications asked on a bid's candidates,
// under the sealed-bid rule.
func (s *Service) Clarifications(ctx context.Context, u domain.User, bidID string) ([]domain.Clarification, error) {
	if err := s.Authorize(ctx, u, "bid:read"); err != nil {
		return nil, err
	}
	b, err := s.sealedBid(ctx, u, bidID, visibility.Clarifications)
	if err != nil {
		return nil, err
	}
	cl, err := s.Store.Clarifications(ctx, b.ID)
	return nonNil(cl), err
}
