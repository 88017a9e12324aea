package store

import (
	"context"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// BenchmarkBidList measures the bid list at 100,000 bids of one solicitation
// (one candidate each): the whole list as it was served, a page of 50 half
// way through by keyset, the same page statement run bare, and the keyset
// over bids alone, without and then with an index on (solicitation_id,
// submitted_at, id).
//
//	go test ./internal/store -run XXX -bench BenchmarkBidList -benchtime 20x
func BenchmarkBidList(b *testing.B) {
	ctx := context.Background()
	st, _ := openStore(b)
	agency, err := st.EnsureOrganisation(ctx, "Agency", "agency")
	if err != nil {
		b.Fatal(err)
	}
	officer, _, err := st.CreateUser(ctx, "officer@agency.test", domain.RoleOfficer, agency.ID)
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	sol := domain.Solicitation{ID: "sol_1", AgencyOrgID: agency.ID, Title: "t", RiskTier: domain.RiskStandard,
		Deadline: at.Add(time.Hour), Status: domain.SolicitationDraft, CreatedBy: officer.ID, CreatedAt: at}
	if err := st.CreateSolicitation(ctx, sol); err != nil {
		b.Fatal(err)
	}
	const n = 100_000
	for _, q := range []string{
		`INSERT INTO organisations (id, name, kind) SELECT 'org_' || i, 'Vendor ' || i, 'vendor' FROM generate_series(1, 100) i`,
		`INSERT INTO users (id, email, role, org_id) SELECT 'usr_' || i, 'seller' || i || '@vendor.test', 'vendor', 'org_' || i FROM generate_series(1, 100) i`,
		`INSERT INTO bids (id, solicitation_id, vendor_org_id, submitted_by, submitted_at, updated_at)
			SELECT 'bid_' || lpad(i::text, 6, '0'), 'sol_1', 'org_' || (i % 100 + 1), 'usr_' || (i % 100 + 1),
				timestamptz '2026-11-26 10:00:00+00' + i * interval '10 ms', now()
			FROM generate_series(1, 100000) i`,
		`INSERT INTO candidates (id, bid_id, position, name, manifest, manifest_hash, weights_license)
			SELECT 'cnd_' || i, 'bid_' || lpad(i::text, 6, '0'), 0, 'model ' || i, '{}', 'sha256:x', 'Apache-2.0'
			FROM generate_series(1, 100000) i`,
		`ANALYZE`,
	} {
		if _, err := st.pool.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	mid := encodeBidCursor(at.Add(n/2*10*time.Millisecond), "bid_050000")
	midAt, midID, err := decodeBidCursor(mid)
	if err != nil {
		b.Fatal(err)
	}

	b.Run("full-list", func(b *testing.B) {
		for b.Loop() {
			if bids, err := st.BidsForSolicitation(ctx, sol.ID, ""); err != nil || len(bids) != n {
				b.Fatal(len(bids), err)
			}
		}
	})
	pages := func(b *testing.B) {
		b.Run("page-50-keyset", func(b *testing.B) {
			for b.Loop() {
				if p, err := st.BidsPage(ctx, sol.ID, "", mid, 50); err != nil || len(p.Bids) != 50 {
					b.Fatal(len(p.Bids), err)
				}
			}
		})
		// The same statement run bare: what the store adds is scanning.
		b.Run("page-50-same-sql", func(b *testing.B) {
			for b.Loop() {
				benchCount(b, st, bidPageSQL("AND (submitted_at, id) > ($4, $5)"), sol.ID, "", 51, midAt, midID)
			}
		})
		// Only the keyset over bids, no vendor names or candidates.
		b.Run("page-50-keyset-only-sql", func(b *testing.B) {
			for b.Loop() {
				benchCount(b, st, `SELECT id, vendor_org_id, status, revision, submitted_at FROM bids
					WHERE solicitation_id = $1 AND (submitted_at, id) > ($2, $3) ORDER BY submitted_at, id LIMIT 50`, sol.ID, midAt, midID)
			}
		})
	}
	b.Run("without-index", pages)
	if _, err := st.pool.Exec(ctx, `CREATE INDEX bids_solicitation_submitted ON bids (solicitation_id, submitted_at, id); ANALYZE bids`); err != nil {
		b.Fatal(err)
	}
	b.Run("with-index", pages)
}

// count runs a page query and requires a page of 50 (51 when it asks for one more).
func benchCount(b *testing.B, st *Store, sql string, args ...any) {
	rows, err := st.pool.Query(context.Background(), sql, args...)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if rows.Err() != nil || (n != 50 && n != 51) {
		b.Fatal(n, rows.Err())
	}
}
