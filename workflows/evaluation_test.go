package workflows

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/modeltender/modeltender/activities"
	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// quietSuite is a test suite whose environments log warnings only.
func quietSuite() *testsuite.WorkflowTestSuite {
	s := &testsuite.WorkflowTestSuite{}
	s.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	return s
}

const vendorOrg = "org_vendor"

var testInput = contract.EvaluationInput{
	Ref: contract.EvaluationRef{
		SolicitationID: "sol_1", BidID: "bid_1", CandidateID: "cnd_1", VendorOrgID: vendorOrg,
		WorkflowID: contract.EvaluationWorkflowID("bid_1", "cnd_1"),
	},
	Criteria: domain.Criteria{SolicitationID: "sol_1", RiskTier: domain.RiskStandard, ExpectedMonthlyUsers: 1000, PolicyRevision: "sha256:rev"},
	AsOf:     time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
}

// evalEnv is a test environment with every store activity mocked and the
// automated checks returning the given reports.
type evalEnv struct {
	*testsuite.TestWorkflowEnvironment
	stages         []domain.StageUpdate
	tasks          []domain.Task
	decisions      []contract.DecisionRecord
	outcome        *contract.Outcome
	escalations    []contract.Escalation
	eligible       []string // what EligibleReviewers answers
	assignments    []contract.Assignment
	exceptions     []contract.TaskException
	superseded     []string
	clarifications []contract.ClarificationAnswer
	licenseRuns    int
}

func newEvalEnv(t *testing.T, lic domain.LicenseReport, dec domain.PolicyDecision) *evalEnv {
	s := quietSuite()
	e := &evalEnv{TestWorkflowEnvironment: s.NewTestWorkflowEnvironment(), eligible: []string{"usr_r1", "usr_r2"}}
	e.RegisterWorkflow(EvaluationWorkflow)
	e.RegisterActivity(&activities.Activities{})
	e.OnActivity(contract.StartEvaluation, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil)
	e.OnActivity(contract.CheckCandidate, mock.Anything, mock.Anything).Return(func(context.Context, contract.CheckRequest) (domain.CandidateCheck, error) {
		e.licenseRuns++
		return domain.CandidateCheck{ManifestName: "Granite", ManifestHash: "sha256:m", Intake: []domain.Finding{}, License: lic, Policy: dec}, nil
	})
	e.OnActivity(contract.EscalateTask, mock.Anything, mock.Anything).Return(func(_ context.Context, esc contract.Escalation) error {
		e.escalations = append(e.escalations, esc)
		return nil
	})
	e.OnActivity(contract.EligibleReviewers, mock.Anything, mock.Anything).Return(func(context.Context, domain.Task) ([]string, error) {
		return e.eligible, nil
	})
	e.OnActivity(contract.AssignReviewer, mock.Anything, mock.Anything).Return(func(_ context.Context, a contract.Assignment) error {
		e.assignments = append(e.assignments, a)
		return nil
	})
	e.OnActivity(contract.RecordException, mock.Anything, mock.Anything).Return(func(_ context.Context, x contract.TaskException) error {
		e.exceptions = append(e.exceptions, x)
		return nil
	})
	e.OnActivity(contract.SupersedeTask, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _, task, _ string, _ time.Time) error {
			e.superseded = append(e.superseded, task)
			return nil
		})
	e.OnActivity(contract.RecordClarification, mock.Anything, mock.Anything, mock.Anything).Return(nil)
	e.OnActivity(contract.CloseClarification, mock.Anything, mock.Anything).Return(func(_ context.Context, c contract.ClarificationAnswer) error {
		e.clarifications = append(e.clarifications, c)
		return nil
	})
	e.OnActivity(contract.RecordStage, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ contract.EvaluationRef, u domain.StageUpdate) error {
			e.stages = append(e.stages, u)
			return nil
		})
	e.OnActivity(contract.OpenTask, mock.Anything, mock.Anything).Return(func(_ context.Context, task domain.Task) error {
		e.tasks = append(e.tasks, task)
		return nil
	})
	e.OnActivity(contract.RecordDecision, mock.Anything, mock.Anything).Return(func(_ context.Context, r contract.DecisionRecord) error {
		e.decisions = append(e.decisions, r)
		return nil
	})
	e.OnActivity(contract.CompleteEvaluation, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ contract.EvaluationRef, o contract.Outcome) error {
			e.outcome = &o
			return nil
		})
	return e
}

func reviewer(id string) domain.Decision {
	return domain.Decision{ReviewerID: id, ReviewerRole: domain.RoleReviewer, ReviewerOrgID: "org_agency"}
}

func approve(d domain.Decision, task string) domain.Decision {
	d.TaskID, d.Verdict, d.ReasonCode = task, domain.VerdictApprove, "meets-requirements"
	return d
}

