package store

import (
	"context"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

func bidID(b BidSummary) string { return b.ID }

// A bid is stored with its candidates in order and read back whole; storing
// the same bid id again keeps the first one.
func TestInsertBidRoundTripAndRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	b := domain.Bid{ID: "bid_a", SolicitationID: m.sol.ID, VendorOrgID: m.vendorA.ID, SubmittedBy: m.sellerA.ID,
		SubmittedAt: at, Price: &domain.Money{Amount: 120000.5, Currency: "EUR"}, Candidates: candidates("bid_a", "zeta", "alpha")}
	b.Candidates[0].Manifest.Weights.Digest = "sha256:weights"
	requireNoError(t, m.st.InsertBid(ctx, b))

	got, err := m.st.Bid(ctx, "bid_a")
	requireNoError(t, err)
	if got.Status != "submitted" || got.Revision != 1 || !got.SubmittedAt.Equal(at) || got.VendorOrgID != m.vendorA.ID {
		t.Errorf("stored bid %+v: want submitted, revision 1, at %s, of %s", got, at, m.vendorA.ID)
	}
	if got.Price == nil || *got.Price != *b.Price {
		t.Errorf("price %+v, want %+v", got.Price, b.Price)
	}
	if names := ids(got.Candidates, func(c domain.Candidate) string { return c.Name }); names != "zeta,alpha" {
		t.Errorf("candidates %s, want them in submitted order zeta,alpha", names)
	}
	if c := got.Candidates[0]; c.Manifest.Weights.Digest != "sha256:weights" || c.ManifestHash != "sha256:zeta" || c.BidID != "bid_a" {
		t.Errorf("candidate read back as %+v", c)
	}
	if n := count(t, m.st, "candidates", "weights_license = 'Apache-2.0' AND weights_digest IS NULL"); n != 1 {
		t.Errorf("%d candidates without a digest stored NULL, want 1 (an empty digest is no digest)", n)
	}

	retry := b
	retry.Price, retry.Candidates = nil, candidates("bid_a", "other")
	retry.Candidates[0].ID = "cnd_other"
	requireNoError(t, m.st.InsertBid(ctx, retry))
	if got, _ := m.st.Bid(ctx, "bid_a"); len(got.Candidates) != 2 || got.Price == nil {
		t.Errorf("a retried bid changed the stored one: %+v", got)
	}
	if n := count(t, m.st, "candidates", ""); n != 2 {
		t.Errorf("%d candidates after a retry, want 2", n)
	}
}

// The store is the last line of defence against text PostgreSQL cannot hold
// (NUL, bytes that are not UTF-8) and against duplicate candidates: the bid fails as a whole, naming itself,
// and leaves no bid and no candidate behind.
func TestInsertBidFailsWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	nul := candidates("bid_nul", "ok", "bad")
	nul[1].Manifest.Name = "bad\x00name"
	latin1 := candidates("bid_latin1", "caf\xe9")
	dup := candidates("bid_dup", "one", "two")
	dup[1].ID = dup[0].ID
	unknownVendor := domain.Bid{ID: "bid_ghost", SolicitationID: m.sol.ID, VendorOrgID: "org_ghost", SubmittedBy: m.sellerA.ID, SubmittedAt: at}
	for _, b := range []domain.Bid{
		{ID: "bid_nul", SolicitationID: m.sol.ID, VendorOrgID: m.vendorA.ID, SubmittedBy: m.sellerA.ID, SubmittedAt: at, Candidates: nul},
		{ID: "bid_latin1", SolicitationID: m.sol.ID, VendorOrgID: m.vendorA.ID, SubmittedBy: m.sellerA.ID, SubmittedAt: at, Candidates: latin1},
		{ID: "bid_dup", SolicitationID: m.sol.ID, VendorOrgID: m.vendorA.ID, SubmittedBy: m.sellerA.ID, SubmittedAt: at, Candidates: dup},
		{ID: "bid_nosol", SolicitationID: "sol_ghost", VendorOrgID: m.vendorA.ID, SubmittedBy: m.sellerA.ID, SubmittedAt: at},
		unknownVendor,
	} {
		requireFails(t, m.st.InsertBid(ctx, b), "insert bid "+b.ID)
	}
	if n, c := count(t, m.st, "bids", ""), count(t, m.st, "candidates", ""); n != 0 || c != 0 {
		t.Errorf("failed bids left %d bids and %d candidates", n, c)
	}
	_, err := m.st.Bid(ctx, "bid_nul")
	requireKind(t, err, domain.ErrNotFound)
	_, err = m.st.Candidate(ctx, "bid_nul-ok")
	requireKind(t, err, domain.ErrNotFound)
}

