package workflows

import (
	"context"
	"errors"
	"fmt"
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

var start = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

const agency = "org_agency"

var (
	officer   = contract.Actor{UserID: "usr_officer", Role: domain.RoleOfficer, OrgID: agency}
	reviewer1 = domain.Decision{ReviewerID: "usr_r1", ReviewerRole: domain.RoleReviewer, ReviewerOrgID: agency}
	reviewer2 = domain.Decision{ReviewerID: "usr_r2", ReviewerRole: domain.RoleReviewer, ReviewerOrgID: agency}
)

func vendor(bidID string) contract.Actor {
	return contract.Actor{UserID: "usr_" + bidID, Role: domain.RoleVendor, OrgID: "org_" + bidID}
}

func solicitationInput(tier domain.RiskTier) contract.SolicitationInput {
	return contract.SolicitationInput{
		SolicitationID:      "sol_1",
		AgencyOrgID:         agency,
		Criteria:            domain.Criteria{SolicitationID: "sol_1", RiskTier: tier, PolicyRevision: "sha256:rev"},
		Deadline:            start.Add(10 * 24 * time.Hour),
		StandstillDays:      10,
		AmendmentNoticeDays: 3,
	}
}

// solicitationEnv mocks every activity and each child evaluation, recording
// what the workflow asked for.
type solicitationEnv struct {
	*testsuite.TestWorkflowEnvironment
	statuses   []domain.SolicitationStatus
	recorded   []domain.Bid
	children   []contract.EvaluationInput
	awardTasks []domain.Task
	awardMoves []string
	notices    int
	bidMoves   []string
	superseded []string
	monitored  []string
	eligible   []string // what EligibleReviewers answers
	exceptions []contract.TaskException
}

// newSolicitationEnv makes every child evaluation finish after
// evaluationTime with the outcome outcomes[candidate id] (qualified by default).
func newSolicitationEnv(evaluationTime time.Duration, outcomes map[string]domain.Outcome) *solicitationEnv {
	s := quietSuite()
	e := &solicitationEnv{TestWorkflowEnvironment: s.NewTestWorkflowEnvironment(), eligible: []string{reviewer1.ReviewerID, reviewer2.ReviewerID}}
	e.SetStartTime(start)
	e.RegisterWorkflow(SolicitationWorkflow)
	e.RegisterWorkflow(EvaluationWorkflow)
	e.RegisterWorkflow(MonitoringWorkflow)
	e.RegisterActivity(&activities.Activities{})
	e.OnWorkflow(MonitoringWorkflow, mock.Anything, mock.Anything).Return(func(_ workflow.Context, in contract.MonitoringInput) error {
		e.monitored = append(e.monitored, in.Ref.CandidateID)
		return nil
	})
	e.OnActivity(contract.SetSolicitationStatus, mock.Anything, mock.Anything).Return(func(_ context.Context, c contract.StatusChange) error {
		e.statuses = append(e.statuses, c.Status)
		return nil
	})
	e.OnActivity(contract.RecordBid, mock.Anything, mock.Anything).Return(func(_ context.Context, b domain.Bid) error {
		e.recorded = append(e.recorded, b)
		return nil
	})
	e.OnActivity(contract.ReviseBid, mock.Anything, mock.Anything).Return(nil)
	e.OnActivity(contract.Precheck, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.PrecheckInput) ([]domain.Precheck, error) {
		var out []domain.Precheck
		for _, c := range in.Bid.Candidates {
			out = append(out, domain.Precheck{CandidateID: c.ID, Outcome: "pass"})
		}
		return out, nil
	})
	e.OnActivity(contract.SetBidStatus, mock.Anything, mock.Anything).Return(func(_ context.Context, c contract.BidStatusChange) error {
		e.bidMoves = append(e.bidMoves, c.BidID+":"+c.Status)
		return nil
	})
	for _, act := range []any{contract.RecordQuestion, contract.RecordAnswer, contract.RecordAmendment, contract.CancelSolicitation, contract.RecordAward,
		contract.RecordProtest, contract.RecordProtestDecision, contract.RecordDecision, contract.EscalateTask} {
		e.OnActivity(act, mock.Anything, mock.Anything).Return(nil)
	}
	e.OnActivity(contract.SupersedeTask, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _, task, _ string, _ time.Time) error {
			e.superseded = append(e.superseded, task)
			return nil
		})
	e.OnActivity(contract.EligibleReviewers, mock.Anything, mock.Anything).Return(func(context.Context, domain.Task) ([]string, error) {
		return e.eligible, nil
	})
	e.OnActivity(contract.RecordException, mock.Anything, mock.Anything).Return(func(_ context.Context, x contract.TaskException) error {
		e.exceptions = append(e.exceptions, x)
		return nil
	})
	e.OnActivity(contract.OpenTask, mock.Anything, mock.Anything).Return(func(_ context.Context, t domain.Task) error {
		e.awardTasks = append(e.awardTasks, t)
		return nil
	})
	e.OnActivity(contract.SetAwardStatus, mock.Anything, mock.Anything).Return(func(_ context.Context, c contract.AwardStatusChange) error {
		e.awardMoves = append(e.awardMoves, c.Status)
		return nil
	})
	e.OnActivity(contract.PublishNotice, mock.Anything, mock.Anything, mock.Anything).Return(func(context.Context, string, time.Time) (string, error) {
		e.notices++
		return fmt.Sprintf("release-%d", e.notices), nil
	})
	e.OnActivity(contract.Rank, mock.Anything, mock.Anything).Return(func(_ context.Context, in contract.RankInput) ([]domain.RankedCandidate, error) {
		return activities.Rank(in.Weights, in.Candidates), nil
	})
	e.OnWorkflow(EvaluationWorkflow, mock.Anything, mock.Anything).After(evaluationTime).Return(func(_ workflow.Context, in contract.EvaluationInput) (contract.EvaluationResult, error) {
		e.children = append(e.children, in)
		outcome := domain.OutcomeQualified
		if o, ok := outcomes[in.Ref.CandidateID]; ok {
			outcome = o
		}
		return contract.EvaluationResult{Outcome: outcome, OpennessScore: 60, SafetyScore: 100}, nil
	})
	return e
}