func reject(d domain.Decision, task string) domain.Decision {
	d.TaskID, d.Verdict, d.ReasonCode, d.Comment = task, domain.VerdictReject, "safety-risk", "red-team scope too narrow"
	return d
}

// decideAt sends a decide update after delay and records how it ended.
func (e *evalEnv) decideAt(delay time.Duration, d domain.Decision, rejected *error) {
	e.updateAt(delay, contract.DecideUpdate, d, rejected)
}

// updateAt sends update name with arg after delay and records a rejection.
func (e *evalEnv) updateAt(delay time.Duration, name string, arg any, rejected *error) {
	e.RegisterDelayedCallback(func() {
		e.UpdateWorkflow(name, fmt.Sprintf("%s-%s", name, delay), &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) {
				if rejected != nil {
					*rejected = err
				}
			},
			OnComplete: func(any, error) {},
		}, arg)
	}, delay)
}

func (e *evalEnv) result(t *testing.T) contract.EvaluationResult {
	t.Helper()
	require.True(t, e.IsWorkflowCompleted())
	require.NoError(t, e.GetWorkflowError())
	var res contract.EvaluationResult
	require.NoError(t, e.GetWorkflowResult(&res))
	return res
}

var cleanPolicy = domain.PolicyDecision{ApprovalsRequired: 1, Score: 42, Revision: "sha256:rev"}

func TestEvaluationApproved(t *testing.T) {
	e := newEvalEnv(t, domain.LicenseReport{}, cleanPolicy)
	task := "tsk-cnd_1-1"
	e.decideAt(time.Hour, approve(reviewer("usr_r1"), task), nil)
	e.ExecuteWorkflow(EvaluationWorkflow, testInput)

	res := e.result(t)
	require.Equal(t, domain.OutcomeQualified, res.Outcome)
	require.Equal(t, 42.0, res.Score)
	require.Len(t, e.tasks, 1)
	require.Equal(t, domain.TaskComplianceApproval, e.tasks[0].Kind)
	require.Len(t, e.decisions, 1)
	require.True(t, e.decisions[0].ClosesTask)
	require.Equal(t, e.tasks[0].FindingsHash, e.decisions[0].Decision.FindingsHash)
	require.Equal(t, domain.OutcomeQualified, e.outcome.Outcome)
	last := e.stages[len(e.stages)-1]
	require.Equal(t, domain.StageOutcome, last.Stage)
}

func TestEvaluationRejected(t *testing.T) {
	e := newEvalEnv(t, domain.LicenseReport{}, cleanPolicy)
	e.decideAt(time.Hour, reject(reviewer("usr_r1"), "tsk-cnd_1-1"), nil)
	e.ExecuteWorkflow(EvaluationWorkflow, testInput)

	res := e.result(t)
	require.Equal(t, domain.OutcomeDisqualified, res.Outcome)
	require.Equal(t, domain.OutcomeDisqualified, e.outcome.Outcome)
}

func TestEvaluationLicenseTaskThenApproval(t *testing.T) {
	warn := domain.Finding{Rule: "license.needs-review", Severity: domain.SeverityWarn, Message: "LicenseRef-Llama-3.1 needs review"}
	e := newEvalEnv(t, domain.LicenseReport{Findings: []domain.Finding{warn}, NeedsResolution: true}, cleanPolicy)
	e.decideAt(time.Hour, approve(reviewer("usr_r1"), "tsk-cnd_1-1"), nil)
	e.decideAt(2*time.Hour, approve(reviewer("usr_r1"), "tsk-cnd_1-2"), nil)
	e.ExecuteWorkflow(EvaluationWorkflow, testInput)

	res := e.result(t)
	require.Equal(t, domain.OutcomeQualified, res.Outcome)
	require.Len(t, e.tasks, 2)
	require.Equal(t, domain.TaskLicenseResolution, e.tasks[0].Kind)
	require.Equal(t, []domain.Finding{warn}, e.tasks[0].Findings)
}

func TestEvaluationLicenseRejected(t *testing.T) {
	warn := domain.Finding{Rule: "license.needs-review", Severity: domain.SeverityWarn, Message: "unknown license"}
	e := newEvalEnv(t, domain.LicenseReport{Findings: []domain.Finding{warn}, NeedsResolution: true}, cleanPolicy)
	e.decideAt(time.Hour, reject(reviewer("usr_r1"), "tsk-cnd_1-1"), nil)
	e.ExecuteWorkflow(EvaluationWorkflow, testInput)

	res := e.result(t)
	require.Equal(t, domain.OutcomeDisqualified, res.Outcome)
	require.Len(t, e.tasks, 1, "no approval task after a rejected license")
	var skipped []domain.Stage
	for _, s := range e.stages {
		if s.Status == domain.StageSkipped {
			skipped = append(skipped, s.Stage)
		}
	}
	require.Equal(t, []domain.Stage{domain.StagePolicy, domain.StageClarification, domain.StageApproval}, skipped)
}

