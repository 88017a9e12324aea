// Package workflows holds modeltender's long-running processes:
// SolicitationWorkflow (one per published solicitation: deadline, sealed
// bids, closing) and EvaluationWorkflow (one per candidate model: intake,
// license review, policy check, human approval, outcome). Human decisions
// arrive as Updates whose validators reject wrong roles, wrong states and
// duplicates before anything reaches history.
package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// Register adds every workflow to w, each under its type name in the contract.
func Register(w worker.Worker) {
	for name, fn := range byName() {
		w.RegisterWorkflowWithOptions(fn, workflow.RegisterOptions{Name: name})
	}
}

func byName() map[string]any {
	return map[string]any{
		contract.SolicitationWorkflow: SolicitationWorkflow,
		contract.EvaluationWorkflow:   EvaluationWorkflow,
		contract.MonitoringWorkflow:   MonitoringWorkflow,
	}
}

// withActivityOptions gives activities a bounded timeout and retries: store
// writes are idempotent, so retrying them is safe. The start-to-close timeout
// is also how long a procurement waits for an activity whose worker died
// mid-run: activities take milliseconds (bench/README.md), so 10s leaves a
// wide margin on a loaded machine and a crash costs seconds, not half a minute.
func withActivityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// rejection is the error an update validator returns; its type is the
// domain.ErrorKind so the API can map it to the right HTTP status.
func rejection(kind domain.ErrorKind, format string, args ...any) error {
	return temporal.NewApplicationErrorWithOptions(fmt.Sprintf(format, args...), string(kind),
		temporal.ApplicationErrorOptions{NonRetryable: true})
}

// RegisterReplay adds every workflow to a replayer, for replay tests.
func RegisterReplay(r worker.WorkflowReplayer) {
	for name, fn := range byName() {
		r.RegisterWorkflowWithOptions(fn, workflow.RegisterOptions{Name: name})
	}
}
