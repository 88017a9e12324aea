package workflows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/activities"
	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// sent is how one update ended: refused by its validator, failed in its
// handler, or completed with a result.
type sent struct {
	rejected, failed error
	result           any
	done             bool
}

func (s *sent) err() error {
	if s.rejected != nil {
		return s.rejected
	}
	return s.failed
}

// update is one update to send: its name, its id (the test environment
// treats a repeated id as the same update) and its argument.
type update struct {
	name, id string
	arg      any
}

// sendAt sends the updates together after delay, so they reach the workflow
// in the same workflow task, and records how each ended.
func sendAt(env *testsuite.TestWorkflowEnvironment, delay time.Duration, updates ...update) []*sent {
	out := make([]*sent, len(updates))
	for i := range out {
		out[i] = &sent{}
	}
	env.RegisterDelayedCallback(func() {
		for i, u := range updates {
			s := out[i]
			env.UpdateWorkflow(u.name, u.id, &testsuite.TestUpdateCallback{
				OnAccept:   func() {},
				OnReject:   func(err error) { s.rejected, s.done = err, true },
				OnComplete: func(res any, err error) { s.result, s.failed, s.done = res, err, true },
			}, u.arg)
		}
	}, delay)
	return out
}

// requireKind checks that err is a refusal of the given kind saying want.
func requireKind(t *testing.T, err error, kind domain.ErrorKind, want string) {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an application error of kind %s, got %v", kind, err)
	require.Equal(t, string(kind), appErr.Type(), appErr.Message())
	require.Contains(t, appErr.Message(), want)
}

const firstTask = "tsk-cnd_1-1"

// raceInput is decisions that reach one open single-approval task together.
type raceInput struct {
	Decisions []domain.Decision
	// ValidateAllFirst runs every validator before any handler, as if each
	// had been checked against the state of its own turn.
	ValidateAllFirst bool
}

// raceWorkflow delivers decisions the way the SDK delivers updates that
// arrive in one workflow task: each in its own coroutine, validator then
// handler, before the main coroutine sees any of them. (The test suite
// gives every UpdateWorkflow call its own workflow task, so it cannot.)
// It returns how each ended: "" when accepted, else the refusal's kind and
// message.
func raceWorkflow(ctx workflow.Context, in raceInput) ([]string, error) {
	g := &reviewGate{solicitationID: "sol_1"}
	g.open(domain.Task{ID: firstTask, Kind: domain.TaskComplianceApproval, VendorOrgID: vendorOrg, Approvals: 1})
	answers := make([]error, len(in.Decisions))
	answered, validated := 0, 0
	for i, d := range in.Decisions {
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { answered++ }()
			if answers[i] = g.validate(d, true); answers[i] != nil {
				validated++
				return
			}
			validated++
			if in.ValidateAllFirst {
				_ = workflow.Await(ctx, func() bool { return validated == len(in.Decisions) })
			}
			_, answers[i] = g.record(ctx, d)
		})
	}
	if _, err := g.wait(ctx, defaultTaskSLA); err != nil {
		return nil, err
	}
	if err := workflow.Await(ctx, func() bool { return answered == len(in.Decisions) }); err != nil {
		return nil, err
	}
	out := make([]string, len(answers))
	for i, err := range answers {
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) {
			out[i] = appErr.Type() + ": " + appErr.Message()
		} else if err != nil {
			out[i] = err.Error()
		}
	}
	return out, nil
}

// Two reviewers decide one single-approval task in the same workflow task:
// exactly one decision is recorded, the other is refused with who decided
// first; also when both validators passed before either handler ran.
func TestSameWorkflowTaskDecisionsOnlyOneCounts(t *testing.T) {
	for _, validateFirst := range []bool{false, true} {
		for _, second := range []domain.Decision{reject(reviewer("usr_r2"), firstTask), approve(reviewer("usr_r2"), firstTask)} {
			t.Run(fmt.Sprintf("%s validate-all-first=%v", second.Verdict, validateFirst), func(t *testing.T) {
				env := quietSuite().NewTestWorkflowEnvironment()
				env.RegisterWorkflow(raceWorkflow)
				env.RegisterActivity(&activities.Activities{})
				var recorded []domain.Decision
				env.OnActivity(contract.RecordDecision, mock.Anything, mock.Anything).Return(func(_ context.Context, r contract.DecisionRecord) error {
					recorded = append(recorded, r.Decision)
					return nil
				})
				env.OnActivity(contract.EligibleReviewers, mock.Anything, mock.Anything).Return([]string{"usr_r1", "usr_r2"}, nil)
				env.ExecuteWorkflow(raceWorkflow, raceInput{Decisions: []domain.Decision{approve(reviewer("usr_r1"), firstTask), second}, ValidateAllFirst: validateFirst})

				require.NoError(t, env.GetWorkflowError())
				var answers []string
				require.NoError(t, env.GetWorkflowResult(&answers))
				require.Len(t, recorded, 1, "exactly one decision is recorded")
				won := slices.Index(answers, "")
				require.NotEqual(t, -1, won, "one decision is accepted: %q", answers)
				require.Equal(t, []string{recorded[0].ReviewerID}, []string{[]string{"usr_r1", "usr_r2"}[won]})
				require.Equal(t, "conflict: task tsk-cnd_1-1 was already decided by another reviewer ("+string(recorded[0].Verdict)+
					"): that decision stands; reload the task to see it", answers[1-won])
			})
		}
	}
}

