package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// InsertBid stores a bid and its candidates in one transaction. Idempotent:
// a bid id that is already stored is left as it is.
func (s *Store) InsertBid(ctx context.Context, b domain.Bid) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO bids (id, solicitation_id, vendor_org_id, submitted_by, submitted_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
			b.ID, b.SolicitationID, b.VendorOrgID, b.SubmittedBy, b.SubmittedAt)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		for i, c := range b.Candidates {
			doc, err := json.Marshal(c.Manifest)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `
				INSERT INTO candidates (id, bid_id, position, name, manifest, manifest_hash, weights_license, weights_digest)
				VALUES ($1, $2, $3, $4, $5, $6, $7, NULLIF($8, ''))`,
				c.ID, b.ID, i, c.Name, doc, c.ManifestHash, c.Manifest.Weights.License, c.Manifest.Weights.Digest); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert bid %s: %w", b.ID, err)
	}
	return nil
}

// Bid reads a bid with its candidates.
func (s *Store) Bid(ctx context.Context, id string) (domain.Bid, error) {
	var b domain.Bid
	err := s.pool.QueryRow(ctx, `SELECT id, solicitation_id, vendor_org_id, submitted_by, submitted_at FROM bids WHERE id = $1`, id).
		Scan(&b.ID, &b.SolicitationID, &b.VendorOrgID, &b.SubmittedBy, &b.SubmittedAt)
	if err != nil {
		return b, notFound(err, "no bid %s", id)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, bid_id, name, manifest_hash, manifest FROM candidates WHERE bid_id = $1 ORDER BY position`, id)
	if err != nil {
		return b, fmt.Errorf("read candidates of bid %s: %w", id, err)
	}
	b.Candidates, err = pgx.CollectRows(rows, scanCandidate)
	if err != nil {
		return b, fmt.Errorf("read candidates of bid %s: %w", id, err)
	}
	return b, nil
}

// Candidate reads one candidate with its manifest.
func (s *Store) Candidate(ctx context.Context, id string) (domain.Candidate, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, bid_id, name, manifest_hash, manifest FROM candidates WHERE id = $1`, id)
	if err != nil {
		return domain.Candidate{}, fmt.Errorf("read candidate %s: %w", id, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCandidate)
	if err != nil {
		return c, notFound(err, "no candidate %s", id)
	}
	return c, nil
}

func scanCandidate(r pgx.CollectableRow) (domain.Candidate, error) {
	var c domain.Candidate
	var doc []byte
	if err := r.Scan(&c.ID, &c.BidID, &c.Name, &c.ManifestHash, &doc); err != nil {
		return c, err
	}
	return c, json.Unmarshal(doc, &c.Manifest)
}

// BidSummary is a bid without its manifests, for listings.
type BidSummary struct {
	ID          string   `json:"id"`
	VendorOrgID string   `json:"vendor_org_id"`
	VendorName  string   `json:"vendor_name"`
	Candidates  []string `json:"candidates"`
}

// BidsForSolicitation lists the bids of a solicitation, optionally only those
// of one vendor organisation (vendorOrgID != "").
func (s *Store) BidsForSolicitation(ctx context.Context, solicitationID, vendorOrgID string) ([]BidSummary, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT b.id, b.vendor_org_id, o.name, COALESCE(array_agg(c.name ORDER BY c.position) FILTER (WHERE c.id IS NOT NULL), '{}')
		FROM bids b JOIN organisations o ON o.id = b.vendor_org_id LEFT JOIN candidates c ON c.bid_id = b.id
		WHERE b.solicitation_id = $1 AND ($2 = '' OR b.vendor_org_id = $2)
		GROUP BY b.id, b.vendor_org_id, o.name, b.submitted_at ORDER BY b.submitted_at, b.id`, solicitationID, vendorOrgID)
	if err != nil {
		return nil, fmt.Errorf("list bids of %s: %w", solicitationID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (BidSummary, error) {
		var b BidSummary
		err := r.Scan(&b.ID, &b.VendorOrgID, &b.VendorName, &b.Candidates)
		return b, err
	})
}
