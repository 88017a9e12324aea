package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// defaultTaskSLA is how long a review task may stay undecided before it is
// escalated to every reviewer, and as long again before the officer is told.
const defaultTaskSLA = 72 * time.Hour

// reviewGate is one human task awaiting decisions: who may decide, how many
// distinct approvals it needs, and the decisions so far. Both workflows use
// it, so separation of duties is enforced in one place.
type reviewGate struct {
	solicitationID string
	task           *domain.Task // nil when no task is open
	decisions      []domain.Decision
	clarifyAsked   bool // a reviewer asked the vendor instead of deciding
	seq            int
}

// gateOutcome is how a task ended.
type gateOutcome int

const (
	gateApproved gateOutcome = iota
	gateRejected
	gateClarify
)

// open makes task the one awaiting decisions, before reviewers can see it, so
// a decision never meets a workflow that does not know its task yet.
func (g *reviewGate) open(task domain.Task) {
	g.task = &task
	g.decisions = nil
	g.clarifyAsked = false
}

// nextID derives the next task id from the subject; workflows must not draw
// random ids.
func (g *reviewGate) nextID(subject string) string {
	g.seq++
	return fmt.Sprintf("tsk-%s-%d", subject, g.seq)
}

// validate refuses a decision by the wrong role, on a task that is not open,
// by an excluded or conflicted reviewer, a second decision by the same
// reviewer, an unknown verdict or reason, or a decision on stale findings.
func (g *reviewGate) validate(d domain.Decision) error {
	if d.ReviewerRole != domain.RoleReviewer {
		return rejection(domain.ErrForbidden, "only compliance reviewers decide tasks; you are signed in as %s", d.ReviewerRole)
	}
	if g.task == nil || g.task.ID != d.TaskID {
		return rejection(domain.ErrConflict, "task %s is not open for decisions: it was already decided or superseded", d.TaskID)
	}
	if err := g.mayAct(d.ReviewerID, d.ReviewerOrgID, d.ReviewerConflicts); err != nil {
		return err
	}
	for _, prev := range g.decisions {
		if prev.ReviewerID == d.ReviewerID {
			return rejection(domain.ErrConflict, "you already decided task %s (%s); a second approval must come from another reviewer", d.TaskID, prev.Verdict)
		}
	}
	if d.Verdict != domain.VerdictApprove && d.Verdict != domain.VerdictReject {
		return rejection(domain.ErrInvalid, "verdict %q is not known: use approve or reject", d.Verdict)
	}
	if !domain.ValidReason(d.Verdict, d.ReasonCode) {
		return rejection(domain.ErrInvalid, "reason code %q does not fit verdict %s: use one of %v", d.ReasonCode, d.Verdict, domain.ReasonCodes[d.Verdict])
	}
	if d.FindingsHash != "" && d.FindingsHash != g.task.FindingsHash {
		return rejection(domain.ErrStale, "the findings of task %s changed since you looked (%s, now %s): reload the task and decide again", d.TaskID, d.FindingsHash, g.task.FindingsHash)
	}
	return nil
}

// mayAct applies separation of duties to the open task.
func (g *reviewGate) mayAct(userID, orgID string, conflicts []string) error {
	t := g.task
	if orgID != "" && (orgID == t.VendorOrgID || slices.Contains(t.ExcludedOrgIDs, orgID)) {
		return rejection(domain.ErrConflictOfInt, "you belong to a bidding organisation and cannot decide task %s", t.ID)
	}
	if slices.Contains(t.ExcludedUserIDs, userID) {
		return rejection(domain.ErrConflictOfInt, "you recommended this award and cannot approve it yourself")
	}
	for _, org := range conflicts {
		if org == t.VendorOrgID || slices.Contains(t.ExcludedOrgIDs, org) {
			return rejection(domain.ErrConflictOfInt, "you declared a conflict of interest with organisation %s and cannot decide task %s", org, t.ID)
		}
	}
	return nil
}

// record appends a validated decision and stores it; the task closes when it
// is rejected or has its approvals.
func (g *reviewGate) record(ctx workflow.Context, d domain.Decision) (contract.DecisionResult, error) {
	// Validation ran against the state of its own turn; check again now.
	if err := g.validate(d); err != nil {
		return contract.DecisionResult{}, err
	}
	task := *g.task
	d.FindingsHash = task.FindingsHash
	d.DecidedAt = workflow.Now(ctx)
	g.decisions = append(g.decisions, d)
	closes := g.rejected() || g.approvals() >= task.Approvals
	if err := workflow.ExecuteActivity(withActivityOptions(ctx), contract.RecordDecision, contract.DecisionRecord{
		SolicitationID: g.solicitationID, Decision: d, ClosesTask: closes,
	}).Get(ctx, nil); err != nil {
		return contract.DecisionResult{}, err
	}
	return contract.DecisionResult{TaskID: task.ID, Accepted: true, ApprovalsRemaining: max(task.Approvals-g.approvals(), 0), TaskClosed: closes}, nil
}

// wait blocks until the open task is decided (or a clarification is asked),
// escalating it each time its SLA passes: first to every reviewer, then to
// the officer.
func (g *reviewGate) wait(ctx workflow.Context, sla time.Duration) (gateOutcome, error) {
	done := func() bool { return g.clarifyAsked || g.rejected() || g.approvals() >= g.task.Approvals }
	for level := 1; ; level++ {
		if level > 2 {
			if err := workflow.Await(ctx, done); err != nil {
				return gateRejected, err
			}
			break
		}
		ok, err := workflow.AwaitWithTimeout(ctx, sla, done)
		if err != nil {
			return gateRejected, err
		}
		if ok {
			break
		}
		if err := workflow.ExecuteActivity(withActivityOptions(ctx), contract.EscalateTask, contract.Escalation{
			SolicitationID: g.solicitationID, TaskID: g.task.ID, Level: level, At: workflow.Now(ctx),
		}).Get(ctx, nil); err != nil {
			return gateRejected, err
		}
	}
	defer func() { g.task = nil }()
	switch {
	case g.clarifyAsked:
		return gateClarify, nil
	case g.rejected():
		return gateRejected, nil
	}
	return gateApproved, nil
}

func (g *reviewGate) approvals() int {
	n := 0
	for _, d := range g.decisions {
		if d.Verdict == domain.VerdictApprove {
			n++
		}
	}
	return n
}

func (g *reviewGate) rejected() bool {
	for _, d := range g.decisions {
		if d.Verdict == domain.VerdictReject {
			return true
		}
	}
	return false
}