func TestEvaluationPolicyDenyDisqualifiesWithoutTask(t *testing.T) {
	deny := domain.Finding{Rule: "safety.missing-evidence", Severity: domain.SeverityDeny, Message: "no red-team report"}
	e := newEvalEnv(t, domain.LicenseReport{}, domain.PolicyDecision{Deny: []domain.Finding{deny}, ApprovalsRequired: 1})
	e.ExecuteWorkflow(EvaluationWorkflow, testInput)

	res := e.result(t)
	require.Equal(t, domain.OutcomeDisqualified, res.Outcome)
	require.Equal(t, []domain.Finding{deny}, res.Reasons)
	require.Empty(t, e.tasks)
}

func TestEvaluationHighImpactNeedsTwoDistinctReviewers(t *testing.T) {
	e := newEvalEnv(t, domain.LicenseReport{}, domain.PolicyDecision{ApprovalsRequired: 2, Score: 10})
	task := "tsk-cnd_1-1"
	var dupErr error
	e.decideAt(time.Hour, approve(reviewer("usr_r1"), task), nil)
	e.decideAt(2*time.Hour, approve(reviewer("usr_r1"), task), &dupErr)
	e.decideAt(3*time.Hour, approve(reviewer("usr_r2"), task), nil)
	e.ExecuteWorkflow(EvaluationWorkflow, testInput)

	res := e.result(t)
	require.Equal(t, domain.OutcomeQualified, res.Outcome)
	require.ErrorContains(t, dupErr, "already decided")
	require.Len(t, e.decisions, 2)
	require.False(t, e.decisions[0].ClosesTask)
	require.True(t, e.decisions[1].ClosesTask)
}

func TestDecideValidatorRejections(t *testing.T) {
	task := "tsk-cnd_1-1"
	officer := approve(reviewer("usr_o"), task)
	officer.ReviewerRole = domain.RoleOfficer
	insider := approve(reviewer("usr_v"), task)
	insider.ReviewerOrgID = vendorOrg
	wrongTask := approve(reviewer("usr_r1"), "tsk-other")
	badReason := approve(reviewer("usr_r1"), task)
	badReason.ReasonCode = "because"
	stale := approve(reviewer("usr_r1"), task)
	stale.FindingsHash = "sha256:old"

	cases := []struct {
		name string
		d    domain.Decision
		kind domain.ErrorKind
		want string
	}{
		{"wrong role", officer, domain.ErrForbidden, "only compliance reviewers"},
		{"bidding organisation", insider, domain.ErrConflictOfInt, "bidding organisation"},
		{"wrong task", wrongTask, domain.ErrConflict, "not open"},
		{"bad reason", badReason, domain.ErrInvalid, "reason code"},
		{"stale findings", stale, domain.ErrStale, "changed since"},
	}
	e := newEvalEnv(t, domain.LicenseReport{}, cleanPolicy)
	errs := make([]error, len(cases))
	for i, c := range cases {
		e.decideAt(time.Duration(i+1)*time.Minute, c.d, &errs[i])
	}
	e.decideAt(time.Hour, approve(reviewer("usr_r1"), task), nil)
	e.ExecuteWorkflow(EvaluationWorkflow, testInput)

	require.Equal(t, domain.OutcomeQualified, e.result(t).Outcome)
	require.Len(t, e.decisions, 1, "rejected updates write nothing")
	for i, c := range cases {
		var appErr *temporal.ApplicationError
		require.True(t, errors.As(errs[i], &appErr), "%s: want an application error, got %v", c.name, errs[i])
		require.Equal(t, string(c.kind), appErr.Type(), c.name)
		require.Contains(t, appErr.Message(), c.want, c.name)
	}
}

