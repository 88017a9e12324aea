package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// Paging through the bids by keyset returns every bid once, in the order of
// the full list, with ties in submission time broken by id; a vendor pages
// through its own bids only.
func TestBidsPageWalksTheFullList(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	agency, err := st.EnsureOrganisation(ctx, "Agency", "agency")
	if err != nil {
		t.Fatal(err)
	}
	officer, _, err := st.CreateUser(ctx, "officer@agency.test", domain.RoleOfficer, agency.ID)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	sol := domain.Solicitation{ID: "sol_1", AgencyOrgID: agency.ID, Title: "t", RiskTier: domain.RiskStandard,
		Deadline: at.Add(time.Hour), Status: domain.SolicitationDraft, CreatedBy: officer.ID, CreatedAt: at}
	if err := st.CreateSolicitation(ctx, sol); err != nil {
		t.Fatal(err)
	}
	vendors := make([]domain.User, 3)
	for i := range vendors {
		org, err := st.EnsureOrganisation(ctx, fmt.Sprintf("Vendor %d", i), "vendor")
		if err != nil {
			t.Fatal(err)
		}
		if vendors[i], _, err = st.CreateUser(ctx, fmt.Sprintf("seller%d@vendor.test", i), domain.RoleVendor, org.ID); err != nil {
			t.Fatal(err)
		}
	}
	// Eleven bids; every pair of them shares a submission time.
	for i := range 11 {
		v := vendors[i%3]
		id := fmt.Sprintf("bid_%02d", 10-i) // ids run against submission order within a pair
		m := domain.Manifest{SchemaVersion: "1", Name: "model " + id}
		b := domain.Bid{ID: id, SolicitationID: sol.ID, VendorOrgID: v.OrgID, SubmittedBy: v.ID, SubmittedAt: at.Add(time.Duration(i/2) * time.Minute),
			Candidates: []domain.Candidate{{ID: "cnd_" + id, BidID: id, Name: m.Name, Manifest: m, ManifestHash: "sha256:" + id}}}
		if err := st.InsertBid(ctx, b); err != nil {
			t.Fatal(err)
		}
	}

	walk := func(vendorOrg string, limit int) []BidSummary {
		t.Helper()
		var all []BidSummary
		after := ""
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatal("the pages do not end")
			}
			p, err := st.BidsPage(ctx, sol.ID, vendorOrg, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Bids) > limit {
				t.Fatalf("page of %d bids, limit %d", len(p.Bids), limit)
			}
			all = append(all, p.Bids...)
			if p.Next == "" {
				return all
			}
			after = p.Next
		}
	}
	for _, vendorOrg := range []string{"", vendors[1].OrgID} {
		full, err := st.BidsForSolicitation(ctx, sol.ID, vendorOrg)
		if err != nil {
			t.Fatal(err)
		}
		for _, limit := range []int{1, 3, 4, len(full), 50} {
			if got := walk(vendorOrg, limit); !slices.EqualFunc(got, full, func(a, b BidSummary) bool {
				return a.ID == b.ID && a.VendorName == b.VendorName && slices.Equal(a.Candidates, b.Candidates)
			}) {
				t.Errorf("vendor %q, pages of %d: %v, want %v", vendorOrg, limit, bidIDs(got), bidIDs(full))
			}
		}
	}

	var de *domain.Error
	if _, err := st.BidsPage(ctx, sol.ID, "", "not-a-cursor", 10); !errors.As(err, &de) || de.Kind != domain.ErrInvalid {
		t.Errorf("bad cursor: %v", err)
	}
	if _, err := st.BidsPage(ctx, sol.ID, "", "", MaxBidPage+1); !errors.As(err, &de) || de.Kind != domain.ErrInvalid {
		t.Errorf("limit above the maximum: %v", err)
	}
}

func bidIDs(bids []BidSummary) []string {
	out := make([]string, len(bids))
	for i, b := range bids {
		out[i] = b.ID
	}
	return out
}
