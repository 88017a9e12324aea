package tender

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// candidatesJSON is one native manifest per name.
func candidatesJSON(names ...string) []json.RawMessage {
	var out []json.RawMessage
	for _, n := range names {
		out = append(out, json.RawMessage(fmt.Sprintf(`{"schema_version": "1", "name": %q, "weights": {"license": "Apache-2.0"}}`, n)))
	}
	return out
}

// biddingWorkflow plays the solicitation workflow's side of a bid the way
// its contract says: it records a submission (as the RecordBid activity
// does) and answers a retry with the same idempotency key from the same
// organisation with the first bid's id; it records revisions and status
// changes. Refusal, when set, is every update's answer instead.
type biddingWorkflow struct {
	w       *world
	mu      sync.Mutex
	byKey   map[string]string
	refusal error
}

func (b *biddingWorkflow) answer(_, name string, arg any) (any, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refusal != nil {
		return nil, b.refusal
	}
	ctx := context.Background()
	switch name {
	case contract.SubmitBidUpdate:
		req := arg.(contract.SubmitBidRequest)
		key := req.Bid.VendorOrgID + "/" + req.IdempotencyKey
		if first, ok := b.byKey[key]; ok && req.IdempotencyKey != "" {
			return contract.BidResult{BidID: first, Revision: 1}, nil
		}
		b.byKey[key] = req.Bid.ID
		checks := []domain.Precheck{{CandidateID: req.Bid.Candidates[0].ID, CandidateName: req.Bid.Candidates[0].Name, Outcome: "pass"}}
		return contract.BidResult{BidID: req.Bid.ID, Revision: 1, Prechecks: checks}, b.w.st.InsertBid(ctx, req.Bid)
	case contract.ReviseBidUpdate:
		req := arg.(contract.SubmitBidRequest)
		return contract.BidResult{BidID: req.Bid.ID, Revision: req.Bid.Revision}, b.w.st.ReviseBid(ctx, req.Bid)
	case contract.WithdrawBidUpdate:
		return nil, b.w.st.SetBidStatus(ctx, arg.(contract.BidAction).BidID, "withdrawn", *b.w.now)
	case contract.ConfirmBidUpdate:
		return nil, b.w.st.SetBidStatus(ctx, arg.(contract.BidAction).BidID, "submitted", *b.w.now)
	}
	return nil, fmt.Errorf("the bidding workflow got update %s", name)
}

func playBidding(w *world) *biddingWorkflow {
	b := &biddingWorkflow{w: w, byKey: map[string]string{}}
	w.temporal.answer = b.answer
	return b
}

// A bid goes to the solicitation's workflow with every candidate parsed and
// hashed; a retry with the same idempotency key gets the first bid back, a
// new key makes a new bid.
func TestSubmitBidWithIdempotencyKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	sol := w.published(t)
	playBidding(w)
	sub := BidSubmission{Candidates: candidatesJSON("granite", "tiny"), Price: &domain.Money{Amount: 1000, Currency: "USD"}, IdempotencyKey: "key-1"}
	first, err := w.svc.SubmitBid(ctx, w.sellerA, sol.ID, sub)
	requireNoError(t, err)
	up := w.lastUpdate(t, contract.SubmitBidUpdate)
	req := up.Arg.(contract.SubmitBidRequest)
	if up.WorkflowID != contract.SolicitationWorkflowID(sol.ID) || req.SubmitterRole != domain.RoleVendor || req.IdempotencyKey != "key-1" {
		t.Errorf("sent %+v", up)
	}
	if b := req.Bid; b.VendorOrgID != w.vendorA.ID || b.SubmittedBy != w.sellerA.ID || !b.SubmittedAt.Equal(t0) || len(b.Candidates) != 2 ||
		b.Candidates[1].Name != "tiny" || !strings.HasPrefix(b.Candidates[1].ManifestHash, "sha256:") || b.Candidates[1].BidID != b.ID {
		t.Errorf("bid sent %+v", b)
	}
	if first.Bid.ID != req.Bid.ID || len(first.Parsed) != 2 || len(first.Prechecks) != 1 {
		t.Errorf("submitted %+v", first)
	}

	*w.now = t0.Add(time.Minute)
	retry, err := w.svc.SubmitBid(ctx, w.sellerA, sol.ID, sub)
	requireNoError(t, err)
	if retry.Bid.ID != first.Bid.ID || len(retry.Bid.Candidates) != 2 || retry.Bid.Status != "submitted" {
		t.Errorf("a retry with the same key got bid %+v, want the first one, %s, as stored", retry.Bid, first.Bid.ID)
	}
	if w.lastUpdate(t, contract.SubmitBidUpdate).Arg.(contract.SubmitBidRequest).Bid.ID == first.Bid.ID {
		t.Error("the retry was sent with the first bid's id: the workflow, not the service, recognises a retry")
	}
	sub.IdempotencyKey = "key-2"
	other, err := w.svc.SubmitBid(ctx, w.sellerA, sol.ID, sub)
	requireNoError(t, err)
	if other.Bid.ID == first.Bid.ID {
		t.Error("a new key returned the first bid")
	}
	page, err := w.svc.Bids(ctx, w.sellerA, sol.ID, "", 0)
	requireNoError(t, err)
	if bids := page.Bids; len(bids) != 2 {
		t.Errorf("vendor A has %d bids, want 2: %+v", len(bids), bids)
	}
}