func bid(id string, candidates ...string) contract.SubmitBidRequest {
	b := domain.Bid{ID: id, SolicitationID: "sol_1", VendorOrgID: "org_" + id, SubmittedBy: "usr_" + id, SubmittedAt: start,
		Price: &domain.Money{Amount: 100000, Currency: "USD"}}
	for _, c := range candidates {
		b.Candidates = append(b.Candidates, domain.Candidate{ID: c, BidID: id, Name: c})
	}
	return contract.SubmitBidRequest{Bid: b, SubmitterRole: domain.RoleVendor}
}

// at sends update name with arg after delay; its error (rejection or handler
// failure) lands in *err when err is not nil.
func (e *solicitationEnv) at(delay time.Duration, name string, arg any, err *error) {
	e.RegisterDelayedCallback(func() {
		e.UpdateWorkflow(name, fmt.Sprintf("%s-%s-%d", name, delay, time.Duration(len(name))), &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(rerr error) {
				if err != nil {
					*err = rerr
				}
			},
			OnComplete: func(_ any, cerr error) {
				if err != nil && cerr != nil {
					*err = cerr
				}
			},
		}, arg)
	}, delay)
}

func (e *solicitationEnv) result(t *testing.T) contract.SolicitationState {
	t.Helper()
	require.True(t, e.IsWorkflowCompleted())
	require.NoError(t, e.GetWorkflowError())
	var st contract.SolicitationState
	require.NoError(t, e.GetWorkflowResult(&st))
	return st
}

const day = 24 * time.Hour

