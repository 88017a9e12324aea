package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// A vendor's change notice wakes the monitoring at once: the candidate is
// re-checked under the frozen criteria and, even with the outcome
// unchanged, reviewers are asked to re-attest the changed model.
func TestMonitoringChangeNoticeRechecksAtOnce(t *testing.T) {
	var tasks []domain.Task
	e := monitoringEnv(contract.RecheckResult{Outcome: domain.OutcomeQualified, Revision: monitored.Criteria.PolicyRevision}, &tasks)
	notice := contract.ChangeNotice{ID: "ntc_1", AwardID: "awd_1", Version: "2.0", Description: "re-quantised weights"}
	e.RegisterDelayedCallback(func() { e.SignalWorkflow(contract.ChangeNoticeSignal, notice) }, 24*time.Hour)
	e.RegisterDelayedCallback(func() {
		e.UpdateWorkflow(contract.DecideUpdate, "decide", &testsuite.TestUpdateCallback{OnAccept: func() {}, OnReject: func(err error) {
			t.Errorf("decision rejected: %v", err)
		}, OnComplete: func(any, error) {}}, approve(reviewer("usr_r1"), "tsk-cnd_1-m-1"))
	}, 25*time.Hour)
	e.ExecuteWorkflow(MonitoringWorkflow, monitored)

	require.True(t, workflow.IsContinueAsNewError(e.GetWorkflowError()), "got %v", e.GetWorkflowError())
	require.Len(t, tasks, 1)
	require.Contains(t, tasks[0].Title, "ntc_1")
	require.True(t, e.Now().Before(start.Add(defaultMonitoringInterval)), "re-checked only at %s", e.Now())
}