// Two decisions sent at the same instant through the test suite (each in
// its own workflow task): one counts, the other is told, and the outcome
// follows the one that counted.
func TestSimultaneousDecisionsOnlyOneCounts(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, second domain.Decision
	}{
		{"approve and reject", approve(reviewer("usr_r1"), firstTask), reject(reviewer("usr_r2"), firstTask)},
		{"two approvals", approve(reviewer("usr_r1"), firstTask), approve(reviewer("usr_r2"), firstTask)},
		{"reject and approve", reject(reviewer("usr_r1"), firstTask), approve(reviewer("usr_r2"), firstTask)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEvalEnv(t, domain.LicenseReport{}, cleanPolicy)
			got := sendAt(e.TestWorkflowEnvironment, time.Hour,
				update{contract.DecideUpdate, "a", tc.first}, update{contract.DecideUpdate, "b", tc.second})
			e.ExecuteWorkflow(EvaluationWorkflow, testInput)

			res := e.result(t)
			require.True(t, got[0].done && got[1].done, "every request gets an answer")
			require.Len(t, e.decisions, 1, "exactly one decision is recorded")
			require.NoError(t, got[0].err())
			requireKind(t, got[1].err(), domain.ErrConflict, "not open")
			want := domain.OutcomeQualified
			if tc.first.Verdict == domain.VerdictReject {
				want = domain.OutcomeDisqualified
			}
			require.Equal(t, want, res.Outcome, "the outcome follows the decision that counted")
		})
	}
}

// A reviewer whose connection dropped retries with the same idempotency
// key: the retry gets the first answer, while the decision is still being
// recorded and after its task closed, and nothing is recorded twice; the
// key cannot name another decision.
func TestDecisionIdempotencyKey(t *testing.T) {
	warn := domain.Finding{Rule: "license.needs-review", Severity: domain.SeverityWarn, Message: "LicenseRef-Llama-3.1 needs review"}
	e := newEvalEnv(t, domain.LicenseReport{Findings: []domain.Finding{warn}, NeedsResolution: true}, domain.PolicyDecision{ApprovalsRequired: 2, Score: 10})
	keyed := approve(reviewer("usr_r1"), firstTask)
	keyed.IdempotencyKey = "k-1"
	reused := approve(reviewer("usr_r1"), "tsk-cnd_1-2")
	reused.IdempotencyKey = "k-1"
	first := sendAt(e.TestWorkflowEnvironment, time.Hour, update{contract.DecideUpdate, "a", keyed}, update{contract.DecideUpdate, "b", keyed})
	later := sendAt(e.TestWorkflowEnvironment, 2*time.Hour, update{contract.DecideUpdate, "c", keyed})
	misuse := sendAt(e.TestWorkflowEnvironment, 3*time.Hour, update{contract.DecideUpdate, "d", reused})
	reused.IdempotencyKey = "k-2"
	sendAt(e.TestWorkflowEnvironment, 4*time.Hour, update{contract.DecideUpdate, "e", reused}, update{contract.DecideUpdate, "f", approve(reviewer("usr_r2"), "tsk-cnd_1-2")})
	e.ExecuteWorkflow(EvaluationWorkflow, testInput)

	require.Equal(t, domain.OutcomeQualified, e.result(t).Outcome)
	want := contract.DecisionResult{TaskID: firstTask, Accepted: true, TaskClosed: true}
	for _, s := range []*sent{first[0], first[1], later[0]} {
		require.NoError(t, s.err())
		require.Equal(t, want, s.result)
	}
	requireKind(t, misuse[0].err(), domain.ErrConflict, `idempotency key "k-1" already named your approve decision on task tsk-cnd_1-1`)
	require.Len(t, e.decisions, 3, "the license task once, the approval task by each reviewer")
}

