package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// DeclareConflict records a reviewer's conflict of interest with an
// organisation, and audits it in the same transaction. A second
// declaration while the first stands is refused.
func (s *Store) DeclareConflict(ctx context.Context, reviewerID, orgID, reason string, at time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO conflicts_of_interest (reviewer_id, org_id, reason, declared_at)
			VALUES ($1, $2, $3, $4) RETURNING id`, reviewerID, orgID, reason, at).Scan(&id)
		if isUniqueViolation(err) {
			return domain.Errorf(domain.ErrConflict, "you already declared a conflict of interest with organisation %s; it stands until you withdraw it", orgID)
		}
		if err != nil {
			return fmt.Errorf("declare conflict of %s with %s: %w", reviewerID, orgID, err)
		}
		return appendAudit(ctx, tx, AuditEvent{
			Key: fmt.Sprintf("conflict/%d/declared", id), At: at, Actor: reviewerID, Action: "conflict.declared",
			SubjectType: "organisation", SubjectID: orgID, Detail: map[string]any{"reason": reason},
		})
	})
}

// WithdrawConflict withdraws a reviewer's standing conflict of interest with
// an organisation, and audits it in the same transaction. The declaration
// stays on record, marked withdrawn.
func (s *Store) WithdrawConflict(ctx context.Context, reviewerID, orgID, reason string, at time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var id int64
		var declared time.Time
		err := tx.QueryRow(ctx, `UPDATE conflicts_of_interest SET withdrawn_at = $3, withdrawal_reason = $4
			WHERE reviewer_id = $1 AND org_id = $2 AND withdrawn_at IS NULL RETURNING id, declared_at`,
			reviewerID, orgID, at, reason).Scan(&id, &declared)
		if err != nil {
			return notFound(fmt.Errorf("withdraw conflict of %s with %s: %w", reviewerID, orgID, err),
				"you have no standing conflict of interest with organisation %s to withdraw", orgID)
		}
		return appendAudit(ctx, tx, AuditEvent{
			Key: fmt.Sprintf("conflict/%d/withdrawn", id), At: at, Actor: reviewerID, Action: "conflict.withdrawn",
			SubjectType: "organisation", SubjectID: orgID, Detail: map[string]any{"reason": reason, "declared_at": declared},
		})
	})
}

// Conflicts lists the organisations a reviewer has a standing conflict with.
func (s *Store) Conflicts(ctx context.Context, reviewerID string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT org_id FROM conflicts_of_interest
		WHERE reviewer_id = $1 AND withdrawn_at IS NULL ORDER BY org_id`, reviewerID)
	if err != nil {
		return nil, fmt.Errorf("list conflicts of %s: %w", reviewerID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// DeclaredConflict is a reviewer's declared conflict of interest, with the
// organisation's name.
type DeclaredConflict struct {
	Organisation domain.Organisation
	Reason       string
	DeclaredAt   time.Time
}

// DeclaredConflicts lists a reviewer's standing conflicts of interest, newest first.
func (s *Store) DeclaredConflicts(ctx context.Context, reviewerID string) ([]DeclaredConflict, error) {
	rows, err := s.pool.Query(ctx, `SELECT o.id, o.name, o.kind, c.reason, c.declared_at
		FROM conflicts_of_interest c JOIN organisations o ON o.id = c.org_id
		WHERE c.reviewer_id = $1 AND c.withdrawn_at IS NULL ORDER BY c.declared_at DESC, o.name`, reviewerID)
	if err != nil {
		return nil, fmt.Errorf("list declared conflicts of %s: %w", reviewerID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (DeclaredConflict, error) {
		var d DeclaredConflict
		err := r.Scan(&d.Organisation.ID, &d.Organisation.Name, &d.Organisation.Kind, &d.Reason, &d.DeclaredAt)
		return d, err
	})
}
