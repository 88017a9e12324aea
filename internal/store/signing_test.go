package store

import (
	"context"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

func identity(id string, org domain.Organisation, by domain.User, label string, created time.Time) domain.SigningIdentity {
	return domain.SigningIdentity{ID: id, OrgID: org.ID, Name: label, Method: domain.SigningKey,
		PublicKey: "-----BEGIN PUBLIC KEY-----", Fingerprint: "sha256:" + id, CreatedBy: by.ID, CreatedAt: created}
}

// Identities are registered, listed, revoked and audited per organisation;
// a candidate's check sees its vendor's identities in force at the moment asked.
func TestSigningIdentities(t *testing.T) {
	ctx := context.Background()
	m := newMarket(t)
	requireNoError(t, m.st.RegisterSigningIdentity(ctx, identity("sid_1", m.vendorA, m.sellerA, "release key", at)))
	requireNoError(t, m.st.RegisterSigningIdentity(ctx, identity("sid_2", m.vendorA, m.sellerA, "ci key", at.Add(time.Hour))))
	requireNoError(t, m.st.RegisterSigningIdentity(ctx, identity("sid_3", m.vendorB, m.sellerB, "release key", at)))
	requireFails(t, m.st.RegisterSigningIdentity(ctx, identity("sid_4", m.vendorA, m.sellerA, "release key", at)), "already has a signing identity labelled")

	got, err := m.st.SigningIdentities(ctx, m.vendorA.ID)
	requireNoError(t, err)
	if s := ids(got, func(i domain.SigningIdentity) string { return i.ID }); s != "sid_1,sid_2" {
		t.Fatalf("vendor A's identities: %s", s)
	}
	if got[0].PublicKey == "" || got[0].Fingerprint != "sha256:sid_1" || got[0].RevokedAt != nil || !got[0].CreatedAt.Equal(at) {
		t.Fatalf("stored identity: %+v", got[0])
	}

	requireFails(t, m.st.RevokeSigningIdentity(ctx, m.vendorB.ID, "sid_1", m.sellerB.ID, at.Add(2*time.Hour)), "no signing identity sid_1 in force")
	requireNoError(t, m.st.RevokeSigningIdentity(ctx, m.vendorA.ID, "sid_1", m.sellerA.ID, at.Add(2*time.Hour)))
	requireFails(t, m.st.RevokeSigningIdentity(ctx, m.vendorA.ID, "sid_1", m.sellerA.ID, at.Add(3*time.Hour)), "no signing identity sid_1 in force")
	// The label is free again once revoked.
	requireNoError(t, m.st.RegisterSigningIdentity(ctx, identity("sid_5", m.vendorA, m.sellerA, "release key", at.Add(3*time.Hour))))
	got, err = m.st.SigningIdentities(ctx, m.vendorA.ID)
	requireNoError(t, err)
	if len(got) != 3 || got[0].RevokedAt == nil || got[0].RevokedBy != m.sellerA.ID {
		t.Fatalf("after revoking: %+v", got)
	}
	if n := count(t, m.st, "audit_events", "action LIKE 'signing-identity.%'"); n != 5 {
		t.Fatalf("%d signing identity audit events, want 5 (4 registered, 1 revoked)", n)
	}

	m.bid(t, "bid_a", m.sellerA, at, "m1")
	inForce := func(when time.Time) string {
		t.Helper()
		got, err := m.st.CandidateSigningIdentities(ctx, "bid_a-m1", when)
		requireNoError(t, err)
		return ids(got, func(i domain.SigningIdentity) string { return i.ID })
	}
	for when, want := range map[time.Time]string{
		at.Add(-time.Minute):     "",
		at:                       "sid_1",
		at.Add(90 * time.Minute): "sid_1,sid_2",
		at.Add(2 * time.Hour):    "sid_2",
		at.Add(4 * time.Hour):    "sid_2,sid_5",
	} {
		if got := inForce(when); got != want {
			t.Errorf("identities in force at %s: %q, want %q", when, got, want)
		}
	}
}

// Agency staff may read a vendor's identities only once one of its bids to
// their agency is opened; another agency's staff, or a withdrawn bid, never.
func TestOrganisationBidsOpened(t *testing.T) {
	ctx := context.Background()
	m := newMarket(t)
	openedTo := func(agencyID string) bool {
		t.Helper()
		ok, err := m.st.OrganisationBidsOpened(ctx, m.vendorA.ID, agencyID)
		requireNoError(t, err)
		return ok
	}
	opened := func() bool { return openedTo(m.agency.ID) }
	if opened() {
		t.Fatal("a vendor without bids has opened bids")
	}
	m.bid(t, "bid_a", m.sellerA, at, "m1")
	if opened() {
		t.Fatal("a bid on a published solicitation counts as opened")
	}
	requireNoError(t, m.st.SetSolicitationStatus(ctx, m.sol.ID, domain.SolicitationClosed, at.Add(4*time.Hour), statusEvent(m.sol.ID, "closed")))
	if !opened() {
		t.Fatal("a bid on a closed solicitation is not counted as opened")
	}
	other, err := m.st.EnsureOrganisation(ctx, "Other Department", "agency")
	requireNoError(t, err)
	if openedTo(other.ID) {
		t.Fatal("a bid to one agency is counted as opened to another")
	}
	requireNoError(t, m.st.SetBidStatus(ctx, "bid_a", string(domain.BidWithdrawn), at.Add(time.Hour)))
	if opened() {
		t.Fatal("a withdrawn bid counts as opened")
	}
}
