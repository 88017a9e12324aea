package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// SolicitationWorkflow: bidding: bids, their revision, withdrawal and confirmation, until the deadline.

func (s *solicitation) open(ctx workflow.Context) error {
	if s.cancelled {
		return rejection(domain.ErrConflict, "solicitation %s was cancelled: %s", s.in.SolicitationID, s.cancelReason)
	}
	if (s.status != domain.SolicitationPublished && s.status != domain.SolicitationBidding) || !workflow.Now(ctx).Before(s.deadline) {
		return rejection(domain.ErrDeadlinePassed, "the deadline for solicitation %s passed at %s; bids are no longer accepted",
			s.in.SolicitationID, s.deadline.UTC().Format(time.RFC3339))
	}
	return nil
}

func (s *solicitation) bidOf(id, vendorOrg string) (int, error) {
	i := slices.IndexFunc(s.bids, func(b domain.Bid) bool { return b.ID == id })
	if i < 0 || s.bids[i].VendorOrgID != vendorOrg {
		return -1, rejection(domain.ErrNotFound, "no bid %s of your organisation on this solicitation", id)
	}
	return i, nil
}

func (s *solicitation) validateBid(ctx workflow.Context, req contract.SubmitBidRequest) error {
	if req.SubmitterRole != domain.RoleVendor {
		return rejection(domain.ErrForbidden, "only vendors submit bids; you are signed in as %s", req.SubmitterRole)
	}
	if s.bidRepeat(req) != nil {
		return nil // a retry: it gets the first answer
	}
	if err := s.open(ctx); err != nil {
		return err
	}
	if len(req.Bid.Candidates) == 0 {
		return rejection(domain.ErrInvalid, "a bid needs at least one candidate model")
	}
	for _, b := range s.bids {
		if b.ID == req.Bid.ID {
			return rejection(domain.ErrConflict, "bid %s is already registered", b.ID)
		}
		if b.VendorOrgID == req.Bid.VendorOrgID {
			return rejection(domain.ErrConflict, "your organisation already has bid %s on this solicitation: revise it instead (POST /api/v1/bids/%s/revisions)", b.ID, b.ID)
		}
	}
	return nil
}

// bidRepeat finds the answer to an earlier submission with req's
// idempotency key from the same vendor organisation.
func (s *solicitation) bidRepeat(req contract.SubmitBidRequest) *bidReply {
	if req.IdempotencyKey == "" {
		return nil
	}
	return s.bidReplies[replyKey(req.Bid.VendorOrgID, req.IdempotencyKey)]
}

func (s *solicitation) submitBid(ctx workflow.Context, req contract.SubmitBidRequest) (contract.BidResult, error) {
	if r := s.bidRepeat(req); r != nil {
		if err := workflow.Await(ctx, func() bool { return r.done }); err != nil {
			return contract.BidResult{}, err
		}
		return r.res, r.err
	}
	if req.IdempotencyKey == "" {
		return s.registerBid(ctx, req.Bid)
	}
	if s.bidReplies == nil {
		s.bidReplies = map[string]*bidReply{}
	}
	key := replyKey(req.Bid.VendorOrgID, req.IdempotencyKey)
	r := &bidReply{}
	s.bidReplies[key] = r
	res, err := s.registerBid(ctx, req.Bid)
	r.res, r.err, r.done = res, err, true
	if err != nil {
		delete(s.bidReplies, key) // nothing stands: a retry submits again
	}
	return res, err
}

func (s *solicitation) registerBid(ctx workflow.Context, b domain.Bid) (contract.BidResult, error) {
	// Registered before the activity runs, so a concurrent duplicate fails validation.
	b.Revision, b.Status = 1, domain.BidSubmitted
	s.bids = append(s.bids, b)
	actx := withActivityOptions(ctx)
	if err := workflow.ExecuteActivity(actx, contract.RecordBid, b).Get(ctx, nil); err != nil {
		s.bids = s.bids[:len(s.bids)-1]
		return contract.BidResult{}, err
	}
	return s.precheck(ctx, b)
}

// precheck runs the automated checks on a bid's candidates for its vendor.
func (s *solicitation) precheck(ctx workflow.Context, b domain.Bid) (contract.BidResult, error) {
	res := contract.BidResult{BidID: b.ID, Revision: b.Revision}
	err := workflow.ExecuteActivity(withActivityOptions(ctx), contract.Precheck, contract.PrecheckInput{
		Bid: b, Criteria: s.in.Criteria, AsOf: s.deadline, At: workflow.Now(ctx),
	}).Get(ctx, &res.Prechecks)
	return res, err
}

