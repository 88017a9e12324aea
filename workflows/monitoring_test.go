package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/activities"
	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

func monitoringEnv(recheck contract.RecheckResult, tasks *[]domain.Task) *testsuite.TestWorkflowEnvironment {
	e := quietSuite().NewTestWorkflowEnvironment()
	e.SetStartTime(start)
	e.RegisterWorkflow(MonitoringWorkflow)
	e.RegisterActivity(&activities.Activities{})
	e.OnActivity(contract.NextRecheck, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ contract.EvaluationRef, now time.Time, interval time.Duration) (time.Time, error) {
			return now.Add(interval), nil
		})
	e.OnActivity(contract.Recheck, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(recheck, nil)
	e.OnActivity(contract.OpenTask, mock.Anything, mock.Anything).Return(func(_ context.Context, t domain.Task) error {
		*tasks = append(*tasks, t)
		return nil
	})
	e.OnActivity(contract.RecordDecision, mock.Anything, mock.Anything).Return(nil)
	e.OnActivity(contract.EligibleReviewers, mock.Anything, mock.Anything).Return([]string{"usr_r1"}, nil)
	return e
}

var monitored = contract.MonitoringInput{Ref: testInput.Ref, Criteria: testInput.Criteria, Baseline: domain.OutcomeQualified}

// An unchanged outcome: no task, the next cycle continues as new.
func TestMonitoringUnchangedContinuesAsNew(t *testing.T) {
	var tasks []domain.Task
	e := monitoringEnv(contract.RecheckResult{Outcome: domain.OutcomeQualified, Revision: "sha256:new"}, &tasks)
	e.ExecuteWorkflow(MonitoringWorkflow, monitored)

	require.True(t, e.IsWorkflowCompleted())
	require.True(t, workflow.IsContinueAsNewError(e.GetWorkflowError()), "got %v", e.GetWorkflowError())
	require.Empty(t, tasks)
	require.True(t, start.Add(defaultMonitoringInterval).Equal(e.Now()), "re-checked at %s", e.Now())
}

// A changed outcome (the license knowledge base now denies it) opens a
// re-attestation task; once a reviewer accepts it, it is the new baseline.
func TestMonitoringChangeOpensReattestation(t *testing.T) {
	var tasks []domain.Task
	deny := domain.Finding{Rule: "license.commercial-use", Severity: domain.SeverityDeny, Message: "commercial use now forbidden"}
	e := monitoringEnv(contract.RecheckResult{Outcome: domain.OutcomeDisqualified, Findings: []domain.Finding{deny}, Revision: "sha256:new"}, &tasks)
	e.RegisterDelayedCallback(func() {
		e.UpdateWorkflow(contract.DecideUpdate, "decide", &testsuite.TestUpdateCallback{OnAccept: func() {}, OnReject: func(err error) {
			t.Errorf("decision rejected: %v", err)
		}, OnComplete: func(any, error) {}}, approve(reviewer("usr_r1"), "tsk-cnd_1-m-1"))
	}, defaultMonitoringInterval+time.Hour)
	e.ExecuteWorkflow(MonitoringWorkflow, monitored)

	require.True(t, workflow.IsContinueAsNewError(e.GetWorkflowError()), "got %v", e.GetWorkflowError())
	require.Len(t, tasks, 1)
	require.Equal(t, []domain.Finding{deny}, tasks[0].Findings)
	require.Contains(t, tasks[0].Title, "Re-attest")
}
