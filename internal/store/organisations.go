package store

import (
	"context"
	"fmt"
	"time"

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

// DeclaredConflict is a reviewer's declared conflict of interest, with the
// organisation's name.
type DeclaredConflict struct {
	Organisation domain.Organisation
	Reason       string
	DeclaredAt   time.Time
}

// DeclaredConflicts lists a reviewer's conflicts of interest, newest first.
func (s *Store) DeclaredConflicts(ctx context.Context, reviewerID string) ([]DeclaredConflict, error) {
	rows, err := s.pool.Query(ctx, `SELECT o.id, o.name, o.kind, c.reason, c.declared_at
		FROM conflicts_of_interest c JOIN organisations o ON o.id = c.org_id
		WHERE c.reviewer_id = $1 ORDER BY c.declared_at DESC, o.name`, reviewerID)
	if err != nil {
		return nil, fmt.Errorf("list declared conflicts of %s: %w", reviewerID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (DeclaredConflict, error) {
		var d DeclaredConflict
		err := r.Scan(&d.Organisation.ID, &d.Organisation.Name, &d.Organisation.Kind, &d.Reason, &d.DeclaredAt)
		return d, err
	})
}
