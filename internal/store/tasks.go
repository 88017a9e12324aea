package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/modeltender/modeltender/internal/domain"
)

// CreateTask opens a review task. Idempotent on the task id.
func (s *Store) CreateTask(ctx context.Context, t domain.Task) error {
	return insertTask(ctx, s.pool, t)
}

// execer is the pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func insertTask(ctx context.Context, db execer, t domain.Task) error {
	findings, err := json.Marshal(nonNil(t.Findings))
	if err != nil {
		return err
	}
	_, err = db.Exec(ctx, `
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
	excluded_org_ids, excluded_user_ids, escalation_level, escalation_reason`

func scanTask(r pgx.CollectableRow) (domain.Task, error) {
	var t domain.Task
	var findings []byte
	if err := r.Scan(&t.ID, &t.Kind, &t.Status, &t.SolicitationID, &t.BidID, &t.CandidateID, &t.VendorOrgID,
		&t.WorkflowID, &t.Title, &findings, &t.FindingsHash, &t.Approvals, &t.CreatedAt, &t.DueAt,
		&t.ExcludedOrgIDs, &t.ExcludedUserIDs, &t.EscalationLevel, &t.EscalationReason); err != nil {
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

// OpenTasksFor lists the open tasks a reviewer may work, due first: those
// on its own agency's solicitations and those an officer assigned it to;
// never those on bids from the reviewer's own organisation or one it
// declared a conflict of interest with, never those it is excluded from,
// nor those it already decided. A delivery mismatch is the officer's to
// settle, never a reviewer's.
func (s *Store) OpenTasksFor(ctx context.Context, reviewer domain.User) ([]domain.Task, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks t
		WHERE status = 'open' AND kind <> 'delivery-mismatch'
		AND (t.solicitation_id IN (SELECT id FROM solicitations WHERE agency_org_id = NULLIF($1, ''))
			OR EXISTS (SELECT 1 FROM task_assignments a WHERE a.task_id = t.id AND a.reviewer_id = $2))
		AND vendor_org_id IS DISTINCT FROM NULLIF($1, '')
		AND NOT (NULLIF($1, '') = ANY (excluded_org_ids)) IS TRUE
		AND NOT ($2 = ANY (excluded_user_ids))
		AND NOT EXISTS (SELECT 1 FROM conflicts_of_interest c WHERE c.reviewer_id = $2 AND c.withdrawn_at IS NULL
			AND (c.org_id = t.vendor_org_id OR c.org_id = ANY (t.excluded_org_ids)))
		AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.task_id = t.id AND d.reviewer_id = $2)
		ORDER BY COALESCE(due_at, created_at), id`, reviewer.OrgID, reviewer.ID)
	if err != nil {
		return nil, fmt.Errorf("list open tasks: %w", err)
	}
	return pgx.CollectRows(rows, scanTask)
}

// AgencyTasks lists the open tasks on an agency's solicitations, escalated
// first, for its officers and auditors to watch (read-only).
func (s *Store) AgencyTasks(ctx context.Context, agencyOrgID string) ([]domain.Task, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks t
		WHERE status = 'open' AND solicitation_id IN (SELECT id FROM solicitations WHERE agency_org_id = $1)
		ORDER BY escalation_level DESC, COALESCE(due_at, created_at), id`, agencyOrgID)
	if err != nil {
		return nil, fmt.Errorf("list open tasks of agency %s: %w", agencyOrgID, err)
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

// EscalateTask records that a task was escalated to level (1: every
// reviewer, 2: the officer), overdue or, with a reason, because too few
// eligible reviewers were left. Idempotent.
func (s *Store) EscalateTask(ctx context.Context, id string, level int, reason string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE tasks SET escalation_level = $2, escalated_at = $3, escalation_reason = $4
		WHERE id = $1 AND escalation_level < $2`, id, level, at, reason)
	if err != nil {
		return fmt.Errorf("escalate task %s: %w", id, err)
	}
	return nil
}

// EligibleReviewers lists, by id, the reviewers of the issuing agency who
// may decide t: not members of a bidding organisation, not excluded from it,
// without an active conflict of interest with the vendor or an excluded
// organisation.
func (s *Store) EligibleReviewers(ctx context.Context, t domain.Task) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT u.id FROM users u
		JOIN solicitations sol ON sol.agency_org_id = u.org_id AND sol.id = $1
		WHERE u.role = 'reviewer'
		AND u.org_id IS DISTINCT FROM NULLIF($2, '')
		AND NOT (u.org_id = ANY ($3))
		AND NOT (u.id = ANY ($4))
		AND NOT EXISTS (SELECT 1 FROM conflicts_of_interest c WHERE c.reviewer_id = u.id AND c.withdrawn_at IS NULL
			AND (c.org_id = NULLIF($2, '') OR c.org_id = ANY ($3)))
		ORDER BY u.id`, t.SolicitationID, t.VendorOrgID, nonNil(t.ExcludedOrgIDs), nonNil(t.ExcludedUserIDs))
	if err != nil {
		return nil, fmt.Errorf("list eligible reviewers of task %s: %w", t.ID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// AssignableReviewers lists the reviewers of other teams an officer may
// add to t when its own agency's pool is too small: outside the issuing
// agency and the bidding organisation, never of a vendor organisation, not excluded, without an active
// conflict with the vendor or an excluded organisation, not yet assigned.
func (s *Store) AssignableReviewers(ctx context.Context, t domain.Task) ([]domain.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT u.id, u.email, u.role, COALESCE(u.org_id, '') FROM users u
		WHERE u.role = 'reviewer'
		AND NOT EXISTS (SELECT 1 FROM organisations o WHERE o.id = u.org_id AND o.kind = 'vendor')
		AND u.org_id IS DISTINCT FROM (SELECT agency_org_id FROM solicitations WHERE id = $1)
		AND u.org_id IS DISTINCT FROM NULLIF($2, '')
		AND NOT (COALESCE(u.org_id, '') = ANY ($3))
		AND NOT (u.id = ANY ($4))
		AND NOT EXISTS (SELECT 1 FROM conflicts_of_interest c WHERE c.reviewer_id = u.id AND c.withdrawn_at IS NULL
			AND (c.org_id = NULLIF($2, '') OR c.org_id = ANY ($3)))
		AND NOT EXISTS (SELECT 1 FROM task_assignments a WHERE a.task_id = $5 AND a.reviewer_id = u.id)
		ORDER BY u.email`, t.SolicitationID, t.VendorOrgID, nonNil(t.ExcludedOrgIDs), nonNil(t.ExcludedUserIDs), t.ID)
	if err != nil {
		return nil, fmt.Errorf("list reviewers assignable to task %s: %w", t.ID, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.User, error) {
		var u domain.User
		return u, row.Scan(&u.ID, &u.Email, &u.Role, &u.OrgID)
	})
}

// TaskAssignment is a reviewer an officer added to a task's pool.
type TaskAssignment struct {
	TaskID     string    `json:"task_id"`
	ReviewerID string    `json:"reviewer_id"`
	AssignedBy string    `json:"assigned_by"`
	AssignedAt time.Time `json:"assigned_at"`
}

// Reviewer reads a reviewer an officer names for a task, with the
// organisations they have a standing conflict with: what the
// assign-reviewer update needs to judge whether they may decide it.
func (s *Store) Reviewer(ctx context.Context, id string) (domain.User, []string, error) {
	var u domain.User
	err := s.pool.QueryRow(ctx, `SELECT u.id, u.email, u.role, COALESCE(u.org_id, ''), COALESCE(o.kind, '')
		FROM users u LEFT JOIN organisations o ON o.id = u.org_id WHERE u.id = $1`, id).Scan(&u.ID, &u.Email, &u.Role, &u.OrgID, &u.OrgKind)
	if err != nil {
		return u, nil, notFound(fmt.Errorf("read reviewer %s: %w", id, err), "no user %s: name an existing reviewer", id)
	}
	if u.Role != domain.RoleReviewer {
		return u, nil, domain.Errorf(domain.ErrInvalid, "user %s is a %s, not a compliance reviewer: name a reviewer", id, u.Role)
	}
	conflicts, err := s.Conflicts(ctx, id)
	return u, conflicts, err
}

// AssignReviewer records an officer's assignment of a reviewer to a task.
// Idempotent; a user who does not exist or is not a reviewer is refused.
func (s *Store) AssignReviewer(ctx context.Context, a TaskAssignment) error {
	var role domain.Role
	if err := s.pool.QueryRow(ctx, `SELECT role FROM users WHERE id = $1`, a.ReviewerID).Scan(&role); err != nil {
		return notFound(fmt.Errorf("assign reviewer %s to task %s: %w", a.ReviewerID, a.TaskID, err), "no user %s: assign an existing reviewer", a.ReviewerID)
	}
	if role != domain.RoleReviewer {
		return domain.Errorf(domain.ErrInvalid, "user %s is a %s, not a compliance reviewer: assign a reviewer", a.ReviewerID, role)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO task_assignments (task_id, reviewer_id, assigned_by, assigned_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, a.TaskID, a.ReviewerID, a.AssignedBy, a.AssignedAt)
	if err != nil {
		return fmt.Errorf("assign reviewer %s to task %s: %w", a.ReviewerID, a.TaskID, err)
	}
	return nil
}

// TaskAssignments lists the reviewers assigned to a task, first first.
func (s *Store) TaskAssignments(ctx context.Context, taskID string) ([]TaskAssignment, error) {
	rows, err := s.pool.Query(ctx, `SELECT task_id, reviewer_id, assigned_by, assigned_at FROM task_assignments
		WHERE task_id = $1 ORDER BY assigned_at, reviewer_id`, taskID)
	if err != nil {
		return nil, fmt.Errorf("list assignments of task %s: %w", taskID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[TaskAssignment])
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