func (s *solicitation) validateRevision(ctx workflow.Context, req contract.SubmitBidRequest) error {
	if req.SubmitterRole != domain.RoleVendor {
		return rejection(domain.ErrForbidden, "only vendors revise bids; you are signed in as %s", req.SubmitterRole)
	}
	if err := s.open(ctx); err != nil {
		return err
	}
	i, err := s.bidOf(req.Bid.ID, req.Bid.VendorOrgID)
	if err != nil {
		return err
	}
	if req.Bid.Revision != s.bids[i].Revision+1 {
		return rejection(domain.ErrConflict, "bid %s is at revision %d; submit revision %d", req.Bid.ID, s.bids[i].Revision, s.bids[i].Revision+1)
	}
	if len(req.Bid.Candidates) == 0 {
		return rejection(domain.ErrInvalid, "a bid needs at least one candidate model; to leave the solicitation, withdraw the bid")
	}
	return nil
}

func (s *solicitation) reviseBid(ctx workflow.Context, req contract.SubmitBidRequest) (contract.BidResult, error) {
	if err := s.validateRevision(ctx, req); err != nil {
		return contract.BidResult{}, err
	}
	i, _ := s.bidOf(req.Bid.ID, req.Bid.VendorOrgID)
	req.Bid.Status = domain.BidSubmitted
	s.bids[i] = req.Bid
	delete(s.unconfirmed, req.Bid.ID) // a revision answers an amendment
	if err := workflow.ExecuteActivity(withActivityOptions(ctx), contract.ReviseBid, req.Bid).Get(ctx, nil); err != nil {
		return contract.BidResult{}, err
	}
	return s.precheck(ctx, req.Bid)
}

func (s *solicitation) validateBidAction(ctx workflow.Context, req contract.BidAction) error {
	if req.Actor.Role != domain.RoleVendor {
		return rejection(domain.ErrForbidden, "only the vendor that submitted a bid may change it")
	}
	if err := s.open(ctx); err != nil {
		return err
	}
	_, err := s.bidOf(req.BidID, req.Actor.OrgID)
	return err
}

func (s *solicitation) withdrawBid(ctx workflow.Context, req contract.BidAction) error {
	if err := s.validateBidAction(ctx, req); err != nil {
		return err
	}
	i, _ := s.bidOf(req.BidID, req.Actor.OrgID)
	s.bids = slices.Delete(s.bids, i, i+1)
	delete(s.unconfirmed, req.BidID)
	return s.setBidStatus(ctx, req.BidID, domain.BidWithdrawn, req.Actor.UserID)
}

func (s *solicitation) validateConfirmation(ctx workflow.Context, req contract.BidAction) error {
	if err := s.validateBidAction(ctx, req); err != nil {
		return err
	}
	if !s.unconfirmed[req.BidID] {
		return rejection(domain.ErrConflict, "bid %s does not need a confirmation: no amendment came after it", req.BidID)
	}
	return nil
}

func (s *solicitation) confirmBid(ctx workflow.Context, req contract.BidAction) error {
	if err := s.validateConfirmation(ctx, req); err != nil {
		return err
	}
	delete(s.unconfirmed, req.BidID)
	return s.setBidStatus(ctx, req.BidID, domain.BidSubmitted, req.Actor.UserID)
}

func (s *solicitation) setBidStatus(ctx workflow.Context, bidID, status, actor string) error {
	return workflow.ExecuteActivity(withActivityOptions(ctx), contract.SetBidStatus, contract.BidStatusChange{
		SolicitationID: s.in.SolicitationID, BidID: bidID, Status: status, Actor: actor, At: workflow.Now(ctx),
	}).Get(ctx, nil)
}

// bidding waits for the deadline, which amendments may move, or a cancellation.
func (s *solicitation) bidding(ctx workflow.Context) error {
	if err := s.enquiries(ctx); err != nil || s.cancelled {
		return err
	}
	for {
		wait := s.deadline.Sub(workflow.Now(ctx))
		if wait <= 0 {
			return nil
		}
		if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return s.cancelled || s.deadlineMoved }); err != nil {
			return err
		}
		if s.cancelled {
			return nil
		}
		s.deadlineMoved = false
	}
}

// excludeUnconfirmed drops bids not confirmed or revised after an amendment.
func (s *solicitation) excludeUnconfirmed(ctx workflow.Context) error {
	var kept []domain.Bid
	for _, b := range s.bids {
		if !s.unconfirmed[b.ID] {
			kept = append(kept, b)
			continue
		}
		if err := s.setBidStatus(ctx, b.ID, domain.BidExcluded, "system"); err != nil {
			return err
		}
	}
	s.bids = kept
	return nil
}
