package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// BiddingOrganisations lists the vendor organisations that have bid on any
// solicitation, by name: the ones a reviewer may need to declare a conflict
// of interest with.
func (s *Store) BiddingOrganisations(ctx context.Context) ([]domain.Organisation, error) {
	rows, err := s.pool.Query(ctx, `SELECT o.id, o.name, o.kind FROM organisations o
		WHERE o.kind = 'vendor' AND EXISTS (SELECT 1 FROM bids b WHERE b.vendor_org_id = o.id)
		ORDER BY o.name, o.id`)
	if err != nil {
		return nil, fmt.Errorf("list bidding organisations: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[domain.Organisation])
}
