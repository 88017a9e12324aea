package tender

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
)

// review is a closed solicitation with vendor A's bid and an open
// compliance task on its candidate, owned by the candidate's evaluation.
type review struct {
	*world
	sol  domain.Solicitation
	bid  domain.Bid
	task domain.Task
}

func newReview(t *testing.T) review {
	t.Helper()
	w := newWorld(t)
	sol := w.published(t)
	b := w.storedBid(t, sol, w.sellerA, "bid_a")
	w.setStatus(t, sol.ID, domain.SolicitationEvaluating)
	task := domain.Task{ID: "tsk_1", Kind: domain.TaskComplianceApproval, SolicitationID: sol.ID, BidID: b.ID, CandidateID: b.Candidates[0].ID,
		VendorOrgID: w.vendorA.ID, WorkflowID: contract.EvaluationWorkflowID(b.ID, b.Candidates[0].ID), Title: "Approve",
		FindingsHash: "sha256:findings", Approvals: 1, CreatedAt: t0}
	if err := w.st.CreateTask(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	return review{world: w, sol: sol, bid: b, task: task}
}

var approve = Verdict{Verdict: "approve", ReasonCode: "meets-requirements", FindingsHash: "sha256:findings"}

// A reviewer lists and reads the tasks it may decide; a reviewer from the
// bidding organisation may not read or decide one; officers and auditors
// watch the agency's tasks.
func TestTasksAndSeparationOfDuties(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newReview(t)
	for _, u := range []domain.User{r.reviewer, r.officer, r.auditor} {
		tasks, err := r.svc.Tasks(ctx, u)
		requireNoError(t, err)
		if len(tasks) != 1 || tasks[0].ID != "tsk_1" {
			t.Errorf("%s lists %+v", u.Email, tasks)
		}
	}
	// A reviewer account of a bidding vendor's organisation reads as that
	// vendor: no agency's review tasks at all.
	tasks, err := r.svc.Tasks(ctx, r.insider)
	requireRefusal(t, err, domain.ErrForbidden, "as a vendor's user you may not see review tasks")
	if len(tasks) != 0 {
		t.Errorf("the vendor's own reviewer lists %+v", tasks)
	}
	task, decisions, err := r.svc.Task(ctx, r.reviewer, "tsk_1")
	requireNoError(t, err)
	if task.ID != "tsk_1" || decisions == nil || len(decisions) != 0 {
		t.Errorf("task %+v decisions %#v", task, decisions)
	}
	_, _, err = r.svc.Task(ctx, r.insider, "tsk_1")
	requireRefusal(t, err, domain.ErrForbidden, "review tasks")
	// Another agency's reviewer reads only the tasks an officer of the
	// issuing agency assigned it to.
	_, _, err = r.svc.Task(ctx, r.otherReviewer, "tsk_1")
	requireRefusal(t, err, domain.ErrForbidden, "as staff of another agency you may not see task tsk_1")
	requireNoError(t, r.st.AssignReviewer(ctx, store.TaskAssignment{TaskID: "tsk_1", ReviewerID: r.otherReviewer.ID, AssignedBy: r.officer.ID, AssignedAt: t0}))
	if task, _, err := r.svc.Task(ctx, r.otherReviewer, "tsk_1"); err != nil || task.ID != "tsk_1" {
		t.Errorf("the assigned reviewer of another agency reads %+v %v", task, err)
	}
	_, err = r.svc.Decide(ctx, r.insider, "tsk_1", approve)
	requireKind(t, err, domain.ErrConflictOfInt)
	_, err = r.svc.AskClarification(ctx, r.insider, "tsk_1", "why?", time.Hour)
	requireKind(t, err, domain.ErrConflictOfInt)
	_, _, err = r.svc.Task(ctx, r.reviewer, "tsk_ghost")
	requireKind(t, err, domain.ErrNotFound)
	r.requireNothingSent(t, 0)
}

// A decision is checked before it is sent: a verdict, a reason code that
// fits it, a comment on a rejection, an open task; then it goes to the
// task's workflow with the reviewer's declared conflicts. A finished
// evaluation refuses it; a retry with an idempotency key after the
// workflow moved on gets the recorded decision back.
func TestDecide(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newReview(t)
	for _, c := range []struct {
		v     Verdict
		field string
	}{
		{Verdict{Verdict: "maybe", ReasonCode: "meets-requirements"}, "verdict"},
		{Verdict{Verdict: "approve", ReasonCode: "safety-risk"}, "reason_code"},
		{Verdict{Verdict: "reject", ReasonCode: "safety-risk"}, "comment"},
	} {
		_, err := r.svc.Decide(ctx, r.reviewer, "tsk_1", c.v)
		de, ok := err.(*domain.Error)
		if !ok || de.Kind != domain.ErrInvalid || len(de.Fields) != 1 || de.Fields[0].Field != c.field {
			t.Errorf("%+v: %v, want an invalid %s", c.v, err, c.field)
		}
	}
	r.requireNothingSent(t, 0)

	requireNoError(t, r.st.DeclareConflict(ctx, r.reviewer.ID, r.vendorB.ID, "former employer", t0))
	r.temporal.answer = func(string, string, any) (any, error) {
		return contract.DecisionResult{TaskID: "tsk_1", Accepted: true, TaskClosed: true}, nil
	}
	res, err := r.svc.Decide(ctx, r.reviewer, "tsk_1", approve)
	requireNoError(t, err)
	up := r.lastUpdate(t, contract.DecideUpdate)
	d := up.Arg.(domain.Decision)
	if up.WorkflowID != r.task.WorkflowID || d.ReviewerID != r.reviewer.ID || d.ReviewerOrgID != r.agency.ID || d.Verdict != domain.VerdictApprove ||
		d.FindingsHash != "sha256:findings" || len(d.ReviewerConflicts) != 1 || d.ReviewerConflicts[0] != r.vendorB.ID {
		t.Errorf("decision sent %+v to %s", d, up.WorkflowID)
	}
	if !res.Accepted || !res.TaskClosed {
		t.Errorf("result %+v", res)
	}

	r.temporal.answer = func(string, string, any) (any, error) {
		return nil, refuse(domain.ErrStale, "the findings changed since you read them: reload the task")
	}
	_, err = r.svc.Decide(ctx, r.reviewer, "tsk_1", Verdict{Verdict: "approve", ReasonCode: "not-applicable", FindingsHash: "sha256:old"})
	requireRefusal(t, err, domain.ErrStale, "reload the task")
	r.temporal.answer = func(string, string, any) (any, error) { return nil, finished }
	_, err = r.svc.Decide(ctx, r.reviewer, "tsk_1", approve)
	requireRefusal(t, err, domain.ErrConflict, "its evaluation has finished")

	// The workflow recorded the decision and closed the task.
	requireNoError(t, r.st.RecordDecision(ctx, domain.Decision{TaskID: "tsk_1", ReviewerID: r.reviewer.ID, Verdict: domain.VerdictApprove,
		ReasonCode: "meets-requirements", FindingsHash: "sha256:findings", DecidedAt: t0}))
	requireNoError(t, r.st.CloseTask(ctx, "tsk_1", domain.TaskDecided, t0))
	sent := len(r.temporal.sentUpdates())
	_, err = r.svc.Decide(ctx, r.reviewer, "tsk_1", approve)
	requireRefusal(t, err, domain.ErrConflict, "already decided")
	r.requireNothingSent(t, sent)
	keyed := approve
	keyed.IdempotencyKey = "decision-1"
	res, err = r.svc.Decide(ctx, r.reviewer, "tsk_1", keyed)
	requireNoError(t, err)
	if !res.Accepted || !res.TaskClosed || res.TaskID != "tsk_1" {
		t.Errorf("a keyed retry got %+v, want the recorded decision", res)
	}
	second, _, err := r.st.CreateUser(ctx, "second@dds.test", domain.RoleReviewer, r.agency.ID)
	requireNoError(t, err)
	_, err = r.svc.Decide(ctx, second, "tsk_1", keyed)
	requireKind(t, err, domain.ErrConflict)
}

// The officer of the issuing agency adds a reviewer to a task or approves it
// with a documented exception; a user who is not a reviewer, or who is a
// vendor organisation's, cannot be assigned (another agency's officer:
// TestOtherAgencyChangesNothing).
func TestAssignReviewerAndException(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newReview(t)
	_, err := r.svc.AssignReviewer(ctx, r.officer, "tsk_1", r.insider.ID)
	requireRefusal(t, err, domain.ErrInvalid, "belongs to a vendor organisation")
	_, err = r.svc.AssignReviewer(ctx, r.officer, "tsk_1", "")
	requireKind(t, err, domain.ErrInvalid)
	_, err = r.svc.AssignReviewer(ctx, r.officer, "tsk_1", r.auditor.ID)
	requireRefusal(t, err, domain.ErrInvalid, "not a compliance reviewer")
	_, err = r.svc.AssignReviewer(ctx, r.officer, "tsk_1", "usr_ghost")
	requireKind(t, err, domain.ErrNotFound)
	_, err = r.svc.ApproveWithException(ctx, r.officer, "tsk_1", "")
	requireKind(t, err, domain.ErrInvalid)
	r.requireNothingSent(t, 0)

	requireNoError(t, r.st.DeclareConflict(ctx, r.otherReviewer.ID, r.vendorB.ID, "r", t0))
	r.temporal.answer = func(_, name string, _ any) (any, error) {
		if name == contract.AssignReviewerUpdate {
			return contract.AssignmentResult{}, nil
		}
		return contract.DecisionResult{TaskID: "tsk_1", Accepted: true, TaskClosed: true}, nil
	}
	_, err = r.svc.AssignReviewer(ctx, r.officer, "tsk_1", r.otherReviewer.ID)
	requireNoError(t, err)
	req := r.lastUpdate(t, contract.AssignReviewerUpdate).Arg.(contract.AssignReviewerRequest)
	if req.TaskID != "tsk_1" || req.Actor.UserID != r.officer.ID || req.Reviewer.UserID != r.otherReviewer.ID || req.Reviewer.OrgID != r.otherAgency.ID ||
		len(req.ReviewerConflicts) != 1 {
		t.Errorf("assignment sent %+v: the workflow needs the reviewer's organisation and conflicts to judge the reviewer", req)
	}
	res, err := r.svc.ApproveWithException(ctx, r.officer, "tsk_1", "no eligible reviewer is left")
	requireNoError(t, err)
	if ex := r.lastUpdate(t, contract.ApproveWithExceptionUpdate).Arg.(contract.ExceptionRequest); ex.Reason != "no eligible reviewer is left" || !res.TaskClosed {
		t.Errorf("exception sent %+v, result %+v", ex, res)
	}
}

// A reviewer asks the vendor a question on a candidate's task (not on an
// award approval); only the vendor it concerns answers, optionally with an
// amended manifest that is validated like a bid's.
func TestClarifications(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newReview(t)
	award := domain.Task{ID: "tsk_award", Kind: domain.TaskAwardApproval, SolicitationID: r.sol.ID, WorkflowID: contract.SolicitationWorkflowID(r.sol.ID),
		Title: "Approve the award", FindingsHash: "sha256:none", Approvals: 1, CreatedAt: t0}
	requireNoError(t, r.st.CreateTask(ctx, award))
	_, err := r.svc.AskClarification(ctx, r.reviewer, "tsk_award", "why?", time.Hour)
	requireRefusal(t, err, domain.ErrConflict, "not on an award approval")
	_, err = r.svc.AskClarification(ctx, r.reviewer, "tsk_1", "", time.Hour)
	requireKind(t, err, domain.ErrInvalid)
	r.requireNothingSent(t, 0)

	r.temporal.answer = func(_, name string, arg any) (any, error) {
		if name != contract.RequestClarificationUpdate {
			return nil, nil
		}
		req := arg.(contract.ClarificationRequest)
		cl := domain.Clarification{ID: req.ClarificationID, CandidateID: r.task.CandidateID, TaskID: req.TaskID, VendorOrgID: r.vendorA.ID,
			AskedBy: req.ReviewerID, Question: req.Question, AskedAt: *r.now, DueAt: r.now.Add(req.AnswerWithin)}
		return cl, r.st.InsertClarification(ctx, cl)
	}
	cl, err := r.svc.AskClarification(ctx, r.reviewer, "tsk_1", "Which data trained it?", 72*time.Hour)
	requireNoError(t, err)
	req := r.lastUpdate(t, contract.RequestClarificationUpdate).Arg.(contract.ClarificationRequest)
	if !strings.HasPrefix(req.ClarificationID, "clr_") || req.AnswerWithin != 72*time.Hour || req.ReviewerOrgID != r.agency.ID || cl.ID != req.ClarificationID {
		t.Errorf("clarification sent %+v, returned %+v", req, cl)
	}

	_, err = r.svc.AnswerClarification(ctx, r.sellerB, cl.ID, ClarificationAnswer{Answer: "not ours"})
	requireRefusal(t, err, domain.ErrNotFound, "no clarification")
	_, err = r.svc.AnswerClarification(ctx, r.sellerA, cl.ID, ClarificationAnswer{})
	requireKind(t, err, domain.ErrInvalid)
	_, err = r.svc.AnswerClarification(ctx, r.sellerA, cl.ID, ClarificationAnswer{Answer: "see manifest",
		Manifest: json.RawMessage(`{"schema_version": "1", "name": "m", "weights": {"license": "Apache 2.0"}}`)})
	requireRefusal(t, err, domain.ErrInvalid, "amended manifest was not accepted")
	// From a bid's page the clarification must be on that bid, and the bid
	// the vendor's own.
	other := r.storedBid(t, r.published(t), r.sellerA, "bid_a2")
	_, err = r.svc.AnswerClarification(ctx, r.sellerA, cl.ID, ClarificationAnswer{Answer: "from the wrong page", BidID: other.ID})
	requireRefusal(t, err, domain.ErrNotFound, "no clarification "+cl.ID+" on bid bid_a2")
	_, err = r.svc.AnswerClarification(ctx, r.sellerB, cl.ID, ClarificationAnswer{Answer: "not my bid", BidID: r.bid.ID})
	requireKind(t, err, domain.ErrNotFound)
	sent := len(r.temporal.sentUpdates())
	r.requireNothingSent(t, sent)

	amended, err := r.svc.AnswerClarification(ctx, r.sellerA, cl.ID, ClarificationAnswer{Answer: "public web crawl, documented", Manifest: candidatesJSON("granite-2")[0]})
	requireNoError(t, err)
	up := r.lastUpdate(t, contract.AnswerClarificationUpdate)
	reply := up.Arg.(contract.ClarificationReply)
	if !amended || up.WorkflowID != r.task.WorkflowID || reply.Manifest == nil || reply.Manifest.Name != "granite-2" || reply.VendorOrgID != r.vendorA.ID {
		t.Errorf("answer sent %+v to %s (amended %v)", reply, up.WorkflowID, amended)
	}
	plain, err := r.svc.AnswerClarification(ctx, r.sellerA, cl.ID, ClarificationAnswer{Answer: "no change", BidID: r.bid.ID})
	requireNoError(t, err)
	if plain || r.lastUpdate(t, contract.AnswerClarificationUpdate).Arg.(contract.ClarificationReply).Manifest != nil {
		t.Error("an answer without a manifest reported or sent one")
	}
	// After close the agency reads the clarifications on the bid.
	list, err := r.svc.Clarifications(ctx, r.officer, r.bid.ID)
	requireNoError(t, err)
	if len(list) != 1 || list[0].ID != cl.ID {
		t.Errorf("clarifications %+v", list)
	}
}

// A reviewer declares a conflict once with an existing organisation; it is
// audited and keeps the reviewer off that vendor's tasks until withdrawn.
func TestDeclareAndWithdrawConflict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newReview(t)
	_, err := r.svc.DeclareConflict(ctx, r.reviewer, "org_ghost", "r")
	requireKind(t, err, domain.ErrNotFound)
	_, err = r.svc.DeclareConflict(ctx, r.reviewer, r.vendorA.ID, "")
	requireKind(t, err, domain.ErrInvalid)

	org, err := r.svc.DeclareConflict(ctx, r.reviewer, r.vendorA.ID, "spouse works there")
	requireNoError(t, err)
	if org.ID != r.vendorA.ID {
		t.Errorf("declared against %+v", org)
	}
	if tasks, _ := r.svc.Tasks(ctx, r.reviewer); len(tasks) != 0 {
		t.Errorf("a conflicted reviewer still lists %+v", tasks)
	}
	_, err = r.svc.DeclareConflict(ctx, r.reviewer, r.vendorA.ID, "again")
	requireKind(t, err, domain.ErrConflict)
	all, err := r.st.AuditTrailAll(ctx)
	requireNoError(t, err)
	if n := strings.Count(all, "conflict.declared"); n != 1 {
		t.Errorf("%d conflict.declared events, want 1:\n%s", n, all)
	}

	requireKind(t, r.svc.WithdrawConflict(ctx, r.reviewer, r.vendorA.ID, ""), domain.ErrInvalid)
	requireKind(t, r.svc.WithdrawConflict(ctx, r.reviewer, r.vendorB.ID, "never declared"), domain.ErrNotFound)
	requireNoError(t, r.svc.WithdrawConflict(ctx, r.reviewer, r.vendorA.ID, "divorced"))
	if tasks, _ := r.svc.Tasks(ctx, r.reviewer); len(tasks) != 1 {
		t.Errorf("after withdrawal the reviewer lists %d tasks, want 1", len(tasks))
	}
}

// Auditors read a solicitation's trail with the result of walking its chain.
func TestAuditTrail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newReview(t)
	trail, err := r.svc.AuditTrail(ctx, r.auditor, r.sol.ID)
	requireNoError(t, err)
	if trail.Solicitation.ID != r.sol.ID || len(trail.Events) != 2 || trail.Events[0].Action != "solicitation.published" ||
		!trail.Chain.Intact || trail.Chain.Rows != 2 {
		t.Errorf("trail %+v, want the publication and the status change on an intact chain", trail)
	}
	_, err = r.svc.AuditTrail(ctx, r.auditor, "sol_ghost")
	requireKind(t, err, domain.ErrNotFound)
}