// A reviewer asks the vendor; the vendor answers with an amended manifest;
// license and policy run again and a new approval task opens.
func TestEvaluationClarificationAnswered(t *testing.T) {
	e := newEvalEnv(t, domain.LicenseReport{}, cleanPolicy)
	ask := contract.ClarificationRequest{ClarificationID: "clr_1", TaskID: "tsk-cnd_1-1", ReviewerID: "usr_r1",
		ReviewerRole: domain.RoleReviewer, ReviewerOrgID: "org_agency", Question: "What is the scope of the red-team report?"}
	amended := domain.Manifest{SchemaVersion: "1", Name: "Granite", Weights: domain.Weights{License: "Apache-2.0"}}
	var errOther, errEmpty error
	e.updateAt(time.Hour, contract.RequestClarificationUpdate, ask, nil)
	e.updateAt(2*time.Hour, contract.AnswerClarificationUpdate, contract.ClarificationReply{ClarificationID: "clr_1", VendorRole: domain.RoleVendor,
		VendorOrgID: "org_other", Answer: "x"}, &errOther)
	e.updateAt(3*time.Hour, contract.AnswerClarificationUpdate, contract.ClarificationReply{ClarificationID: "clr_1", VendorRole: domain.RoleVendor,
		VendorOrgID: vendorOrg, Answer: " "}, &errEmpty)
	e.updateAt(4*time.Hour, contract.AnswerClarificationUpdate, contract.ClarificationReply{ClarificationID: "clr_1", VendorUserID: "usr_v",
		VendorRole: domain.RoleVendor, VendorOrgID: vendorOrg, Answer: "Scope attached; manifest amended.", Manifest: &amended}, nil)
	e.decideAt(5*time.Hour, approve(reviewer("usr_r1"), "tsk-cnd_1-2"), nil)
	e.ExecuteWorkflow(EvaluationWorkflow, testInput)

	require.Equal(t, domain.OutcomeQualified, e.result(t).Outcome)
	requireRejected(t, errOther, domain.ErrForbidden)
	requireRejected(t, errEmpty, domain.ErrInvalid)
	require.Equal(t, []string{"tsk-cnd_1-1"}, e.superseded)
	require.Len(t, e.clarifications, 1)
	require.False(t, e.clarifications[0].Expired)
	require.Equal(t, &amended, e.clarifications[0].Manifest)
	require.Equal(t, 2, e.licenseRuns, "license review runs again after the answer")
	require.Len(t, e.tasks, 2)
}

// Without an answer by the deadline the evaluation proceeds and says so.
func TestEvaluationClarificationExpires(t *testing.T) {
	e := newEvalEnv(t, domain.LicenseReport{}, cleanPolicy)
	e.updateAt(time.Hour, contract.RequestClarificationUpdate, contract.ClarificationRequest{ClarificationID: "clr_1", TaskID: "tsk-cnd_1-1",
		ReviewerID: "usr_r1", ReviewerRole: domain.RoleReviewer, Question: "Data sources?", AnswerWithin: 48 * time.Hour}, nil)
	e.decideAt(50*time.Hour, approve(reviewer("usr_r1"), "tsk-cnd_1-2"), nil)
	e.ExecuteWorkflow(EvaluationWorkflow, testInput)

	require.Equal(t, domain.OutcomeQualified, e.result(t).Outcome)
	require.Len(t, e.clarifications, 1)
	require.True(t, e.clarifications[0].Expired)
	var clarified *domain.StageUpdate
	for i, s := range e.stages {
		if s.Stage == domain.StageClarification && s.Status == domain.StageFailed {
			clarified = &e.stages[i]
		}
	}
	require.NotNil(t, clarified, "the clarification stage records the missing answer")
	require.Equal(t, "clarification.unanswered", clarified.Findings[0].Rule)
}

// An undecided task escalates after its SLA to every reviewer, then to the officer.
func TestEvaluationEscalatesOverdueTask(t *testing.T) {
	e := newEvalEnv(t, domain.LicenseReport{}, cleanPolicy)
	e.decideAt(8*24*time.Hour, approve(reviewer("usr_r1"), "tsk-cnd_1-1"), nil)
	e.ExecuteWorkflow(EvaluationWorkflow, testInput)

	require.Equal(t, domain.OutcomeQualified, e.result(t).Outcome)
	require.Len(t, e.escalations, 2)
	require.Equal(t, 1, e.escalations[0].Level)
	require.Equal(t, 2, e.escalations[1].Level)
	require.Empty(t, e.escalations[1].Reason, "an overdue task with enough reviewers escalates without a reason")
	require.NotNil(t, e.tasks[0].DueAt)
}

// A reviewer who declared a conflict of interest with the vendor cannot decide.
func TestDeclaredConflictOfInterest(t *testing.T) {
	e := newEvalEnv(t, domain.LicenseReport{}, cleanPolicy)
	conflicted := approve(reviewer("usr_r1"), "tsk-cnd_1-1")
	conflicted.ReviewerConflicts = []string{vendorOrg}
	var rejected error
	e.decideAt(time.Hour, conflicted, &rejected)
	e.decideAt(2*time.Hour, approve(reviewer("usr_r2"), "tsk-cnd_1-1"), nil)
	e.ExecuteWorkflow(EvaluationWorkflow, testInput)

	require.Equal(t, domain.OutcomeQualified, e.result(t).Outcome)
	requireRejected(t, rejected, domain.ErrConflictOfInt)
}
