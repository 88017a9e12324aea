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
	published_at, closed_at, weights, standstill_days, amendment_notice_days, COALESCE(cancel_reason, ''), openness_points, enquiry_period_days, use_cases,
	packs, large_language_model, require_osaid, osaid_preference_points`

func scanSolicitation(row pgx.Row) (domain.Solicitation, error) {
	var s domain.Solicitation
	err := row.Scan(&s.ID, &s.AgencyOrgID, &s.Title, &s.Description, &s.RiskTier, &s.Deadline,
		&s.ExpectedMonthlyUsers, &s.MinimumOpennessClass, &s.Status, &s.PolicyRevision, &s.CreatedBy,
		&s.CreatedAt, &s.PublishedAt, &s.ClosedAt, &s.Weights, &s.StandstillDays, &s.AmendmentNoticeDays, &s.CancelReason, &s.OpennessPoints, &s.EnquiryPeriodDays, &s.UseCases,
		&s.Packs, &s.LargeLanguageModel, &s.RequireOSAID, &s.OSAIDPreferencePoints)
	return s, err
}

// CreateSolicitation stores a draft solicitation.
func (s *Store) CreateSolicitation(ctx context.Context, sol domain.Solicitation) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO solicitations (id, agency_org_id, title, description, risk_tier, deadline,
			expected_monthly_users, minimum_openness_class, status, created_by, created_at,
			weights, standstill_days, amendment_notice_days, openness_points, enquiry_period_days, use_cases,
			packs, large_language_model, require_osaid, osaid_preference_points)
		VALUES ($1, $2, $3, $4, $5, $6, $7, NULLIF($8, ''), $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
		sol.ID, sol.AgencyOrgID, sol.Title, sol.Description, string(sol.RiskTier), sol.Deadline,
		sol.ExpectedMonthlyUsers, sol.MinimumOpennessClass, string(sol.Status), sol.CreatedBy, sol.CreatedAt,
		sol.Weights, sol.StandstillDays, sol.AmendmentNoticeDays, sol.OpennessPoints, sol.EnquiryPeriodDays, useCases(sol),
		packs(sol), sol.LargeLanguageModel, sol.RequireOSAID, sol.OSAIDPreferencePoints)
	if err != nil {
		return fmt.Errorf("create solicitation %s: %w", sol.ID, err)
	}
	return nil
}

// useCases is the solicitation's use cases as a never-null array.
func useCases(sol domain.Solicitation) []string {
	if sol.UseCases == nil {
		return []string{}
	}
	return sol.UseCases
}

// packs is the solicitation's policy packs as a never-null array.
func packs(sol domain.Solicitation) []string {
	if sol.Packs == nil {
		return []string{}
	}
	return sol.Packs
}

// UpdateDraft replaces the terms of a draft and appends event, its audit
// row, in one transaction: both or neither. Once published, a solicitation
// changes only by amendment, so editing anything but a draft is a conflict.
func (s *Store) UpdateDraft(ctx context.Context, sol domain.Solicitation, event AuditEvent) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE solicitations SET title = $2, description = $3, risk_tier = $4, deadline = $5,
				expected_monthly_users = $6, minimum_openness_class = NULLIF($7, ''), weights = $8,
				standstill_days = $9, amendment_notice_days = $10, openness_points = $11, enquiry_period_days = $12,
				use_cases = $13, packs = $14, large_language_model = $15, require_osaid = $16, osaid_preference_points = $17
			WHERE id = $1 AND status = 'draft'`,
			sol.ID, sol.Title, sol.Description, string(sol.RiskTier), sol.Deadline, sol.ExpectedMonthlyUsers,
			sol.MinimumOpennessClass, sol.Weights, sol.StandstillDays, sol.AmendmentNoticeDays, sol.OpennessPoints, sol.EnquiryPeriodDays,
			useCases(sol), packs(sol), sol.LargeLanguageModel, sol.RequireOSAID, sol.OSAIDPreferencePoints)
		if err != nil {
			return fmt.Errorf("update draft solicitation %s: %w", sol.ID, err)
		}
		if tag.RowsAffected() == 0 {
			return s.notDraft(ctx, sol.ID, "only a draft can be edited; publish an amendment instead")
		}
		return appendAudit(ctx, tx, event)
	})
	return err
}