// agencyInput is the test evaluation of a high-impact candidate, started by
// the solicitation of agency.
func agencyInput() contract.EvaluationInput {
	in := testInput
	in.AgencyOrgID = agency
	return in
}

var twoApprovals = domain.PolicyDecision{ApprovalsRequired: 2, Score: 10}

// When conflicts leave one eligible reviewer for a task that needs two, the
// task goes to the officer at once, with the reason; the officer assigns a
// reviewer of another team, who may then decide it.
func TestTooFewReviewersOfficerAssignsOne(t *testing.T) {
	e := newEvalEnv(t, domain.LicenseReport{}, twoApprovals)
	e.eligible = []string{"usr_r1"}
	other := contract.Actor{UserID: "usr_x", Role: domain.RoleReviewer, OrgID: "org_other_team"}
	assign := func(by contract.Actor, rv contract.Actor, conflicts ...string) contract.AssignReviewerRequest {
		return contract.AssignReviewerRequest{TaskID: firstTask, Actor: by, Reviewer: rv, ReviewerConflicts: conflicts}
	}
	foreignOfficer := contract.Actor{UserID: "usr_o2", Role: domain.RoleOfficer, OrgID: "org_elsewhere"}
	refused := sendAt(e.TestWorkflowEnvironment, time.Hour,
		update{contract.AssignReviewerUpdate, "by-reviewer", assign(contract.Actor{UserID: "usr_r1", Role: domain.RoleReviewer, OrgID: agency}, other)},
		update{contract.AssignReviewerUpdate, "by-foreign-officer", assign(foreignOfficer, other)},
		update{contract.AssignReviewerUpdate, "conflicted", assign(officer, other, vendorOrg)},
		update{contract.AssignReviewerUpdate, "vendor-staff", assign(officer, contract.Actor{UserID: "usr_v", Role: domain.RoleReviewer, OrgID: vendorOrg})},
		update{contract.AssignReviewerUpdate, "not-a-reviewer", assign(officer, contract.Actor{UserID: "usr_a", Role: domain.RoleAuditor, OrgID: agency})},
		update{contract.AssignReviewerUpdate, "already-eligible", assign(officer, contract.Actor{UserID: "usr_r1", Role: domain.RoleReviewer, OrgID: agency})},
	)
	assigned := sendAt(e.TestWorkflowEnvironment, 2*time.Hour, update{contract.AssignReviewerUpdate, "assign", assign(officer, other)})
	exception := sendAt(e.TestWorkflowEnvironment, 3*time.Hour, update{contract.ApproveWithExceptionUpdate, "exception",
		contract.ExceptionRequest{TaskID: firstTask, Actor: officer, Reason: "no second reviewer"}})
	xDecides := approve(reviewer("usr_x"), firstTask)
	xDecides.ReviewerOrgID = "org_other_team"
	sendAt(e.TestWorkflowEnvironment, 4*time.Hour, update{contract.DecideUpdate, "r1", approve(reviewer("usr_r1"), firstTask)})
	sendAt(e.TestWorkflowEnvironment, 5*time.Hour, update{contract.DecideUpdate, "x", xDecides})
	e.ExecuteWorkflow(EvaluationWorkflow, agencyInput())

	require.Equal(t, domain.OutcomeQualified, e.result(t).Outcome)
	require.Len(t, e.escalations, 1, "escalated once, when the task opened")
	require.Equal(t, 2, e.escalations[0].Level)
	require.Contains(t, e.escalations[0].Reason, "1 eligible reviewer(s) left for the 2 approval(s) task tsk-cnd_1-1 still needs")
	for i, want := range []struct {
		kind domain.ErrorKind
		says string
	}{
		{domain.ErrForbidden, "only a procurement officer of the issuing agency"},
		{domain.ErrForbidden, "only a procurement officer of the issuing agency"},
		{domain.ErrConflictOfInt, "reviewer usr_x may not decide task tsk-cnd_1-1"},
		{domain.ErrConflictOfInt, "reviewer usr_v may not decide task tsk-cnd_1-1"},
		{domain.ErrInvalid, "not a compliance reviewer"},
		{domain.ErrConflict, "reviewer usr_r1 can already decide task tsk-cnd_1-1"},
	} {
		requireKind(t, refused[i].err(), want.kind, want.says)
	}
	require.NoError(t, assigned[0].err())
	require.Equal(t, contract.AssignmentResult{TaskID: firstTask, ReviewerID: "usr_x", ApprovalsRemaining: 2, ReviewersAvailable: 2}, assigned[0].result)
	requireKind(t, exception[0].err(), domain.ErrConflict, "can still be decided by its reviewers (2 available for 2 approval(s))")
	require.Len(t, e.assignments, 1)
	require.Equal(t, contract.Assignment{SolicitationID: "sol_1", TaskID: firstTask, ReviewerID: "usr_x", OfficerID: officer.UserID, At: e.assignments[0].At}, e.assignments[0])
	require.Len(t, e.decisions, 2)
	require.Empty(t, e.exceptions)
}

