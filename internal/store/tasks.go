package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// CreateTask opens a review task. Idempotent on the task id.
func (s *Store) CreateTask(ctx context.Context, t domain.Task) error {
	findings, err := json.Marshal(nonNil(t.Findings))
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO tasks (id, kind, status, solicitation_id, bid_id, candidate_id, vendor_org_id, workflow_id,
			title, findings, findings_hash, approvals_required, created_at, due_at, excluded_org_ids, excluded_user_ids)
		VALUES ($1, $2, 'open', $3, NULLIF($4, ''), NULLIF($5, ''), NULLIF($6, ''), $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (id) DO NOTHING`,
		t.ID, string(t.Kind), t.SolicitationID, t.BidID, t.CandidateID, t.VendorOrgID, t.WorkflowID,
		t.Title, findings, t.FindingsHash, t.Approvals, t.CreatedAt, t.DueAt, nonNil(t.ExcludedOrgIDs), nonNil(t.ExcludedUserIDs))
	if err != nil {
		return fmt.Errorf("create task %s: %w", t.ID, err)
	}
	return nil
}

const taskColumns = `id, kind, status, solicitation_id, COALESCE(bid_id, ''), COALESCE(candidate_id, ''),
	COALESCE(vendor_org_id, ''), workflow_id, title, findings, findings_hash, approvals_required, created_at, due_at,
	excluded_org_ids, excluded_user_ids, escalation_level`

func scanTask(r pgx.CollectableRow) (domain.Task, error) {
	var t domain.Task
	var findings []byte
	if err := r.Scan(&t.ID, &t.Kind, &t.Status, &t.SolicitationID, &t.BidID, &t.CandidateID, &t.VendorOrgID,
		&t.WorkflowID, &t.Title, &findings, &t.FindingsHash, &t.Approvals, &t.CreatedAt, &t.DueAt,
		&t.ExcludedOrgIDs, &t.ExcludedUserIDs, &t.EscalationLevel); err != nil {
		return t, err
	}
	return t, json.Unmarshal(findings, &t.Findings)
}

// Task reads one task.
func (s *Store) Task(ctx context.Context, id string) (domain.Task, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = $1`, id)
	if err != nil {
		return domain.Task{}, fmt.Errorf("read task %s: %w", id, err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanTask)
	if err != nil {
		return t, notFound(err, "no task %s", id)
	}
	return t, nil
}

// OpenTasksFor lists the open tasks a reviewer may work, due first: never
// those on bids from the reviewer's own organisation or one it declared a
// conflict of interest with, never those it is excluded from, nor those it
// already decided.
func (s *Store) OpenTasksFor(ctx context.Context, reviewer domain.User) ([]domain.Task, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks t
		WHERE status = 'open'
		AND vendor_org_id IS DISTINCT FROM NULLIF($1, '')
		AND NOT (NULLIF($1, '') = ANY (excluded_org_ids)) IS TRUE
		AND NOT ($2 = ANY (excluded_user_ids))
		AND NOT EXISTS (SELECT 1 FROM conflicts_of_interest c WHERE c.reviewer_id = $2
			AND (c.org_id = t.vendor_org_id OR c.org_id = ANY (t.excluded_org_ids)))
		AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.task_id = t.id AND d.reviewer_id = $2)
		ORDER BY COALESCE(due_at, created_at), id`, reviewer.OrgID, reviewer.ID)
	if err != nil {
		return nil, fmt.Errorf("list open tasks: %w", err)
	}
	return pgx.CollectRows(rows, scanTask)
}

// RecordDecision appends a reviewer's decision. Idempotent: the same
// reviewer's decision on the same task is stored once.
func (s *Store) RecordDecision(ctx context.Context, d domain.Decision) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO decisions (task_id, reviewer_id, verdict, reason_code, comment, findings_hash, decided_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (task_id, reviewer_id) DO NOTHING`,
		d.TaskID, d.ReviewerID, string(d.Verdict), d.ReasonCode, d.Comment, d.FindingsHash, d.DecidedAt)
	if err != nil {
		return fmt.Errorf("record decision on %s: %w", d.TaskID, err)
	}
	return nil
}

// CloseTask marks a task decided (or superseded). Idempotent.
func (s *Store) CloseTask(ctx context.Context, id string, status domain.TaskStatus, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE tasks SET status = $2, closed_at = $3 WHERE id = $1 AND status = 'open'`, id, string(status), at)
	if err != nil {
		return fmt.Errorf("close task %s: %w", id, err)
	}
	return nil
}

// EscalateTask records that an overdue task was escalated to level (1: every
// reviewer, 2: the officer). Idempotent.
func (s *Store) EscalateTask(ctx context.Context, id string, level int, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE tasks SET escalation_level = $2, escalated_at = $3
		WHERE id = $1 AND escalation_level < $2`, id, level, at)
	if err != nil {
		return fmt.Errorf("escalate task %s: %w", id, err)
	}
	return nil
}

// DeclareConflict records a reviewer's conflict of interest with an
// organisation. Idempotent.
func (s *Store) DeclareConflict(ctx context.Context, reviewerID, orgID, reason string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO conflicts_of_interest (reviewer_id, org_id, reason, declared_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, reviewerID, orgID, reason, at)
	if err != nil {
		return fmt.Errorf("declare conflict of %s with %s: %w", reviewerID, orgID, err)
	}
	return nil
}

// Conflicts lists the organisations a reviewer declared a conflict with.
func (s *Store) Conflicts(ctx context.Context, reviewerID string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT org_id FROM conflicts_of_interest WHERE reviewer_id = $1 ORDER BY org_id`, reviewerID)
	if err != nil {
		return nil, fmt.Errorf("list conflicts of %s: %w", reviewerID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// Decisions lists the decisions on a task, oldest first.
func (s *Store) Decisions(ctx context.Context, taskID string) ([]domain.Decision, error) {
	rows, err := s.pool.Query(ctx, `SELECT d.task_id, d.reviewer_id, u.role, COALESCE(u.org_id, ''), d.verdict, d.reason_code,
		d.comment, d.findings_hash, d.decided_at FROM decisions d JOIN users u ON u.id = d.reviewer_id
		WHERE d.task_id = $1 ORDER BY d.decided_at`, taskID)
	if err != nil {
		return nil, fmt.Errorf("list decisions on %s: %w", taskID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Decision, error) {
		var d domain.Decision
		err := r.Scan(&d.TaskID, &d.ReviewerID, &d.ReviewerRole, &d.ReviewerOrgID, &d.Verdict, &d.ReasonCode, &d.Comment, &d.FindingsHash, &d.DecidedAt)
		return d, err
	})
}