func TestSolicitationEvaluatesEveryCandidateAfterDeadline(t *testing.T) {
	e := newSolicitationEnv(time.Hour, map[string]domain.Outcome{"cnd_2": domain.OutcomeDisqualified})
	var err1, err2 error
	e.at(time.Hour, contract.SubmitBidUpdate, bid("bid_a", "cnd_1", "cnd_2"), &err1)
	e.at(2*time.Hour, contract.SubmitBidUpdate, bid("bid_b", "cnd_3"), &err2)
	e.at(11*day, contract.CancelUpdate, contract.CancelRequest{Actor: officer, Reason: "end of test"}, nil)
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput(domain.RiskStandard))

	st := e.result(t)
	require.NoError(t, err1)
	require.NoError(t, err2)
	require.Len(t, e.recorded, 2)
	require.Len(t, e.children, 3)
	byID := map[string]contract.EvaluationInput{}
	for _, c := range e.children {
		byID[c.Ref.WorkflowID] = c
	}
	first, ok := byID[contract.EvaluationWorkflowID("bid_a", "cnd_1")]
	require.True(t, ok, "candidate cnd_1 evaluated: %v", byID)
	require.Equal(t, "org_bid_a", first.Ref.VendorOrgID)
	require.Equal(t, solicitationInput(domain.RiskStandard).Deadline, first.AsOf, "evidence is judged at the deadline")
	require.Equal(t, []domain.SolicitationStatus{domain.SolicitationClosed, domain.SolicitationEvaluating, domain.SolicitationEvaluated}, e.statuses)
	require.Len(t, st.Ranking, 2, "only qualified candidates are ranked")
	require.Equal(t, domain.SolicitationCancelled, st.Status)
}

func TestSolicitationWithoutBidsClosesEmpty(t *testing.T) {
	e := newSolicitationEnv(time.Minute, nil)
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput(domain.RiskStandard))
	e.result(t)
	require.Empty(t, e.children)
	require.Equal(t, []domain.SolicitationStatus{domain.SolicitationClosed, domain.SolicitationEvaluated}, e.statuses)
	require.Equal(t, 1, e.notices, "the tender notice is published at the start")
}

func TestSubmitBidValidatorRejections(t *testing.T) {
	e := newSolicitationEnv(time.Minute, nil)
	wrongRole := bid("bid_o", "cnd_9")
	wrongRole.SubmitterRole = domain.RoleOfficer
	second := bid("bid_a2", "cnd_5")
	second.Bid.VendorOrgID = "org_bid_a"
	var errRole, errEmpty, errDup, errSecond, first error
	e.at(time.Hour, contract.SubmitBidUpdate, wrongRole, &errRole)
	e.at(2*time.Hour, contract.SubmitBidUpdate, bid("bid_e"), &errEmpty)
	e.at(3*time.Hour, contract.SubmitBidUpdate, bid("bid_a", "cnd_1"), &first)
	e.at(4*time.Hour, contract.SubmitBidUpdate, bid("bid_a", "cnd_1"), &errDup)
	e.at(5*time.Hour, contract.SubmitBidUpdate, second, &errSecond)
	e.at(11*day, contract.CancelUpdate, contract.CancelRequest{Actor: officer, Reason: "end of test"}, nil)
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput(domain.RiskStandard))

	e.result(t)
	require.NoError(t, first)
	requireRejected(t, errRole, domain.ErrForbidden)
	requireRejected(t, errEmpty, domain.ErrInvalid)
	requireRejected(t, errDup, domain.ErrConflict)
	requireRejected(t, errSecond, domain.ErrConflict)
	require.Len(t, e.recorded, 1, "only the valid bid is recorded")
}

func TestSubmitBidAfterDeadlineWhileEvaluating(t *testing.T) {
	// The evaluation takes two days, so the workflow still runs after the deadline.
	e := newSolicitationEnv(2*day, nil)
	var first, late error
	e.at(time.Hour, contract.SubmitBidUpdate, bid("bid_a", "cnd_1"), &first)
	e.at(11*day, contract.SubmitBidUpdate, bid("bid_late", "cnd_2"), &late)
	e.at(13*day, contract.CancelUpdate, contract.CancelRequest{Actor: officer, Reason: "end of test"}, nil)
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput(domain.RiskStandard))

	e.result(t)
	require.NoError(t, first)
	requireRejected(t, late, domain.ErrDeadlinePassed)
	require.Len(t, e.recorded, 1)
}