// When one approval of two is in and nobody else may decide, the officer
// approves with a documented exception; it stands for the missing approval,
// goes on the record with its reason, and closes the task.
func TestTooFewReviewersOfficerApprovesWithException(t *testing.T) {
	e := newEvalEnv(t, domain.LicenseReport{}, twoApprovals)
	e.eligible = []string{"usr_r1"}
	exception := func(by contract.Actor, reason string) contract.ExceptionRequest {
		return contract.ExceptionRequest{TaskID: firstTask, Actor: by, Reason: reason}
	}
	reason := "the only other reviewer advised the vendor last year; the agency head approved this exception"
	sendAt(e.TestWorkflowEnvironment, time.Hour, update{contract.DecideUpdate, "r1", approve(reviewer("usr_r1"), firstTask)})
	refused := sendAt(e.TestWorkflowEnvironment, 2*time.Hour,
		update{contract.ApproveWithExceptionUpdate, "no-reason", exception(officer, "  ")},
		update{contract.ApproveWithExceptionUpdate, "reviewer", exception(contract.Actor{UserID: "usr_r1", Role: domain.RoleReviewer, OrgID: agency}, reason)},
	)
	approved := sendAt(e.TestWorkflowEnvironment, 3*time.Hour, update{contract.ApproveWithExceptionUpdate, "exception", exception(officer, reason)},
		update{contract.DecideUpdate, "late", approve(reviewer("usr_r2"), firstTask)})
	e.ExecuteWorkflow(EvaluationWorkflow, agencyInput())

	require.Equal(t, domain.OutcomeQualified, e.result(t).Outcome)
	requireKind(t, refused[0].err(), domain.ErrInvalid, "documented reason")
	requireKind(t, refused[1].err(), domain.ErrForbidden, "procurement officer")
	require.NoError(t, approved[0].err())
	require.Equal(t, contract.DecisionResult{TaskID: firstTask, Accepted: true, TaskClosed: true}, approved[0].result)
	requireKind(t, approved[1].err(), domain.ErrConflict, "not open")
	require.Len(t, e.exceptions, 1)
	x := e.exceptions[0]
	require.Equal(t, []any{officer.UserID, reason, 1, 0}, []any{x.OfficerID, x.Reason, x.ApprovalsCredited, x.ReviewersAvailable})
	require.Len(t, e.decisions, 1, "the exception is not a reviewer's decision")
	var approval *domain.StageUpdate
	for i, s := range e.stages {
		if s.Stage == domain.StageApproval && s.Status == domain.StagePassed {
			approval = &e.stages[i]
		}
	}
	require.NotNil(t, approval)
	require.Contains(t, approval.Detail, "exception", "the approval stage shows the exception")
}

// A reviewer who declares a conflict after the task opened shrinks the pool:
// the count at the SLA finds too few and sends the task straight to the
// officer, with the reason, instead of to every reviewer.
func TestPoolCountedAgainAtEscalation(t *testing.T) {
	e := newEvalEnv(t, domain.LicenseReport{}, twoApprovals)
	e.RegisterDelayedCallback(func() { e.eligible = []string{"usr_r1"} }, time.Hour)
	sendAt(e.TestWorkflowEnvironment, defaultTaskSLA+time.Hour, update{contract.ApproveWithExceptionUpdate, "exception",
		contract.ExceptionRequest{TaskID: firstTask, Actor: officer, Reason: "usr_r2 is conflicted; nobody else is cleared"}})
	e.ExecuteWorkflow(EvaluationWorkflow, agencyInput())

	require.Equal(t, domain.OutcomeQualified, e.result(t).Outcome)
	require.Len(t, e.escalations, 1)
	require.Equal(t, 2, e.escalations[0].Level)
	require.Contains(t, e.escalations[0].Reason, "1 eligible reviewer(s) left")
	require.Len(t, e.exceptions, 1)
}