// What is wrong with a bid is refused before the workflow hears of it:
// invalid manifests and price, a vendor user without an organisation, a
// draft the vendor cannot see, a deadline that passed, a closed
// solicitation; a finished workflow means the solicitation is closed.
func TestSubmitBidRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	sol := w.published(t)
	draft, err := w.svc.Draft(ctx, w.officer, terms())
	requireNoError(t, err)
	wf := playBidding(w)
	good := BidSubmission{Candidates: candidatesJSON("granite")}

	_, err = w.svc.SubmitBid(ctx, w.sellerA, sol.ID, BidSubmission{})
	requireRefusal(t, err, domain.ErrInvalid, "no candidates")
	_, err = w.svc.SubmitBid(ctx, w.sellerA, sol.ID, BidSubmission{Candidates: candidatesJSON("granite"), Price: &domain.Money{Amount: -5, Currency: "usd"}})
	requireRefusal(t, err, domain.ErrInvalid, "1 problem(s)")
	_, err = w.svc.SubmitBid(ctx, domain.User{ID: w.sellerA.ID, Role: domain.RoleVendor}, sol.ID, good)
	requireRefusal(t, err, domain.ErrForbidden, "belongs to no organisation")
	_, err = w.svc.SubmitBid(ctx, w.sellerA, draft.ID, good)
	requireKind(t, err, domain.ErrNotFound)
	_, err = w.svc.SubmitBid(ctx, w.sellerA, "sol_ghost", good)
	requireKind(t, err, domain.ErrNotFound)

	*w.now = sol.Deadline
	_, err = w.svc.SubmitBid(ctx, w.sellerA, sol.ID, good)
	requireRefusal(t, err, domain.ErrDeadlinePassed, "bids are no longer accepted")
	*w.now = t0
	w.setStatus(t, sol.ID, domain.SolicitationClosed)
	_, err = w.svc.SubmitBid(ctx, w.sellerA, sol.ID, good)
	requireRefusal(t, err, domain.ErrDeadlinePassed, "bids are no longer accepted")
	w.requireNothingSent(t, 0)

	open := w.published(t)
	wf.refusal = finished
	_, err = w.svc.SubmitBid(ctx, w.sellerA, open.ID, good)
	requireRefusal(t, err, domain.ErrDeadlinePassed, "is closed")
	counts, _ := w.st.TableCounts(ctx)
	if counts["bids"] != 0 {
		t.Errorf("%d bids stored by refused submissions", counts["bids"])
	}
}

