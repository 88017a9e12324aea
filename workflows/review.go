package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// defaultTaskSLA is how long a review task may stay undecided before it is
// escalated to every reviewer, and as long again before the officer is told.
const defaultTaskSLA = 72 * time.Hour

// oneDecisionVersion marks the change after which a decided task takes no
// further decision, even one validated in the same workflow task, and
// decisions carry idempotency keys. Histories recorded before it replay the
// old re-check, which let a second reviewer's decision through.
const oneDecisionVersion = "one-decision-per-task"

// eligibilityVersion marks the change that counts the eligible reviewers
// when a task opens and at each escalation, and sends a task too few can
// decide to the officer at once.
const eligibilityVersion = "eligible-reviewers"

// reviewGate is one human task awaiting decisions: who may decide, how many
// distinct approvals it needs, and the decisions so far. Every workflow with
// review tasks uses it, so separation of duties is enforced in one place.
type reviewGate struct {
	solicitationID string
	// agencyOrgID is the issuing agency, whose officers may assign reviewers
	// and approve with an exception; "" for workflows started before it was
	// passed, where the API's check of the officer's agency stands alone.
	agencyOrgID  string
	task         *domain.Task // nil when no task is open
	decisions    []domain.Decision
	clarifyAsked bool // a reviewer asked the vendor instead of deciding
	seq          int
	// eligible are the reviewers the last count found may decide the open
	// task (counted once it ran); assigned are those an officer added.
	eligible []string
	assigned []string
	counted  bool
	// exception is the officer's approval standing for missing approvals.
	exception *contract.TaskException
	// replies remember each keyed decision's answer, by reviewer and key,
	// for the whole run, so a retry gets it even after the task closed.
	replies map[string]*reply
}

// reply is the answer to a keyed decision; done once it is recorded.
type reply struct {
	decision domain.Decision
	done     bool
	res      contract.DecisionResult
	err      error
}

// gateOutcome is how a task ended.
type gateOutcome int

const (
	gateApproved gateOutcome = iota
	gateRejected
	gateClarify
)

// register installs the gate's updates on the workflow: reviewers' decisions
// and the officer's assignment of a reviewer or approval with an exception.
func (g *reviewGate) register(ctx workflow.Context) error {
	handlers := []struct {
		name      string
		handler   any
		validator any
	}{
		{contract.DecideUpdate, g.record, func(_ workflow.Context, d domain.Decision) error { return g.validate(d, true) }},
		{contract.AssignReviewerUpdate, g.assign, func(_ workflow.Context, r contract.AssignReviewerRequest) error { return g.validateAssignment(r) }},
		{contract.ApproveWithExceptionUpdate, g.approveWithException, func(_ workflow.Context, r contract.ExceptionRequest) error { return g.validateException(r) }},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler, workflow.UpdateHandlerOptions{Validator: h.validator}); err != nil {
			return err
		}
	}
	return nil
}

// open makes task the one awaiting decisions, before reviewers can see it, so
// a decision never meets a workflow that does not know its task yet.
func (g *reviewGate) open(task domain.Task) {
	g.task = &task
	g.decisions = nil
	g.clarifyAsked = false
	g.eligible, g.assigned, g.counted, g.exception = nil, nil, false, nil
}

// nextID derives the next task id from the subject; workflows must not draw
// random ids.
func (g *reviewGate) nextID(subject string) string {
	g.seq++
	return fmt.Sprintf("tsk-%s-%d", subject, g.seq)
}

// strictGate reports whether this run refuses decisions on a decided task
// in the handler too (see oneDecisionVersion).
func strictGate(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, oneDecisionVersion, workflow.DefaultVersion, 1) != workflow.DefaultVersion
}

