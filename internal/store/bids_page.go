package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// Page sizes of the bid list: what a client gets without asking, and the
// most it may ask for.
const (
	DefaultBidPage = 50
	MaxBidPage     = 500
)

// BidPage is one page of a solicitation's bids in submission order; Next is
// the cursor of the following page, "" after the last.
type BidPage struct {
	Bids []BidSummary `json:"bids"`
	Next string       `json:"next,omitempty"`
}

// BidsPage lists up to limit bids of a solicitation (of one vendor
// organisation when vendorOrgID != ""), in submission order, after the
// cursor a previous page returned ("": from the first). It pages by keyset
// on (submitted_at, id), so a page costs the same however deep it is, and
// aggregates candidates for that page's bids only.
func (s *Store) BidsPage(ctx context.Context, solicitationID, vendorOrgID, after string, limit int) (BidPage, error) {
	if limit < 1 || limit > MaxBidPage {
		return BidPage{}, domain.Errorf(domain.ErrInvalid, "limit %d is out of range: ask for 1 to %d bids", limit, MaxBidPage)
	}
	// The first page and the following ones are separate statements: an
	// "$3 IS NULL OR ..." condition would keep the planner off the index.
	keyset, args := "", []any{solicitationID, vendorOrgID, limit + 1} // one more tells whether a page follows
	if after != "" {
		at, id, err := decodeBidCursor(after)
		if err != nil {
			return BidPage{}, err
		}
		keyset, args = "AND (submitted_at, id) > ($4, $5)", append(args, at, id)
	}
	rows, err := s.pool.Query(ctx, bidPageSQL(keyset), args...)
	if err != nil {
		return BidPage{}, fmt.Errorf("list bids of %s: %w", solicitationID, err)
	}
	var last []time.Time
	bids, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (BidSummary, error) {
		var b BidSummary
		var at time.Time
		err := r.Scan(&b.ID, &b.VendorOrgID, &b.VendorName, &b.Status, &b.Revision, &at, &b.Candidates)
		last = append(last, at)
		return b, err
	})
	if err != nil {
		return BidPage{}, fmt.Errorf("list bids of %s: %w", solicitationID, err)
	}
	page := BidPage{Bids: bids}
	if len(bids) > limit {
		page.Bids = bids[:limit]
		page.Next = encodeBidCursor(last[limit-1], bids[limit-1].ID)
	}
	return page, nil
}

// bidPageSQL selects a page of bids ($3 of them, after the keyset condition
// if any), then their vendors' names and candidates, for that page only.
func bidPageSQL(keyset string) string {
	return `
		SELECT b.id, b.vendor_org_id, o.name, b.status, b.revision, b.submitted_at,
			COALESCE((SELECT array_agg(c.name ORDER BY c.position) FROM candidates c
				WHERE c.bid_id = b.id AND c.superseded_at IS NULL), '{}')
		FROM (SELECT id, vendor_org_id, status, revision, submitted_at FROM bids
			WHERE solicitation_id = $1 AND ($2 = '' OR vendor_org_id = $2) ` + keyset + `
			ORDER BY submitted_at, id LIMIT $3) b
		JOIN organisations o ON o.id = b.vendor_org_id
		ORDER BY b.submitted_at, b.id`
}

// A cursor is opaque to clients: the last bid's submission time and id.
func encodeBidCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + " " + id))
}

func decodeBidCursor(s string) (time.Time, string, error) {
	bad := domain.Errorf(domain.ErrInvalid, "after=%q is not a cursor this API returned: pass the next value of the previous page", s)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", bad
	}
	ts, id, ok := strings.Cut(string(raw), " ")
	if !ok || id == "" {
		return time.Time{}, "", bad
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, "", bad
	}
	return at, id, nil
}