// A vendor revises, withdraws and confirms its own bid through the
// workflow; another vendor's bid is not found and nothing is sent; the
// workflow's refusal after the deadline reaches the vendor as deadline-passed.
func TestReviseWithdrawConfirm(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	sol := w.published(t)
	wf := playBidding(w)
	mine := w.storedBid(t, sol, w.sellerA, "bid_a")

	for _, call := range []func() error{
		func() error {
			_, err := w.svc.Revise(ctx, w.sellerB, mine.ID, BidSubmission{Candidates: candidatesJSON("x")})
			return err
		},
		func() error { _, err := w.svc.Withdraw(ctx, w.sellerB, mine.ID); return err },
		func() error { _, err := w.svc.Confirm(ctx, w.sellerB, mine.ID); return err },
		func() error { _, err := w.svc.OwnBid(ctx, w.sellerB, mine.ID); return err },
		func() error { _, err := w.svc.Prechecks(ctx, w.sellerB, mine.ID); return err },
	} {
		requireRefusal(t, call(), domain.ErrNotFound, "no bid bid_a")
	}
	_, err := w.svc.Withdraw(ctx, w.sellerA, "bid_ghost")
	requireKind(t, err, domain.ErrNotFound)
	w.requireNothingSent(t, 0)

	*w.now = t0.Add(time.Hour)
	rev, err := w.svc.Revise(ctx, w.sellerA, mine.ID, BidSubmission{Candidates: candidatesJSON("granite-2")})
	requireNoError(t, err)
	req := w.lastUpdate(t, contract.ReviseBidUpdate).Arg.(contract.SubmitBidRequest)
	if req.Bid.ID != mine.ID || req.Bid.Revision != 2 || req.Bid.Candidates[0].Name != "granite-2" || rev.Bid.Revision != 2 {
		t.Errorf("revision sent %+v, returned %+v", req.Bid, rev.Bid)
	}
	if stored, _ := w.svc.OwnBid(ctx, w.sellerA, mine.ID); stored.Revision != 2 || stored.Candidates[0].Name != "granite-2" {
		t.Errorf("stored after revision %+v", stored)
	}

	withdrawn, err := w.svc.Withdraw(ctx, w.sellerA, mine.ID)
	requireNoError(t, err)
	if act := w.lastUpdate(t, contract.WithdrawBidUpdate).Arg.(contract.BidAction); act.BidID != mine.ID || act.Actor.OrgID != w.vendorA.ID {
		t.Errorf("withdrawal sent %+v", act)
	}
	if withdrawn.Status != "withdrawn" {
		t.Errorf("Withdraw returned %s, want the bid as it now stands", withdrawn.Status)
	}
	confirmed, err := w.svc.Confirm(ctx, w.sellerA, mine.ID)
	requireNoError(t, err)
	if confirmed.Status != "submitted" {
		t.Errorf("Confirm returned %s", confirmed.Status)
	}

	wf.refusal = refuse(domain.ErrDeadlinePassed, "the deadline for solicitation passed; bids are no longer accepted")
	sent := len(w.temporal.sentUpdates())
	_, err = w.svc.Withdraw(ctx, w.sellerA, mine.ID)
	requireRefusal(t, err, domain.ErrDeadlinePassed, "bids are no longer accepted")
	_, err = w.svc.Revise(ctx, w.sellerA, mine.ID, BidSubmission{Candidates: candidatesJSON("late")})
	requireKind(t, err, domain.ErrDeadlinePassed)
	wf.refusal = refuse(domain.ErrConflict, "bid bid_a does not need a confirmation: no amendment came after it")
	_, err = w.svc.Confirm(ctx, w.sellerA, mine.ID)
	requireRefusal(t, err, domain.ErrConflict, "does not need a confirmation")
	if got := len(w.temporal.sentUpdates()); got != sent+3 {
		t.Errorf("%d updates sent, want the 3 the workflow refused", got-sent)
	}
	if stored, _ := w.st.Bid(ctx, mine.ID); stored.Status != "submitted" || stored.Revision != 2 {
		t.Errorf("refused changes altered the bid: %+v", stored)
	}
}