// A revision replaces the current candidates and price, keeps the replaced
// ones readable by id, and puts a bid that needed confirmation back to
// submitted. The same or an older revision again changes nothing.
func TestReviseBid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	m.bid(t, "bid_a", m.sellerA, at, "v1a", "v1b")
	requireNoError(t, m.st.SetBidStatus(ctx, "bid_a", "needs-confirmation", at.Add(time.Minute)))

	rev := domain.Bid{ID: "bid_a", Revision: 2, SubmittedAt: at.Add(time.Hour), Price: &domain.Money{Amount: 99, Currency: "USD"},
		Candidates: candidates("bid_a-r2", "v2")}
	requireNoError(t, m.st.ReviseBid(ctx, rev))
	got, err := m.st.Bid(ctx, "bid_a")
	requireNoError(t, err)
	if got.Revision != 2 || got.Status != "submitted" || got.Price == nil || got.Price.Amount != 99 {
		t.Errorf("revised bid %+v: want revision 2, submitted, price 99", got)
	}
	if names := ids(got.Candidates, func(c domain.Candidate) string { return c.Name }); names != "v2" {
		t.Errorf("current candidates %s, want only v2", names)
	}
	if !got.SubmittedAt.Equal(at) {
		t.Errorf("submitted_at moved to %s: a revision keeps the first submission time", got.SubmittedAt)
	}
	if old, err := m.st.Candidate(ctx, "bid_a-v1a"); err != nil || old.Name != "v1a" {
		t.Errorf("a superseded candidate is no longer readable: %+v %v", old, err)
	}
	if n := count(t, m.st, "candidates", "bid_id = 'bid_a' AND superseded_at = $1", at.Add(time.Hour)); n != 2 {
		t.Errorf("%d candidates marked superseded at the revision, want 2", n)
	}

	again := rev
	again.Candidates = candidates("bid_a-again", "v2bis")
	requireNoError(t, m.st.ReviseBid(ctx, again))
	older := rev
	older.Revision, older.Candidates = 1, candidates("bid_a-old", "v1c")
	requireNoError(t, m.st.ReviseBid(ctx, older))
	if n := count(t, m.st, "candidates", "bid_id = 'bid_a'"); n != 3 {
		t.Errorf("%d candidates after repeating revision 2 and replaying revision 1, want 3", n)
	}
	if summaries, _ := m.st.BidsForSolicitation(ctx, m.sol.ID, ""); len(summaries) != 1 || summaries[0].Revision != 2 {
		t.Errorf("listing after replays: %+v", summaries)
	}
}

// A revision whose candidates cannot be stored leaves the bid as it was.
func TestReviseBidFailsWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	m.bid(t, "bid_a", m.sellerA, at, "v1")
	bad := candidates("bid_a-r2", "v2")
	bad[0].Name = "v2\x00"
	requireFails(t, m.st.ReviseBid(ctx, domain.Bid{ID: "bid_a", Revision: 2, SubmittedAt: at.Add(time.Hour), Candidates: bad}), "revise bid bid_a")
	got, err := m.st.Bid(ctx, "bid_a")
	requireNoError(t, err)
	if got.Revision != 1 || len(got.Candidates) != 1 || got.Candidates[0].Name != "v1" {
		t.Errorf("a failed revision changed the bid: %+v", got)
	}
}

// A bid's status moves to any of the states the schema knows, and nowhere else.
func TestSetBidStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	m.bid(t, "bid_a", m.sellerA, at, "one")
	requireNoError(t, m.st.SetBidStatus(ctx, "bid_a", "withdrawn", at.Add(time.Hour)))
	requireNoError(t, m.st.SetBidStatus(ctx, "bid_a", "withdrawn", at.Add(2*time.Hour)))
	requireFails(t, m.st.SetBidStatus(ctx, "bid_a", "lost", at.Add(3*time.Hour)), "set bid bid_a to lost")
	if b, _ := m.st.Bid(ctx, "bid_a"); b.Status != "withdrawn" {
		t.Errorf("status %q, want withdrawn", b.Status)
	}
	if n := count(t, m.st, "bids", "updated_at = $1", at.Add(2*time.Hour)); n != 1 {
		t.Errorf("updated_at not at the last change")
	}
}

// The listing shows each bid once with its current candidates, in the order
// bids came in; a vendor filter keeps one organisation's bids; another
// solicitation's bids never show.
func TestBidsForSolicitation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	m.bid(t, "bid_late", m.sellerA, at.Add(2*time.Hour), "a2")
	m.bid(t, "bid_early", m.sellerB, at.Add(time.Hour), "b1", "b2")
	m.bid(t, "bid_a", m.sellerA, at.Add(time.Hour), "a1")
	requireNoError(t, m.st.SetBidStatus(ctx, "bid_late", "withdrawn", at.Add(3*time.Hour)))
	requireNoError(t, m.st.ReviseBid(ctx, domain.Bid{ID: "bid_early", Revision: 2, SubmittedAt: at.Add(3 * time.Hour),
		Candidates: candidates("bid_early-r2", "b3")}))
	other := m.draft(t, "sol_other", at)
	requireNoError(t, m.st.InsertBid(ctx, domain.Bid{ID: "bid_other", SolicitationID: other.ID, VendorOrgID: m.vendorA.ID,
		SubmittedBy: m.sellerA.ID, SubmittedAt: at}))

	all, err := m.st.BidsForSolicitation(ctx, m.sol.ID, "")
	requireNoError(t, err)
	if got := ids(all, bidID); got != "bid_a,bid_early,bid_late" {
		t.Fatalf("bids %s, want bid_a,bid_early,bid_late (submission time, then id)", got)
	}
	if b := all[1]; b.VendorName != "Open Weights" || b.Revision != 2 || len(b.Candidates) != 1 || b.Candidates[0] != "b3" {
		t.Errorf("revised bid listed as %+v", b)
	}
	if all[2].Status != "withdrawn" {
		t.Errorf("a withdrawn bid is listed as %q", all[2].Status)
	}
	own, err := m.st.BidsForSolicitation(ctx, m.sol.ID, m.vendorA.ID)
	requireNoError(t, err)
	if got := ids(own, bidID); got != "bid_a,bid_late" {
		t.Errorf("vendor A's bids %s, want bid_a,bid_late", got)
	}
	if empty, err := m.st.BidsForSolicitation(ctx, other.ID, m.vendorB.ID); err != nil || len(empty) != 0 {
		t.Errorf("vendor B's bids on the other solicitation: %+v %v", empty, err)
	}
	if other, _ := m.st.BidsForSolicitation(ctx, other.ID, ""); len(other) != 1 || len(other[0].Candidates) != 0 {
		t.Errorf("a bid without candidates lists as %+v, want one bid with an empty list", other)
	}
}
