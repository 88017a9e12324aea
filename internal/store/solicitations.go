package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

const solicitationColumns = `id, agency_org_id, title, description, risk_tier, deadline, expected_monthly_users,
	COALESCE(minimum_openness_class, ''), status, COALESCE(policy_revision, ''), created_by, created_at,
	published_at, closed_at`

func scanSolicitation(row pgx.Row) (domain.Solicitation, error) {
	var s domain.Solicitation
	err := row.Scan(&s.ID, &s.AgencyOrgID, &s.Title, &s.Description, &s.RiskTier, &s.Deadline,
		&s.ExpectedMonthlyUsers, &s.MinimumOpennessClass, &s.Status, &s.PolicyRevision, &s.CreatedBy,
		&s.CreatedAt, &s.PublishedAt, &s.ClosedAt)
	return s, err
}

// CreateSolicitation stores a draft solicitation.
func (s *Store) CreateSolicitation(ctx context.Context, sol domain.Solicitation) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO solicitations (id, agency_org_id, title, description, risk_tier, deadline,
			expected_monthly_users, minimum_openness_class, status, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, NULLIF($8, ''), $9, $10, $11)`,
		sol.ID, sol.AgencyOrgID, sol.Title, sol.Description, string(sol.RiskTier), sol.Deadline,
		sol.ExpectedMonthlyUsers, sol.MinimumOpennessClass, string(sol.Status), sol.CreatedBy, sol.CreatedAt)
	if err != nil {
		return fmt.Errorf("create solicitation %s: %w", sol.ID, err)
	}
	return nil
}

// Solicitation reads one solicitation.
func (s *Store) Solicitation(ctx context.Context, id string) (domain.Solicitation, error) {
	sol, err := scanSolicitation(s.pool.QueryRow(ctx, `SELECT `+solicitationColumns+` FROM solicitations WHERE id = $1`, id))
	if err != nil {
		return sol, notFound(err, "no solicitation %s", id)
	}
	return sol, nil
}

// Solicitations lists solicitations, newest first.
func (s *Store) Solicitations(ctx context.Context) ([]domain.Solicitation, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+solicitationColumns+` FROM solicitations ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list solicitations: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Solicitation, error) { return scanSolicitation(r) })
}

// MarkPublished moves a draft to published and freezes the policy revision
// its candidates will be evaluated under. Publishing twice is a conflict.
func (s *Store) MarkPublished(ctx context.Context, id, revision string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE solicitations SET status = 'published', policy_revision = $2, published_at = $3
		WHERE id = $1 AND status = 'draft'`, id, revision, at)
	if err != nil {
		return fmt.Errorf("publish solicitation %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		sol, err := s.Solicitation(ctx, id)
		if err != nil {
			return err
		}
		return domain.Errorf(domain.ErrConflict, "solicitation %s is %s, not a draft: only a draft can be published", id, sol.Status)
	}
	return nil
}

// RevertPublished undoes MarkPublished when the workflow could not be started,
// so the officer can try again.
func (s *Store) RevertPublished(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE solicitations SET status = 'draft', policy_revision = NULL, published_at = NULL
		WHERE id = $1 AND status = 'published'`, id)
	return err
}

// SetSolicitationStatus records a lifecycle transition. Idempotent: setting
// the same status again changes nothing.
func (s *Store) SetSolicitationStatus(ctx context.Context, id string, status domain.SolicitationStatus, at time.Time) error {
	var q string
	switch status {
	case domain.SolicitationClosed:
		q = `UPDATE solicitations SET status = $2, closed_at = COALESCE(closed_at, $3) WHERE id = $1`
	case domain.SolicitationEvaluated:
		q = `UPDATE solicitations SET status = $2, evaluated_at = COALESCE(evaluated_at, $3) WHERE id = $1`
	default:
		q = `UPDATE solicitations SET status = $2 WHERE id = $1 AND $3::timestamptz IS NOT NULL`
	}
	if _, err := s.pool.Exec(ctx, q, id, string(status), at); err != nil {
		return fmt.Errorf("set solicitation %s to %s: %w", id, status, err)
	}
	return nil
}