// Q&A, an amendment close to the deadline that extends it, a revision, a
// withdrawal, and a bid left unconfirmed after the amendment.
func TestBiddingPeriodRules(t *testing.T) {
	e := newSolicitationEnv(time.Hour, nil)
	var errAsk, errOfficerAsk, errAnswer, errTwice, errAmend, errRevise, errStaleRevision, errWithdraw, errConfirm error
	e.at(time.Hour, contract.SubmitBidUpdate, bid("bid_a", "cnd_1"), nil)
	e.at(2*time.Hour, contract.SubmitBidUpdate, bid("bid_b", "cnd_2"), nil)
	e.at(3*time.Hour, contract.SubmitBidUpdate, bid("bid_c", "cnd_3"), nil)
	e.at(4*time.Hour, contract.AskQuestionUpdate, contract.QuestionRequest{Actor: vendor("bid_a"), ID: "q1", Question: "Is fine-tuning allowed?"}, &errAsk)
	e.at(5*time.Hour, contract.AskQuestionUpdate, contract.QuestionRequest{Actor: officer, ID: "q2", Question: "?"}, &errOfficerAsk)
	e.at(6*time.Hour, contract.AnswerQuestionUpdate, contract.AnswerRequest{Actor: officer, QuestionID: "q1", Answer: "Yes, on agency hardware."}, &errAnswer)
	e.at(7*time.Hour, contract.AnswerQuestionUpdate, contract.AnswerRequest{Actor: officer, QuestionID: "q1", Answer: "again"}, &errTwice)
	// Nine days in, one day before the deadline: the amendment extends it to three days from then.
	e.at(9*day, contract.AmendUpdate, contract.AmendRequest{Actor: officer, ID: "am1", Description: "Adds an incident-response SLA of 24 hours"}, &errAmend)
	revised := bid("bid_a", "cnd_1b")
	revised.Bid.Revision = 2
	e.at(9*day+time.Hour, contract.ReviseBidUpdate, revised, &errRevise)
	e.at(9*day+2*time.Hour, contract.ReviseBidUpdate, revised, &errStaleRevision)
	e.at(9*day+3*time.Hour, contract.WithdrawBidUpdate, contract.BidAction{Actor: vendor("bid_b"), BidID: "bid_b"}, &errWithdraw)
	e.at(9*day+4*time.Hour, contract.ConfirmBidUpdate, contract.BidAction{Actor: vendor("bid_a"), BidID: "bid_a"}, &errConfirm)
	// bid_c never confirms: excluded at the (extended) deadline, which is after day 10.
	e.at(20*day, contract.CancelUpdate, contract.CancelRequest{Actor: officer, Reason: "end of test"}, nil)
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput(domain.RiskStandard))

	e.result(t)
	require.NoError(t, errAsk)
	requireRejected(t, errOfficerAsk, domain.ErrForbidden)
	require.NoError(t, errAnswer)
	requireRejected(t, errTwice, domain.ErrConflict)
	require.NoError(t, errAmend)
	require.NoError(t, errRevise)
	requireRejected(t, errStaleRevision, domain.ErrConflict)
	require.NoError(t, errWithdraw)
	requireRejected(t, errConfirm, domain.ErrConflict) // the revision already answered the amendment
	require.Contains(t, e.bidMoves, "bid_b:"+domain.BidWithdrawn)
	require.Contains(t, e.bidMoves, "bid_c:"+domain.BidExcluded)
	require.Len(t, e.children, 1, "only the revised bid is evaluated")
	require.Equal(t, "cnd_1b", e.children[0].Ref.CandidateID)
	require.Equal(t, start.Add(9*day+3*day), e.children[0].AsOf, "the amendment moved the deadline to three days after it")
}

