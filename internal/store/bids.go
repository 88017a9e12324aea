package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// InsertBid stores a bid and its candidates in one transaction. Idempotent:
// a bid id that is already stored is left as it is.
func (s *Store) InsertBid(ctx context.Context, b domain.Bid) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		amount, currency := price(b.Price)
		tag, err := tx.Exec(ctx, `
			INSERT INTO bids (id, solicitation_id, vendor_org_id, submitted_by, submitted_at, price_amount, price_currency, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $5) ON CONFLICT (id) DO NOTHING`,
			b.ID, b.SolicitationID, b.VendorOrgID, b.SubmittedBy, b.SubmittedAt, amount, currency)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return insertCandidates(ctx, tx, b.ID, 1, b.Candidates)
	})
	if err != nil {
		return fmt.Errorf("insert bid %s: %w", b.ID, err)
	}
	return nil
}

// ReviseBid replaces a bid's candidates and price with revision b.Revision;
// the candidates it replaces are kept, marked superseded. Idempotent on
// (bid, revision).
func (s *Store) ReviseBid(ctx context.Context, b domain.Bid) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		amount, currency := price(b.Price)
		tag, err := tx.Exec(ctx, `UPDATE bids SET revision = $2, price_amount = $3, price_currency = $4,
			status = 'submitted', updated_at = $5 WHERE id = $1 AND revision < $2`, b.ID, b.Revision, amount, currency, b.SubmittedAt)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE candidates SET superseded_at = $2 WHERE bid_id = $1 AND superseded_at IS NULL`,
			b.ID, b.SubmittedAt); err != nil {
			return err
		}
		return insertCandidates(ctx, tx, b.ID, b.Revision, b.Candidates)
	})
	if err != nil {
		return fmt.Errorf("revise bid %s: %w", b.ID, err)
	}
	return nil
}

func insertCandidates(ctx context.Context, tx pgx.Tx, bidID string, revision int, candidates []domain.Candidate) error {
	for i, c := range candidates {
		doc, err := json.Marshal(c.Manifest)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO candidates (id, bid_id, revision, position, name, manifest, manifest_hash, weights_license, weights_digest)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULLIF($9, ''))`,
			c.ID, bidID, revision, i, c.Name, doc, c.ManifestHash, c.Manifest.Weights.License, c.Manifest.Weights.Digest); err != nil {
			return err
		}
	}
	return nil
}

func price(m *domain.Money) (*float64, *string) {
	if m == nil {
		return nil, nil
	}
	return &m.Amount, &m.Currency
}

// SetBidStatus moves a bid to status (withdrawn, submitted after a
// confirmation, excluded when unconfirmed at close). Idempotent.
func (s *Store) SetBidStatus(ctx context.Context, bidID, status string, at time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE bids SET status = $2, updated_at = $3 WHERE id = $1`, bidID, status, at); err != nil {
		return fmt.Errorf("set bid %s to %s: %w", bidID, status, err)
	}
	return nil
}

// Bid reads a bid with its candidates.
func (s *Store) Bid(ctx context.Context, id string) (domain.Bid, error) {
	var b domain.Bid
	var amount *float64
	var currency *string
	err := s.pool.QueryRow(ctx, `SELECT id, solicitation_id, vendor_org_id, submitted_by, submitted_at, status, revision,
		price_amount, price_currency FROM bids WHERE id = $1`, id).
		Scan(&b.ID, &b.SolicitationID, &b.VendorOrgID, &b.SubmittedBy, &b.SubmittedAt, &b.Status, &b.Revision, &amount, &currency)
	if err != nil {
		return b, notFound(err, "no bid %s", id)
	}
	if amount != nil && currency != nil {
		b.Price = &domain.Money{Amount: *amount, Currency: *currency}
	}
	rows, err := s.pool.Query(ctx, `SELECT id, bid_id, name, manifest_hash, manifest FROM candidates
		WHERE bid_id = $1 AND superseded_at IS NULL ORDER BY position`, id)
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
	Status      string   `json:"status"`
	Revision    int      `json:"revision"`
	Candidates  []string `json:"candidates"`
}

// BidsForSolicitation lists the bids of a solicitation, optionally only those
// of one vendor organisation (vendorOrgID != "").
func (s *Store) BidsForSolicitation(ctx context.Context, solicitationID, vendorOrgID string) ([]BidSummary, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT b.id, b.vendor_org_id, o.name, b.status, b.revision,
			COALESCE(array_agg(c.name ORDER BY c.position) FILTER (WHERE c.id IS NOT NULL), '{}')
		FROM bids b JOIN organisations o ON o.id = b.vendor_org_id
			LEFT JOIN candidates c ON c.bid_id = b.id AND c.superseded_at IS NULL
		WHERE b.solicitation_id = $1 AND ($2 = '' OR b.vendor_org_id = $2)
		GROUP BY b.id, b.vendor_org_id, o.name, b.submitted_at ORDER BY b.submitted_at, b.id`, solicitationID, vendorOrgID)
	if err != nil {
		return nil, fmt.Errorf("list bids of %s: %w", solicitationID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (BidSummary, error) {
		var b BidSummary
		err := r.Scan(&b.ID, &b.VendorOrgID, &b.VendorName, &b.Status, &b.Revision, &b.Candidates)
		return b, err
	})
}