// notDraft is the conflict of changing solicitation id as a draft when it
// is not one (or not found); fix says what to do instead.
func (s *Store) notDraft(ctx context.Context, id, fix string) error {
	cur, err := s.Solicitation(ctx, id)
	if err != nil {
		return err
	}
	return domain.Errorf(domain.ErrConflict, "solicitation %s is %s, not a draft: %s", id, cur.Status, fix)
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

// MarkPublished moves a draft to published, freezes the policy revision
// its candidates will be evaluated under, and appends event, its audit
// row, in one transaction. Publishing twice is a conflict.
func (s *Store) MarkPublished(ctx context.Context, id, revision string, at time.Time, event AuditEvent) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE solicitations SET status = 'published', policy_revision = $2, published_at = $3
			WHERE id = $1 AND status = 'draft'`, id, revision, at)
		if err != nil {
			return fmt.Errorf("publish solicitation %s: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return s.notDraft(ctx, id, "only a draft can be published")
		}
		return appendAudit(ctx, tx, event)
	})
}

// RevertPublished undoes MarkPublished when the workflow could not be
// started, so the officer can try again, and appends event, the audit row
// that says so, in the same transaction: the trail keeps the publication
// and its reversal, since its rows are never deleted.
func (s *Store) RevertPublished(ctx context.Context, id string, event AuditEvent) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE solicitations SET status = 'draft', policy_revision = NULL, published_at = NULL
			WHERE id = $1 AND status = 'published'`, id)
		if err != nil {
			return fmt.Errorf("revert publication of solicitation %s: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return nil // nothing was published, so nothing to audit
		}
		return appendAudit(ctx, tx, event)
	})
}

// SetSolicitationStatus records a lifecycle transition with its time and
// its audit event in one transaction, so the status is never seen without
// the event that explains it. Idempotent (the event is keyed).
func (s *Store) SetSolicitationStatus(ctx context.Context, id string, status domain.SolicitationStatus, at time.Time, event AuditEvent) error {
	q := `UPDATE solicitations SET status = $2, status_changed_at = $3 WHERE id = $1`
	switch status {
	case domain.SolicitationClosed:
		q = `UPDATE solicitations SET status = $2, status_changed_at = $3, closed_at = COALESCE(closed_at, $3) WHERE id = $1`
	case domain.SolicitationEvaluated:
		q = `UPDATE solicitations SET status = $2, status_changed_at = $3, evaluated_at = COALESCE(evaluated_at, $3) WHERE id = $1`
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, q, id, string(status), at); err != nil {
			return fmt.Errorf("set solicitation %s to %s: %w", id, status, err)
		}
		return appendAudit(ctx, tx, event)
	})
}

// CancelSolicitation records a cancellation and its reason. Idempotent.
func (s *Store) CancelSolicitation(ctx context.Context, id, reason string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE solicitations SET status = 'cancelled', status_changed_at = $3, cancel_reason = $2
		WHERE id = $1 AND status <> 'cancelled'`, id, reason, at)
	if err != nil {
		return fmt.Errorf("cancel solicitation %s: %w", id, err)
	}
	return nil
}

// Amend records an amendment, moves the deadline and asks every vendor with
// a bid to confirm or revise it. Idempotent on the amendment id.
func (s *Store) Amend(ctx context.Context, a domain.Amendment) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO amendments (id, solicitation_id, seq, description, previous_deadline, new_deadline, amended_by, amended_at, adopted_revision)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULLIF($9, '')) ON CONFLICT (id) DO NOTHING`,
			a.ID, a.SolicitationID, a.Seq, a.Description, a.PreviousDeadline, a.NewDeadline, a.AmendedBy, a.AmendedAt, a.AdoptedRevision)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE solicitations SET deadline = $2, policy_revision = COALESCE(NULLIF($3, ''), policy_revision)
			WHERE id = $1`, a.SolicitationID, a.NewDeadline, a.AdoptedRevision); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE bids SET status = 'needs-confirmation', updated_at = $2
			WHERE solicitation_id = $1 AND status = 'submitted'`, a.SolicitationID, a.AmendedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("amend solicitation %s: %w", a.SolicitationID, err)
	}
	return nil
}

// Amendments lists the amendments of a solicitation in order.
func (s *Store) Amendments(ctx context.Context, solicitationID string) ([]domain.Amendment, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, solicitation_id, seq, description, previous_deadline, new_deadline,
		amended_by, amended_at, COALESCE(adopted_revision, '') FROM amendments WHERE solicitation_id = $1 ORDER BY seq`, solicitationID)
	if err != nil {
		return nil, fmt.Errorf("list amendments of %s: %w", solicitationID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[domain.Amendment])
}
