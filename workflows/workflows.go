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

	"github.com/modeltender/modeltender/activities"
	"github.com/modeltender/modeltender/internal/domain"
)

// Names by which clients address workflows, updates and queries.
const (
	SubmitBidUpdate = "submit-bid"
	DecideUpdate    = "decide"
	StateQuery      = "state"
)

// SolicitationWorkflowID is the workflow id of a solicitation.
func SolicitationWorkflowID(solicitationID string) string { return "solicitation/" + solicitationID }

// EvaluationWorkflowID is the workflow id of one candidate's evaluation.
func EvaluationWorkflowID(bidID, candidateID string) string {
	return "evaluation/" + bidID + "/" + candidateID
}

// Register adds every workflow to w.
func Register(w worker.Worker) {
	w.RegisterWorkflow(SolicitationWorkflow)
	w.RegisterWorkflow(EvaluationWorkflow)
	w.RegisterWorkflow(MonitoringWorkflow)
}

// a is the nil receiver through which workflows name activity methods; the
// worker registers the real *activities.Activities under the same names.
var a *activities.Activities

// withActivityOptions gives activities a bounded timeout and retries: store
// writes are idempotent, so retrying them is safe.
func withActivityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
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
	r.RegisterWorkflow(SolicitationWorkflow)
	r.RegisterWorkflow(EvaluationWorkflow)
	r.RegisterWorkflow(MonitoringWorkflow)
}
