package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/activities"
	"github.com/modeltender/modeltender/internal/domain"
)

var start = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func solicitationInput() SolicitationInput {
	return SolicitationInput{
		SolicitationID: "sol_1",
		Criteria:       domain.Criteria{SolicitationID: "sol_1", RiskTier: domain.RiskStandard, PolicyRevision: "sha256:rev"},
		Deadline:       start.Add(24 * time.Hour),
	}
}

type solicitationEnv struct {
	*testsuite.TestWorkflowEnvironment
	statuses []domain.SolicitationStatus
	recorded []domain.Bid
	children []EvaluationInput
}

// newSolicitationEnv mocks every activity, and each child evaluation to
// finish qualified after evaluationTime.
func newSolicitationEnv(evaluationTime time.Duration) *solicitationEnv {
	s := quietSuite()
	e := &solicitationEnv{TestWorkflowEnvironment: s.NewTestWorkflowEnvironment()}
	e.SetStartTime(start)
	e.RegisterWorkflow(SolicitationWorkflow)
	e.RegisterWorkflow(EvaluationWorkflow)
	e.RegisterActivity(&activities.Activities{})
	e.OnActivity(a.SetSolicitationStatus, mock.Anything, mock.Anything).Return(func(_ context.Context, c activities.StatusChange) error {
		e.statuses = append(e.statuses, c.Status)
		return nil
	})
	e.OnActivity(a.RecordBid, mock.Anything, mock.Anything).Return(func(_ context.Context, b domain.Bid) error {
		e.recorded = append(e.recorded, b)
		return nil
	})
	e.OnWorkflow(EvaluationWorkflow, mock.Anything, mock.Anything).After(evaluationTime).Return(func(_ workflow.Context, in EvaluationInput) (EvaluationResult, error) {
		e.children = append(e.children, in)
		return EvaluationResult{Outcome: domain.OutcomeQualified}, nil
	})
	return e
}

func bid(id string, candidates ...string) SubmitBidRequest {
	b := domain.Bid{ID: id, SolicitationID: "sol_1", VendorOrgID: "org_" + id, SubmittedAt: start}
	for _, c := range candidates {
		b.Candidates = append(b.Candidates, domain.Candidate{ID: c, BidID: id, Name: c})
	}
	return SubmitBidRequest{Bid: b, SubmitterRole: domain.RoleVendor}
}

func (e *solicitationEnv) submitAt(delay time.Duration, req SubmitBidRequest, rejected *error) {
	e.RegisterDelayedCallback(func() {
		e.UpdateWorkflow(SubmitBidUpdate, req.Bid.ID+delay.String(), &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { *rejected = err },
			OnComplete: func(_ any, err error) {
				if err != nil {
					*rejected = err
				}
			},
		}, req)
	}, delay)
}

func TestSolicitationEvaluatesEveryCandidateAfterDeadline(t *testing.T) {
	e := newSolicitationEnv(time.Minute)
	var err1, err2 error
	e.submitAt(time.Hour, bid("bid_a", "cnd_1", "cnd_2"), &err1)
	e.submitAt(2*time.Hour, bid("bid_b", "cnd_3"), &err2)
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput())

	require.True(t, e.IsWorkflowCompleted())
	require.NoError(t, e.GetWorkflowError())
	require.NoError(t, err1)
	require.NoError(t, err2)
	require.Len(t, e.recorded, 2)
	require.Len(t, e.children, 3)
	byID := map[string]EvaluationInput{}
	for _, c := range e.children {
		byID[c.Ref.WorkflowID] = c
	}
	first, ok := byID[EvaluationWorkflowID("bid_a", "cnd_1")]
	require.True(t, ok, "candidate cnd_1 evaluated: %v", byID)
	require.Equal(t, "org_bid_a", first.Ref.VendorOrgID)
	require.Equal(t, solicitationInput().Deadline, first.AsOf, "evidence is judged at the deadline")
	require.Equal(t, []domain.SolicitationStatus{domain.SolicitationClosed, domain.SolicitationEvaluating, domain.SolicitationEvaluated}, e.statuses)
	var st SolicitationState
	require.NoError(t, e.GetWorkflowResult(&st))
	require.Len(t, st.Evaluations, 3)
}

func TestSolicitationWithoutBidsClosesEmpty(t *testing.T) {
	e := newSolicitationEnv(time.Minute)
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput())
	require.True(t, e.IsWorkflowCompleted())
	require.NoError(t, e.GetWorkflowError())
	require.Empty(t, e.children)
	require.Equal(t, []domain.SolicitationStatus{domain.SolicitationClosed, domain.SolicitationEvaluated}, e.statuses)
}

func TestSubmitBidValidatorRejections(t *testing.T) {
	e := newSolicitationEnv(time.Minute)
	officer := bid("bid_o", "cnd_9")
	officer.SubmitterRole = domain.RoleOfficer
	var late, wrongRole, empty, dup, first error
	e.submitAt(time.Hour, officer, &wrongRole)
	e.submitAt(2*time.Hour, bid("bid_e"), &empty)
	e.submitAt(3*time.Hour, bid("bid_a", "cnd_1"), &first)
	e.submitAt(4*time.Hour, bid("bid_a", "cnd_1"), &dup)
	e.submitAt(25*time.Hour, bid("bid_late", "cnd_2"), &late)
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput())

	require.True(t, e.IsWorkflowCompleted())
	require.NoError(t, first)
	requireRejected(t, wrongRole, domain.ErrForbidden)
	requireRejected(t, empty, domain.ErrInvalid)
	requireRejected(t, dup, domain.ErrConflict)
	require.Len(t, e.recorded, 1, "only the valid bid is recorded")
	require.Len(t, e.children, 1)
	_ = late // the workflow has completed by then; the API answers for a closed solicitation
}

func TestSubmitBidAfterDeadlineWhileEvaluating(t *testing.T) {
	// The evaluation takes two days, so the workflow still runs after the deadline.
	e := newSolicitationEnv(48 * time.Hour)
	var first, late error
	e.submitAt(time.Hour, bid("bid_a", "cnd_1"), &first)
	e.submitAt(25*time.Hour, bid("bid_late", "cnd_2"), &late)
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput())

	require.NoError(t, first)
	requireRejected(t, late, domain.ErrDeadlinePassed)
	require.Len(t, e.recorded, 1)
}

func requireRejected(t *testing.T, err error, kind domain.ErrorKind) {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want a rejection of kind %s, got %v", kind, err)
	require.Equal(t, string(kind), appErr.Type())
}
