package store

import (
	"context"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

// The organisations a reviewer may declare a conflict with are the vendors
// that have bid on anything, by name, each once.
func TestBiddingOrganisations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	idle, err := m.st.EnsureOrganisation(ctx, "Aardvark AI", "vendor")
	requireNoError(t, err)
	if orgs, err := m.st.BiddingOrganisations(ctx); err != nil || len(orgs) != 0 {
		t.Fatalf("before any bid: %v %v", orgs, err)
	}
	m.bid(t, "bid_b", m.sellerB, at, "b")
	m.bid(t, "bid_a1", m.sellerA, at, "a1")
	m.bid(t, "bid_a2", m.sellerA, at, "a2")
	orgs, err := m.st.BiddingOrganisations(ctx)
	requireNoError(t, err)
	if got := ids(orgs, func(o domain.Organisation) string { return o.Name }); got != "Northwind,Open Weights" {
		t.Errorf("bidding organisations %s, want Northwind,Open Weights (by name, each once, %s left out)", got, idle.Name)
	}
	if orgs[0] != m.vendorA {
		t.Errorf("organisation %+v, want %+v", orgs[0], m.vendorA)
	}
}
