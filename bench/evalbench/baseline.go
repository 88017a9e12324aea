package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// Names under which the baseline is registered next to modeltender's own
// workflows and activities on the same worker.
const (
	baselineWorkflowName = "evalbench.Baseline"
	noopActivityName     = "evalbench.Noop"
)

// activityShape is how many activities an evaluation runs, counted from the
// history of a real one: Before the approval task parks it, one inside the
// decide update's handler (RecordDecision), and After the decision.
type activityShape struct {
	Before int `json:"before"`
	After  int `json:"after"`
}

// baselineStep is the argument of each no-op activity; Park marks the last
// one before the workflow waits, like OpenTask puts a task in the inbox.
type baselineStep struct {
	WorkflowID string `json:"workflow_id"`
	Park       bool   `json:"park,omitempty"`
}

// baselineWorkflow does what an evaluation does with Temporal and nothing
// else: as many activities, with the same options, and one decide Update
// whose handler runs an activity, then AllHandlersFinished.
func baselineWorkflow(ctx workflow.Context, shape activityShape) error {
	ctx = withNoopOptions(ctx)
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	decided := false
	err := workflow.SetUpdateHandlerWithOptions(ctx, contract.DecideUpdate,
		func(ctx workflow.Context, d domain.Decision) (contract.DecisionResult, error) {
			decided = true
			err := workflow.ExecuteActivity(withNoopOptions(ctx), noopActivityName, baselineStep{WorkflowID: id}).Get(ctx, nil)
			return contract.DecisionResult{TaskID: d.TaskID, Accepted: true, TaskClosed: true}, err
		},
		workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, d domain.Decision) error {
			if d.ReviewerRole != domain.RoleReviewer || decided {
				return errors.New("rejected")
			}
			return nil
		}})
	if err != nil {
		return err
	}
	for i := range shape.Before {
		if err := workflow.ExecuteActivity(ctx, noopActivityName, baselineStep{WorkflowID: id, Park: i == shape.Before-1}).Get(ctx, nil); err != nil {
			return err
		}
	}
	if err := workflow.Await(ctx, func() bool { return decided }); err != nil {
		return err
	}
	for range shape.After {
		if err := workflow.ExecuteActivity(ctx, noopActivityName, baselineStep{WorkflowID: id}).Get(ctx, nil); err != nil {
			return err
		}
	}
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// withNoopOptions are the activity options modeltender's workflows use.
func withNoopOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
}

// noopActivities does nothing but tell the deciding client which baseline
// workflows are waiting, as the store's open tasks do for evaluations.
type noopActivities struct{ parked *parkedSet }

func (n *noopActivities) noop(_ context.Context, step baselineStep) error {
	if step.Park {
		n.parked.add(step.WorkflowID)
	}
	return nil
}

func registerBaseline(w worker.Worker, parked *parkedSet) {
	w.RegisterWorkflowWithOptions(baselineWorkflow, workflow.RegisterOptions{Name: baselineWorkflowName})
	n := &noopActivities{parked: parked}
	w.RegisterActivityWithOptions(n.noop, activity.RegisterOptions{Name: noopActivityName})
}

// parkedSet collects the ids of baseline workflows that wait for a decision.
type parkedSet struct {
	mu  sync.Mutex
	ids []string
}

func newParkedSet() *parkedSet { return &parkedSet{} }

func (p *parkedSet) add(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ids = append(p.ids, id)
}

// take returns the ids added since the last call.
func (p *parkedSet) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := p.ids
	p.ids = nil
	return ids
}