// The full award path: recommendation, approval, standstill with a protest
// that is dismissed, award, notice.
func TestAwardWithDismissedProtest(t *testing.T) {
	e := newSolicitationEnv(time.Hour, nil)
	e.at(time.Hour, contract.SubmitBidUpdate, bid("bid_a", "cnd_1"), nil)
	e.at(2*time.Hour, contract.SubmitBidUpdate, bid("bid_b", "cnd_2"), nil)
	var errEarly, errRecommend, errWinner, errProtest, errSelf, errResolve error
	e.at(3*time.Hour, contract.RecommendAwardUpdate, contract.RecommendRequest{Actor: officer, AwardID: "awd_0", CandidateID: "cnd_1", Rationale: "x"}, &errEarly)
	e.at(11*day, contract.RecommendAwardUpdate, contract.RecommendRequest{Actor: officer, AwardID: "awd_1", CandidateID: "cnd_1", Rationale: "best openness and price"}, &errRecommend)
	task := "tsk-awd_1-1"
	d := reviewer1
	d.TaskID, d.Verdict, d.ReasonCode = task, domain.VerdictApprove, "meets-requirements"
	self := d
	self.ReviewerID, self.ReviewerRole = officer.UserID, domain.RoleReviewer
	e.at(11*day+time.Hour, contract.DecideUpdate, self, &errSelf)
	e.at(11*day+2*time.Hour, contract.DecideUpdate, d, nil)
	e.at(12*day, contract.FileProtestUpdate, contract.ProtestRequest{Actor: vendor("bid_a"), ID: "pr0", Grounds: "x"}, &errWinner)
	e.at(12*day+time.Hour, contract.FileProtestUpdate, contract.ProtestRequest{Actor: vendor("bid_b"), ID: "pr1", Grounds: "the price was scored wrongly"}, &errProtest)
	// The standstill ends on day 21; the protest blocks the award until it is decided on day 25.
	e.at(25*day, contract.ResolveProtestUpdate, contract.ResolveProtestRequest{Actor: officer, ProtestID: "pr1", Outcome: domain.ProtestDismissed, Decision: "prices were scored per the published weights"}, &errResolve)
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput(domain.RiskStandard))

	st := e.result(t)
	requireRejected(t, errEarly, domain.ErrConflict)
	require.NoError(t, errRecommend)
	requireRejected(t, errSelf, domain.ErrConflictOfInt)
	requireRejected(t, errWinner, domain.ErrForbidden)
	require.NoError(t, errProtest)
	require.NoError(t, errResolve)
	require.Equal(t, domain.SolicitationAwarded, st.Status)
	require.Equal(t, []string{domain.AwardStandstill, domain.AwardAwarded}, e.awardMoves)
	require.Equal(t, []string{"org_bid_a", "org_bid_b"}, e.awardTasks[0].ExcludedOrgIDs)
	require.Equal(t, []string{officer.UserID}, e.awardTasks[0].ExcludedUserIDs)
	require.Equal(t, 2, e.notices, "tender notice at the start, award notice at the end")
	require.Equal(t, []string{"cnd_1"}, e.monitored, "the awarded model is handed to monitoring")
	require.Contains(t, e.statuses, domain.SolicitationStandstill)
	require.Equal(t, domain.SolicitationAwarded, e.statuses[len(e.statuses)-1])
}