// Sealed bids: before the deadline a vendor reads its own bids only and the
// agency none (forbidden, saying when they open); after close the agency
// reads every bid and a vendor still only its own.
func TestSealedBids(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	sol := w.published(t)
	a := w.storedBid(t, sol, w.sellerA, "bid_a")
	b := w.storedBid(t, sol, w.sellerB, "bid_b")
	agency := []domain.User{w.officer, w.reviewer, w.auditor}

	got, err := w.svc.Bid(ctx, w.sellerA, a.ID)
	requireNoError(t, err)
	if got.ID != a.ID || len(got.Candidates) != 1 {
		t.Errorf("own bid %+v", got)
	}
	_, err = w.svc.Bid(ctx, w.sellerA, b.ID)
	requireRefusal(t, err, domain.ErrNotFound, "no bid bid_b")
	_, err = w.svc.Evaluations(ctx, w.sellerA, b.ID)
	requireKind(t, err, domain.ErrNotFound)
	_, err = w.svc.Clarifications(ctx, w.sellerA, b.ID)
	requireKind(t, err, domain.ErrNotFound)
	ownPage, err := w.svc.Bids(ctx, w.sellerA, sol.ID, "", 0)
	requireNoError(t, err)
	if own := ownPage.Bids; len(own) != 1 || own[0].ID != a.ID {
		t.Errorf("vendor A lists %+v before the deadline, want only its bid", own)
	}
	for _, u := range agency {
		_, err := w.svc.Bid(ctx, u, a.ID)
		requireRefusal(t, err, domain.ErrForbidden, "sealed")
		_, err = w.svc.Bids(ctx, u, sol.ID, "", 0)
		requireRefusal(t, err, domain.ErrForbidden, "sealed")
		_, err = w.svc.Evaluations(ctx, u, a.ID)
		requireRefusal(t, err, domain.ErrForbidden, "sealed")
		_, err = w.svc.Clarifications(ctx, u, a.ID)
		requireRefusal(t, err, domain.ErrForbidden, "sealed")
	}

	w.setStatus(t, sol.ID, domain.SolicitationClosed)
	for _, u := range agency {
		got, err := w.svc.Bid(ctx, u, b.ID)
		requireNoError(t, err)
		if got.ID != b.ID {
			t.Errorf("%s reads %+v after close", u.Email, got)
		}
		all, err := w.svc.Bids(ctx, u, sol.ID, "", 0)
		requireNoError(t, err)
		if len(all.Bids) != 2 {
			t.Errorf("%s lists %d bids after close, want 2", u.Email, len(all.Bids))
		}
		evals, err := w.svc.Evaluations(ctx, u, b.ID)
		requireNoError(t, err)
		if evals == nil {
			t.Error("no evaluations must be an empty list, not null")
		}
	}
	_, err = w.svc.Bid(ctx, w.sellerA, b.ID)
	requireKind(t, err, domain.ErrNotFound)
	if own, _ := w.svc.Bids(ctx, w.sellerA, sol.ID, "", 0); len(own.Bids) != 1 {
		t.Errorf("vendor A lists %d bids after close, want its own 1", len(own.Bids))
	}
	checks, err := w.svc.Prechecks(ctx, w.sellerA, a.ID)
	requireNoError(t, err)
	if checks == nil {
		t.Error("no pre-checks must be an empty list, not null")
	}
}

