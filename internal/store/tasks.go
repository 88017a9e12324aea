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
			title, findings, findings_hash, approvals_required, created_at, due_at)
		VALUES ($1, $2, 'open', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (id) DO NOTHING`,
		t.ID, string(t.Kind), t.SolicitationID, t.BidID, t.CandidateID, t.VendorOrgID, t.WorkflowID,
		t.Title, findings, t.FindingsHash, t.Approvals, t.CreatedAt, t.DueAt)
	if err != nil {
		return fmt.Errorf("create task %s: %w", t.ID, err)
	}
	return nil
}

const taskColumns = `id, kind, status, solicitation_id, bid_id, candidate_id, vendor_org_id, workflow_id, title,
	findings, findings_hash, approvals_required, created_at, due_at`

func scanTask(r pgx.CollectableRow) (domain.Task, error) {
	var t domain.Task
	var findings []byte
	if err := r.Scan(&t.ID, &t.Kind, &t.Status, &t.SolicitationID, &t.BidID, &t.CandidateID, &t.VendorOrgID,
		&t.WorkflowID, &t.Title, &findings, &t.FindingsHash, &t.Approvals, &t.CreatedAt, &t.DueAt); err != nil {
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

// OpenTasksFor lists the open tasks a reviewer may work: never those on bids
// from the reviewer's own organisation, nor those it already decided.
func (s *Store) OpenTasksFor(ctx context.Context, reviewer domain.User) ([]domain.Task, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks t
		WHERE status = 'open' AND vendor_org_id IS DISTINCT FROM NULLIF($1, '')
		AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.task_id = t.id AND d.reviewer_id = $2)
		ORDER BY created_at, id`, reviewer.OrgID, reviewer.ID)
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
