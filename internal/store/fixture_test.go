package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// market is a store holding an agency with an officer and a reviewer, two
// vendors with a seller each, and a published solicitation of the agency.
type market struct {
	st               *Store
	url              string
	agency           domain.Organisation
	vendorA, vendorB domain.Organisation
	officer          domain.User
	reviewer         domain.User
	sellerA, sellerB domain.User
	sol              domain.Solicitation
}

func newMarket(t *testing.T) market {
	t.Helper()
	ctx := context.Background()
	st, url := openStore(t)
	m := market{st: st, url: url}
	org := func(name, kind string) domain.Organisation { return mustOrg(t, st, name, kind) }
	user := func(email string, role domain.Role, o domain.Organisation) domain.User {
		return mustUser(t, st, email, role, o)
	}
	m.agency, m.vendorA, m.vendorB = org("Agency", "agency"), org("Northwind", "vendor"), org("Open Weights", "vendor")
	m.officer = user("officer@agency.test", domain.RoleOfficer, m.agency)
	m.reviewer = user("reviewer@agency.test", domain.RoleReviewer, m.agency)
	m.sellerA = user("seller@northwind.test", domain.RoleVendor, m.vendorA)
	m.sellerB = user("seller@openweights.test", domain.RoleVendor, m.vendorB)
	m.sol = m.draft(t, "sol_main", at)
	if err := st.MarkPublished(ctx, m.sol.ID, "rev-1", at, statusEvent(m.sol.ID, "published")); err != nil {
		t.Fatal(err)
	}
	m.sol.Status = domain.SolicitationPublished
	return m
}

// draft stores a draft solicitation of the agency created at created.
func (m market) draft(t *testing.T, id string, created time.Time) domain.Solicitation {
	t.Helper()
	sol := domain.Solicitation{ID: id, AgencyOrgID: m.agency.ID, Title: "Text models " + id, RiskTier: domain.RiskStandard,
		Deadline: at.Add(72 * time.Hour), ExpectedMonthlyUsers: 1000, Status: domain.SolicitationDraft,
		CreatedBy: m.officer.ID, CreatedAt: created, Weights: domain.DefaultWeights, StandstillDays: 10, AmendmentNoticeDays: 3}
	if err := m.st.CreateSolicitation(context.Background(), sol); err != nil {
		t.Fatal(err)
	}
	return sol
}

// manifest is a minimal valid manifest named name.
func manifest(name string) domain.Manifest {
	return domain.Manifest{SchemaVersion: "1", Name: name, Weights: domain.Weights{License: "Apache-2.0"}}
}

// candidates makes a bid's candidates, one per name, with ids "<bid>-<name>".
func candidates(bidID string, names ...string) []domain.Candidate {
	var cs []domain.Candidate
	for _, n := range names {
		cs = append(cs, domain.Candidate{ID: bidID + "-" + n, BidID: bidID, Name: n, Manifest: manifest(n), ManifestHash: "sha256:" + n})
	}
	return cs
}

// bid stores a bid by seller on the market's solicitation.
func (m market) bid(t *testing.T, id string, seller domain.User, submitted time.Time, names ...string) domain.Bid {
	t.Helper()
	b := domain.Bid{ID: id, SolicitationID: m.sol.ID, VendorOrgID: seller.OrgID, SubmittedBy: seller.ID, SubmittedAt: submitted,
		Candidates: candidates(id, names...)}
	if err := m.st.InsertBid(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return b
}

// count counts the rows of table matching where (SQL, "" for all).
func count(t *testing.T, st *Store, table, where string, args ...any) int {
	t.Helper()
	q := "SELECT count(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	var n int
	if err := st.pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// ids lists the ids of xs, for comparing listings.
func ids[T any](xs []T, id func(T) string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return strings.Join(out, ",")
}

func requireNoError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// requireFails wants err to be a failure that names what failed.
func requireFails(t *testing.T, err error, mentions string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error mentioning %q, got none", mentions)
	}
	if msg := err.Error(); !strings.Contains(strings.ToLower(msg), strings.ToLower(mentions)) {
		t.Fatalf("error %q does not mention %q", msg, mentions)
	}
}

// mustOrg makes or finds an organisation, failing the test if it cannot.
func mustOrg(t *testing.T, st *Store, name, kind string) domain.Organisation {
	t.Helper()
	o, err := st.EnsureOrganisation(context.Background(), name, kind)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// mustUser makes a user of org, failing the test if it cannot.
func mustUser(t *testing.T, st *Store, email string, role domain.Role, org domain.Organisation) domain.User {
	t.Helper()
	u, _, err := st.CreateUser(context.Background(), email, role, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