// An upheld protest sends the officer back to recommend; a high-impact award
// needs two distinct reviewers.
func TestUpheldProtestAndHighImpactApprovals(t *testing.T) {
	e := newSolicitationEnv(time.Hour, nil)
	e.at(time.Hour, contract.SubmitBidUpdate, bid("bid_a", "cnd_1"), nil)
	e.at(2*time.Hour, contract.SubmitBidUpdate, bid("bid_b", "cnd_2"), nil)
	approve := func(r domain.Decision, task string) domain.Decision {
		r.TaskID, r.Verdict, r.ReasonCode = task, domain.VerdictApprove, "meets-requirements"
		return r
	}
	e.at(11*day, contract.RecommendAwardUpdate, contract.RecommendRequest{Actor: officer, AwardID: "awd_1", CandidateID: "cnd_1", Rationale: "first choice"}, nil)
	e.at(11*day+time.Hour, contract.DecideUpdate, approve(reviewer1, "tsk-awd_1-1"), nil)
	e.at(11*day+2*time.Hour, contract.DecideUpdate, approve(reviewer2, "tsk-awd_1-1"), nil)
	e.at(12*day, contract.FileProtestUpdate, contract.ProtestRequest{Actor: vendor("bid_b"), ID: "pr1", Grounds: "evidence of A expired"}, nil)
	e.at(13*day, contract.ResolveProtestUpdate, contract.ResolveProtestRequest{Actor: officer, ProtestID: "pr1", Outcome: domain.ProtestUpheld, Decision: "A's red-team report expired before the deadline"}, nil)
	e.at(14*day, contract.RecommendAwardUpdate, contract.RecommendRequest{Actor: officer, AwardID: "awd_2", CandidateID: "cnd_2", Rationale: "next in rank"}, nil)
	e.at(14*day+time.Hour, contract.DecideUpdate, approve(reviewer1, "tsk-awd_2-2"), nil)
	e.at(14*day+2*time.Hour, contract.DecideUpdate, approve(reviewer2, "tsk-awd_2-2"), nil)
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput(domain.RiskHighImpact))

	st := e.result(t)
	require.Equal(t, domain.SolicitationAwarded, st.Status)
	require.Equal(t, "cnd_2", st.Award.CandidateID)
	require.Equal(t, 2, e.awardTasks[0].Approvals)
	require.Equal(t, []string{domain.AwardStandstill, domain.AwardCancelled, domain.AwardStandstill, domain.AwardAwarded}, e.awardMoves)
}

// Cancelling during evaluation cancels the child workflows and publishes the
// cancellation.
func TestCancellationDuringEvaluation(t *testing.T) {
	e := newSolicitationEnv(5*day, nil)
	var errReason, errVendor, errCancel error
	e.at(time.Hour, contract.SubmitBidUpdate, bid("bid_a", "cnd_1"), nil)
	e.at(11*day, contract.CancelUpdate, contract.CancelRequest{Actor: officer}, &errReason)
	e.at(11*day+time.Minute, contract.CancelUpdate, contract.CancelRequest{Actor: vendor("bid_a"), Reason: "x"}, &errVendor)
	e.at(11*day+time.Hour, contract.CancelUpdate, contract.CancelRequest{Actor: officer, Reason: "the budget was withdrawn"}, &errCancel)
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput(domain.RiskStandard))

	st := e.result(t)
	requireRejected(t, errReason, domain.ErrInvalid)
	requireRejected(t, errVendor, domain.ErrForbidden)
	require.NoError(t, errCancel)
	require.Equal(t, domain.SolicitationCancelled, st.Status)
	require.Equal(t, "the budget was withdrawn", st.Cancelled)
	require.Len(t, e.children, 1)
	require.True(t, e.Now().Before(start.Add(16*day)), "the workflow ended at %s without waiting for the five-day evaluation", e.Now())
	require.Equal(t, 2, e.notices)
}

func requireRejected(t *testing.T, err error, kind domain.ErrorKind) {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want a rejection of kind %s, got %v", kind, err)
	require.Equal(t, string(kind), appErr.Type(), appErr.Message())
}