// validate refuses a decision by the wrong role, on a task that is not open,
// by an excluded or conflicted reviewer, a second decision by the same
// reviewer, an unknown verdict or reason, or a decision on stale findings;
// when strict, also any decision on a task already decided or handed to the
// vendor for a clarification. A retry of a keyed decision passes.
func (g *reviewGate) validate(d domain.Decision, strict bool) error {
	if strict {
		if r, err := g.repeated(d); r != nil || err != nil {
			return err
		}
	}
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
	if strict {
		if err := g.stillOpen(); err != nil {
			return err
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

// stillOpen refuses anything on the open task once it has its outcome: a
// rejection, its approvals, an officer's exception, or a clarification.
func (g *reviewGate) stillOpen() error {
	t := g.task
	switch {
	case g.clarifyAsked:
		return rejection(domain.ErrConflict, "task %s was superseded: a reviewer asked the vendor a clarification; decide the task that opens after the answer", t.ID)
	case g.exception != nil:
		return rejection(domain.ErrConflict, "task %s was already approved by the officer with a documented exception: %s", t.ID, g.exception.Reason)
	case g.rejected():
		return rejection(domain.ErrConflict, "task %s was already decided by another reviewer (%s): that decision stands; reload the task to see it", t.ID, domain.VerdictReject)
	case g.approved():
		return rejection(domain.ErrConflict, "task %s was already decided by another reviewer (%s): that decision stands; reload the task to see it", t.ID, domain.VerdictApprove)
	}
	return nil
}

// repeated finds the answer to an earlier decision with d's idempotency key
// by the same reviewer; the key may not name a different decision.
func (g *reviewGate) repeated(d domain.Decision) (*reply, error) {
	if d.IdempotencyKey == "" {
		return nil, nil
	}
	r, ok := g.replies[replyKey(d.ReviewerID, d.IdempotencyKey)]
	if !ok {
		return nil, nil
	}
	was := r.decision
	if was.TaskID != d.TaskID || was.Verdict != d.Verdict || was.ReasonCode != d.ReasonCode || was.Comment != d.Comment {
		return nil, rejection(domain.ErrConflict, "idempotency key %q already named your %s decision on task %s: use a new key for a different decision",
			d.IdempotencyKey, was.Verdict, was.TaskID)
	}
	return r, nil
}

func replyKey(actor, key string) string { return actor + "\x00" + key }

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
// is rejected or has its approvals. A retried keyed decision gets the first
// answer, once that is recorded.
func (g *reviewGate) record(ctx workflow.Context, d domain.Decision) (contract.DecisionResult, error) {
	strict := strictGate(ctx)
	if strict {
		r, err := g.repeated(d)
		if err != nil {
			return contract.DecisionResult{}, err
		}
		if r != nil {
			if err := workflow.Await(ctx, func() bool { return r.done }); err != nil {
				return contract.DecisionResult{}, err
			}
			return r.res, r.err
		}
	}
	// Validation ran against the state of its own turn; check again now.
	if err := g.validate(d, strict); err != nil {
		return contract.DecisionResult{}, err
	}
	task := *g.task
	d.FindingsHash = task.FindingsHash
	d.DecidedAt = workflow.Now(ctx)
	g.decisions = append(g.decisions, d)
	var r *reply
	if strict && d.IdempotencyKey != "" {
		if g.replies == nil {
			g.replies = map[string]*reply{}
		}
		r = &reply{decision: d}
		g.replies[replyKey(d.ReviewerID, d.IdempotencyKey)] = r
	}
	// Counted now: by the time the record is stored, the workflow may have
	// moved on to its next task.
	closes, remaining := g.decided(), g.missing()
	err := workflow.ExecuteActivity(withActivityOptions(ctx), contract.RecordDecision, contract.DecisionRecord{
		SolicitationID: g.solicitationID, Decision: d, ClosesTask: closes,
	}).Get(ctx, nil)
	var res contract.DecisionResult
	if err == nil {
		res = contract.DecisionResult{TaskID: task.ID, Accepted: true, ApprovalsRemaining: remaining, TaskClosed: closes}
	}
	if r != nil {
		r.res, r.err, r.done = res, err, true
	}
	return res, err
}

// officer refuses anyone but a procurement officer of the issuing agency.
func (g *reviewGate) officer(a contract.Actor) error {
	if a.Role != domain.RoleOfficer || (g.agencyOrgID != "" && a.OrgID != g.agencyOrgID) {
		return rejection(domain.ErrForbidden, "only a procurement officer of the issuing agency may do this; you are signed in as %s", a.Role)
	}
	return nil
}

// openFor refuses an officer's action on a task that is not the open one or
// already has its outcome.
func (g *reviewGate) openFor(taskID string) error {
	if g.task == nil || g.task.ID != taskID {
		return rejection(domain.ErrConflict, "task %s is not open: it was already decided or superseded", taskID)
	}
	return g.stillOpen()
}

// validateAssignment refuses an assignment by anyone but the agency's
// officer, of anyone but a reviewer who may decide the task and is not yet
// in its pool.
func (g *reviewGate) validateAssignment(r contract.AssignReviewerRequest) error {
	if err := g.officer(r.Actor); err != nil {
		return err
	}
	if err := g.openFor(r.TaskID); err != nil {
		return err
	}
	rv := r.Reviewer
	if rv.Role != domain.RoleReviewer {
		return rejection(domain.ErrInvalid, "user %s is a %s, not a compliance reviewer: assign a reviewer", rv.UserID, rv.Role)
	}
	if g.mayAct(rv.UserID, rv.OrgID, r.ReviewerConflicts) != nil {
		return rejection(domain.ErrConflictOfInt, "reviewer %s may not decide task %s: they belong to a bidding organisation, are excluded from it, "+
			"or declared a conflict of interest with a bidder; assign another reviewer", rv.UserID, r.TaskID)
	}
	if slices.ContainsFunc(g.decisions, func(d domain.Decision) bool { return d.ReviewerID == rv.UserID }) {
		return rejection(domain.ErrConflict, "reviewer %s already decided task %s: assign another reviewer", rv.UserID, r.TaskID)
	}
	if slices.Contains(g.eligible, rv.UserID) || slices.Contains(g.assigned, rv.UserID) {
		return rejection(domain.ErrConflict, "reviewer %s can already decide task %s: assign a reviewer from another team", rv.UserID, r.TaskID)
	}
	return nil
}

// assign adds a reviewer to the open task's pool and records who assigned
// them; the named reviewer may then decide it.
func (g *reviewGate) assign(ctx workflow.Context, r contract.AssignReviewerRequest) (contract.AssignmentResult, error) {
	if err := g.validateAssignment(r); err != nil {
		return contract.AssignmentResult{}, err
	}
	g.assigned = append(g.assigned, r.Reviewer.UserID)
	err := workflow.ExecuteActivity(withActivityOptions(ctx), contract.AssignReviewer, contract.Assignment{
		SolicitationID: g.solicitationID, TaskID: r.TaskID, ReviewerID: r.Reviewer.UserID, OfficerID: r.Actor.UserID, At: workflow.Now(ctx),
	}).Get(ctx, nil)
	if err != nil {
		// The store refused it (no such reviewer): the pool is as it was.
		g.assigned = slices.DeleteFunc(g.assigned, func(id string) bool { return id == r.Reviewer.UserID })
		return contract.AssignmentResult{}, err
	}
	return contract.AssignmentResult{TaskID: r.TaskID, ReviewerID: r.Reviewer.UserID, ApprovalsRemaining: g.missing(), ReviewersAvailable: g.available()}, nil
}

// validateException refuses an exception by anyone but the agency's
// officer, without a reason, by an officer excluded from the task (who
// recommended the award), or while enough eligible reviewers remain.
func (g *reviewGate) validateException(r contract.ExceptionRequest) error {
	if err := g.officer(r.Actor); err != nil {
		return err
	}
	if err := g.openFor(r.TaskID); err != nil {
		return err
	}
	if slices.Contains(g.task.ExcludedUserIDs, r.Actor.UserID) {
		return rejection(domain.ErrConflictOfInt, "you recommended this award and cannot approve it yourself, even by exception")
	}
	if strings.TrimSpace(r.Reason) == "" {
		return rejection(domain.ErrInvalid, "an exception needs a documented reason; it goes on the audit trail")
	}
	if !g.short() {
		return rejection(domain.ErrConflict, "task %s can still be decided by its reviewers (%d available for %d approval(s)): an exception is only for a task too few eligible reviewers are left to decide",
			r.TaskID, g.available(), g.missing())
	}
	return nil
}

// approveWithException credits the missing approvals to the officer's
// documented exception and closes the task approved.
func (g *reviewGate) approveWithException(ctx workflow.Context, r contract.ExceptionRequest) (contract.DecisionResult, error) {
	if err := g.validateException(r); err != nil {
		return contract.DecisionResult{}, err
	}
	g.exception = &contract.TaskException{SolicitationID: g.solicitationID, TaskID: r.TaskID, OfficerID: r.Actor.UserID, Reason: r.Reason,
		ApprovalsCredited: g.missing(), ReviewersAvailable: g.available(), At: workflow.Now(ctx)}
	if err := workflow.ExecuteActivity(withActivityOptions(ctx), contract.RecordException, *g.exception).Get(ctx, nil); err != nil {
		return contract.DecisionResult{}, err
	}
	return contract.DecisionResult{TaskID: r.TaskID, Accepted: true, TaskClosed: true}, nil
}

// wait blocks until the open task is decided (or a clarification is asked),
// escalating it each time its SLA passes: first to every reviewer, then to
// the officer. It counts the eligible reviewers when the task opens and at
// each escalation, and sends the task to the officer at once when too few
// are left to decide it.
func (g *reviewGate) wait(ctx workflow.Context, sla time.Duration) (gateOutcome, error) {
	done := func() bool { return g.clarifyAsked || g.decided() }
	counts := workflow.GetVersion(ctx, eligibilityVersion, workflow.DefaultVersion, 1) != workflow.DefaultVersion
	level := 0
	if counts {
		reason, err := g.count(ctx)
		if err != nil {
			return gateRejected, err
		}
		if reason != "" {
			if err := g.escalate(ctx, 2, reason); err != nil {
				return gateRejected, err
			}
			level = 2
		}
	}
	for level < 2 {
		ok, err := workflow.AwaitWithTimeout(ctx, sla, done)
		if err != nil {
			return gateRejected, err
		}
		if ok {
			break
		}
		level++
		var reason string
		if counts {
			if reason, err = g.count(ctx); err != nil {
				return gateRejected, err
			}
			if reason != "" {
				level = 2
			}
		}
		if err := g.escalate(ctx, level, reason); err != nil {
			return gateRejected, err
		}
	}
	if err := workflow.Await(ctx, done); err != nil {
		return gateRejected, err
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

// count asks the store which reviewers may decide the open task; when fewer
// are left than it needs approvals, it returns why, for the officer.
func (g *reviewGate) count(ctx workflow.Context) (string, error) {
	var eligible []string
	if err := workflow.ExecuteActivity(withActivityOptions(ctx), contract.EligibleReviewers, *g.task).Get(ctx, &eligible); err != nil {
		return "", err
	}
	g.eligible, g.counted = eligible, true
	if !g.short() {
		return "", nil
	}
	return fmt.Sprintf("%d eligible reviewer(s) left for the %d approval(s) task %s still needs: conflicts of interest and exclusions leave too few; "+
		"assign a reviewer from another team, or approve with a documented exception", g.available(), g.missing(), g.task.ID), nil
}

func (g *reviewGate) escalate(ctx workflow.Context, level int, reason string) error {
	if err := workflow.ExecuteActivity(withActivityOptions(ctx), contract.EscalateTask, contract.Escalation{
		SolicitationID: g.solicitationID, TaskID: g.task.ID, Level: level, At: workflow.Now(ctx), Reason: reason,
	}).Get(ctx, nil); err != nil {
		return err
	}
	g.task.EscalationLevel, g.task.EscalationReason = level, reason
	return nil
}

// decided reports whether the open task has its outcome.
func (g *reviewGate) decided() bool { return g.rejected() || g.approved() }

func (g *reviewGate) approved() bool { return g.exception != nil || g.approvals() >= g.task.Approvals }

// missing is how many approvals the open task still needs.
func (g *reviewGate) missing() int {
	if g.exception != nil {
		return 0
	}
	return max(g.task.Approvals-g.approvals(), 0)
}

// available counts the reviewers in the open task's pool (eligible or
// assigned) who have not decided it.
func (g *reviewGate) available() int {
	n := 0
	for _, id := range slices.Concat(g.eligible, g.assigned) {
		if !slices.ContainsFunc(g.decisions, func(d domain.Decision) bool { return d.ReviewerID == id }) {
			n++
		}
	}
	return n
}

// short reports whether the last count left fewer reviewers than the open
// task still needs approvals; false when they were never counted.
func (g *reviewGate) short() bool {
	return g.counted && g.available() < g.missing()
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