// The sealed-bid rules class a viewer by organisation as well as role: a
// reviewer account of vendor A reads as vendor A (its own bid, never a
// competitor's, nothing of the agency's), and another agency's officer as
// the public. A bid withdrawn before the deadline stays its vendor's alone.
func TestSealedBidsByOrganisation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	sol := w.published(t)
	a := w.storedBid(t, sol, w.sellerA, "bid_a")
	b := w.storedBid(t, sol, w.sellerB, "bid_b")
	c := w.storedBid(t, sol, w.sellerB, "bid_c")
	requireNoError(t, w.st.SetBidStatus(ctx, c.ID, domain.BidWithdrawn, t0))
	w.setStatus(t, sol.ID, domain.SolicitationClosed)

	if got, err := w.svc.Bid(ctx, w.insider, a.ID); err != nil || got.ID != a.ID {
		t.Errorf("vendor A's reviewer reads its own bid: %+v %v", got, err)
	}
	for _, read := range []func(domain.User, string) error{
		func(u domain.User, id string) error { _, err := w.svc.Bid(ctx, u, id); return err },
		func(u domain.User, id string) error { _, err := w.svc.Evaluations(ctx, u, id); return err },
		func(u domain.User, id string) error { _, err := w.svc.Clarifications(ctx, u, id); return err },
		func(u domain.User, id string) error { _, err := w.svc.Prechecks(ctx, u, id); return err },
	} {
		requireKind(t, read(w.insider, b.ID), domain.ErrNotFound)
		requireKind(t, read(w.otherOfficer, b.ID), domain.ErrForbidden)
		requireKind(t, read(w.officer, c.ID), domain.ErrForbidden)
	}
	_, err := w.svc.Bid(ctx, w.officer, c.ID)
	requireRefusal(t, err, domain.ErrForbidden, "withdrawn before the deadline")
	if own, err := w.svc.Bids(ctx, w.insider, sol.ID, "", 0); err != nil || len(own.Bids) != 1 || own.Bids[0].ID != a.ID {
		t.Errorf("vendor A's reviewer lists %+v %v, want only vendor A's bid", own.Bids, err)
	}
	_, err = w.svc.Bids(ctx, w.otherOfficer, sol.ID, "", 0)
	requireKind(t, err, domain.ErrForbidden)
	_, _, err = w.svc.Ranking(ctx, w.insider, sol.ID)
	requireKind(t, err, domain.ErrForbidden)
	_, _, err = w.svc.Ranking(ctx, w.otherOfficer, sol.ID)
	requireKind(t, err, domain.ErrForbidden)
	_, err = w.svc.AuditTrail(ctx, domain.User{ID: "usr_x", Role: domain.RoleAuditor, OrgID: w.otherAgency.ID, OrgKind: "agency"}, sol.ID)
	requireKind(t, err, domain.ErrForbidden)

	all, err := w.svc.Bids(ctx, w.officer, sol.ID, "", 0)
	requireNoError(t, err)
	if len(all.Bids) != 2 || all.Bids[0].ID == c.ID || all.Bids[1].ID == c.ID {
		t.Errorf("the officer lists %+v after close, want the two bids not withdrawn", all.Bids)
	}
	if got, err := w.svc.Bid(ctx, w.sellerB, c.ID); err != nil || got.ID != c.ID {
		t.Errorf("vendor B reads its withdrawn bid: %+v %v", got, err)
	}
	trail, err := w.svc.AuditTrail(ctx, w.auditor, sol.ID)
	requireNoError(t, err)
	for _, e := range trail.Events {
		if e.SubjectID == c.ID && (e.Actor != sealedActor || e.Detail["vendor_org_id"] != nil) {
			t.Errorf("the auditor reads who withdrew bid_c: %+v", e)
		}
	}
}

// A revision keeps current candidates as they are stored, whatever format
// they were bid in (a stored manifest carries what intake found in its file,
// which a native manifest may not), and refuses to keep one the bid lacks.
func TestReviseKeepsStoredCandidates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	sol := w.published(t)
	playBidding(w)
	m := domain.Manifest{SchemaVersion: "1", Name: "card-model", Weights: domain.Weights{License: "Apache-2.0"},
		IntakeFindings: []domain.Finding{{Rule: "intake.card-license-missing", Severity: domain.SeverityWarn, Message: "the card names no license"}}}
	kept := domain.Candidate{ID: "cnd_card", BidID: "bid_a", Name: m.Name, Manifest: m, ManifestHash: "sha256:card"}
	mine := domain.Bid{ID: "bid_a", SolicitationID: sol.ID, VendorOrgID: w.vendorA.ID, SubmittedBy: w.sellerA.ID, SubmittedAt: *w.now,
		Candidates: []domain.Candidate{kept}}
	requireNoError(t, w.st.InsertBid(ctx, mine))

	*w.now = t0.Add(time.Hour)
	_, err := w.svc.Revise(ctx, w.sellerA, mine.ID, BidSubmission{Keep: []string{"cnd_ghost"}})
	requireField(t, err, "keep", "cnd_ghost is not in bid bid_a")
	rev, err := w.svc.Revise(ctx, w.sellerA, mine.ID, BidSubmission{Keep: []string{kept.ID}, Candidates: candidatesJSON("granite-2")})
	requireNoError(t, err)
	sent := w.lastUpdate(t, contract.ReviseBidUpdate).Arg.(contract.SubmitBidRequest).Bid.Candidates
	if len(sent) != 2 || sent[0].Name != kept.Name || len(sent[0].Manifest.IntakeFindings) != 1 || sent[1].Name != "granite-2" || rev.Bid.Revision != 2 {
		t.Fatalf("revision keeping %s sent %+v", kept.ID, sent)
	}
	// Keeping alone is a revision too (of the price, say); a kept candidate
	// has the id its revision gave it.
	_, err = w.svc.Revise(ctx, w.sellerA, mine.ID, BidSubmission{Keep: []string{rev.Bid.Candidates[1].ID}})
	requireNoError(t, err)
}