// A vendor retries a submission with the same idempotency key (the API
// drew a new bid id for the retry): it gets the first BidResult, even after
// the deadline, and only one bid is recorded; another organisation's key is
// its own.
func TestBidIdempotencyKey(t *testing.T) {
	e := newSolicitationEnv(time.Hour, nil)
	keyed := func(req contract.SubmitBidRequest) contract.SubmitBidRequest {
		req.IdempotencyKey = "k-1"
		return req
	}
	retry := keyed(bid("bid_a2", "cnd_9"))
	retry.Bid.VendorOrgID = "org_bid_a"
	first := sendAt(e.TestWorkflowEnvironment, time.Hour, update{contract.SubmitBidUpdate, "a", keyed(bid("bid_a", "cnd_1"))},
		update{contract.SubmitBidUpdate, "a-retry-now", retry})
	again := sendAt(e.TestWorkflowEnvironment, 2*time.Hour, update{contract.SubmitBidUpdate, "a-retry", retry})
	other := sendAt(e.TestWorkflowEnvironment, 3*time.Hour, update{contract.SubmitBidUpdate, "b", keyed(bid("bid_b", "cnd_2"))})
	afterDeadline := sendAt(e.TestWorkflowEnvironment, 11*day, update{contract.SubmitBidUpdate, "a-retry-late", retry})
	e.at(11*day+time.Hour, contract.CancelUpdate, contract.CancelRequest{Actor: officer, Reason: "end of test"}, nil)
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput(domain.RiskStandard))

	e.result(t)
	want := contract.BidResult{BidID: "bid_a", Revision: 1, Prechecks: []domain.Precheck{{CandidateID: "cnd_1", Outcome: "pass"}}}
	for _, s := range []*sent{first[0], first[1], again[0], afterDeadline[0]} {
		require.NoError(t, s.err())
		require.Equal(t, want, s.result)
	}
	require.NoError(t, other[0].err())
	require.Equal(t, "bid_b", other[0].result.(contract.BidResult).BidID)
	require.Len(t, e.recorded, 2, "one bid per organisation")
}

// A high-impact award whose pool is one reviewer short: the officer who
// recommended it may not approve it by exception; another officer of the
// agency may.
func TestAwardTaskExceptionNotByTheRecommender(t *testing.T) {
	e := newSolicitationEnv(time.Hour, nil)
	e.eligible = []string{reviewer1.ReviewerID}
	e.at(time.Hour, contract.SubmitBidUpdate, bid("bid_a", "cnd_1"), nil)
	e.at(11*day, contract.RecommendAwardUpdate, contract.RecommendRequest{Actor: officer, AwardID: "awd_1", CandidateID: "cnd_1", Rationale: "only candidate"}, nil)
	task := "tsk-awd_1-1"
	d := reviewer1
	d.TaskID, d.Verdict, d.ReasonCode = task, domain.VerdictApprove, "meets-requirements"
	e.at(11*day+time.Hour, contract.DecideUpdate, d, nil)
	reason := "the second reviewer is on leave until after the contract must start"
	self := sendAt(e.TestWorkflowEnvironment, 11*day+2*time.Hour, update{contract.ApproveWithExceptionUpdate, "self",
		contract.ExceptionRequest{TaskID: task, Actor: officer, Reason: reason}})
	colleague := contract.Actor{UserID: "usr_officer2", Role: domain.RoleOfficer, OrgID: agency}
	byColleague := sendAt(e.TestWorkflowEnvironment, 11*day+3*time.Hour, update{contract.ApproveWithExceptionUpdate, "colleague",
		contract.ExceptionRequest{TaskID: task, Actor: colleague, Reason: reason}})
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput(domain.RiskHighImpact))

	st := e.result(t)
	requireKind(t, self[0].err(), domain.ErrConflictOfInt, "cannot approve it yourself, even by exception")
	require.NoError(t, byColleague[0].err())
	require.Equal(t, domain.SolicitationAwarded, st.Status)
	require.Len(t, e.exceptions, 1)
	require.Equal(t, colleague.UserID, e.exceptions[0].OfficerID)
}