// Cancelling during the standstill cancels the award too.
func TestCancellationDuringStandstill(t *testing.T) {
	e := newSolicitationEnv(time.Hour, nil)
	e.at(time.Hour, contract.SubmitBidUpdate, bid("bid_a", "cnd_1"), nil)
	e.at(11*day, contract.RecommendAwardUpdate, contract.RecommendRequest{Actor: officer, AwardID: "awd_1", CandidateID: "cnd_1", Rationale: "only one"}, nil)
	d := reviewer1
	d.TaskID, d.Verdict, d.ReasonCode = "tsk-awd_1-1", domain.VerdictApprove, "meets-requirements"
	e.at(11*day+time.Hour, contract.DecideUpdate, d, nil)
	e.at(12*day, contract.CancelUpdate, contract.CancelRequest{Actor: officer, Reason: "requirement withdrawn by the programme office"}, nil)
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput(domain.RiskStandard))

	st := e.result(t)
	require.Equal(t, domain.SolicitationCancelled, st.Status)
	require.Equal(t, []string{domain.AwardStandstill, domain.AwardCancelled}, e.awardMoves)
	require.Empty(t, e.monitored)
}

// With an enquiry period, questions close when it ends and bidding goes on.
func TestEnquiryPeriodThenBidding(t *testing.T) {
	e := newSolicitationEnv(time.Hour, nil)
	in := solicitationInput(domain.RiskStandard)
	in.EnquiryEnd = start.Add(5 * day)
	var early, late, lateBid error
	e.at(time.Hour, contract.AskQuestionUpdate, contract.QuestionRequest{Actor: vendor("bid_a"), ID: "q1", Question: "Is on-premises required?"}, &early)
	e.at(6*day, contract.AskQuestionUpdate, contract.QuestionRequest{Actor: vendor("bid_a"), ID: "q2", Question: "One more?"}, &late)
	e.at(7*day, contract.SubmitBidUpdate, bid("bid_a", "cnd_1"), &lateBid)
	e.at(11*day, contract.CancelUpdate, contract.CancelRequest{Actor: officer, Reason: "end of test"}, nil)
	e.ExecuteWorkflow(SolicitationWorkflow, in)

	e.result(t)
	require.NoError(t, early)
	requireRejected(t, late, domain.ErrConflict)
	require.NoError(t, lateBid, "bids are accepted in the bidding period")
	require.Equal(t, domain.SolicitationBidding, e.statuses[0])
}

// The officer's fit score re-ranks the qualified candidates.
func TestFitScoreReranks(t *testing.T) {
	e := newSolicitationEnv(time.Hour, nil)
	in := solicitationInput(domain.RiskStandard)
	in.Weights = domain.ScoringWeights{Openness: 0.2, Safety: 0.2, Price: 0.2, Fit: 0.4}
	cheap := bid("bid_b", "cnd_2")
	cheap.Bid.Price = &domain.Money{Amount: 50000, Currency: "USD"}
	e.at(time.Hour, contract.SubmitBidUpdate, bid("bid_a", "cnd_1"), nil)
	e.at(2*time.Hour, contract.SubmitBidUpdate, cheap, nil)
	var errRange, errNote, errFit error
	e.at(11*day, contract.ScoreFitUpdate, contract.FitRequest{Actor: officer, CandidateID: "cnd_1", Score: 140, Note: "x"}, &errRange)
	e.at(11*day+time.Minute, contract.ScoreFitUpdate, contract.FitRequest{Actor: officer, CandidateID: "cnd_1", Score: 100}, &errNote)
	e.at(11*day+2*time.Minute, contract.ScoreFitUpdate, contract.FitRequest{Actor: officer, CandidateID: "cnd_1", Score: 100, Note: "fine-tuned on casework notes"}, &errFit)
	e.at(12*day, contract.CancelUpdate, contract.CancelRequest{Actor: officer, Reason: "end of test"}, nil)
	e.ExecuteWorkflow(SolicitationWorkflow, in)

	st := e.result(t)
	requireRejected(t, errRange, domain.ErrInvalid)
	requireRejected(t, errNote, domain.ErrInvalid)
	require.NoError(t, errFit)
	require.Equal(t, "cnd_1", st.Ranking[0].CandidateID, "the fit score outweighs the cheaper price")
	require.Equal(t, 40.0, st.Ranking[0].Breakdown["fit"])
}
