package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// defaultMonitoringInterval is how often an awarded model is re-checked
// against the current license knowledge base and policy revision.
const defaultMonitoringInterval = 30 * 24 * time.Hour

// MonitoringWorkflow re-checks an awarded model periodically, and before its
// evidence expires, with the current license knowledge base and policy
// revision; when the outcome changed it asks reviewers to re-attest it.
func MonitoringWorkflow(ctx workflow.Context, in contract.MonitoringInput) error {
	if in.Interval == 0 {
		in.Interval = defaultMonitoringInterval
	}
	if in.TaskSLA == 0 {
		in.TaskSLA = defaultTaskSLA
	}
	gate := reviewGate{solicitationID: in.Ref.SolicitationID, agencyOrgID: in.AgencyOrgID, seq: in.Cycle * 10}
	if err := gate.register(ctx); err != nil {
		return err
	}
	actx := withActivityOptions(ctx)
	var next time.Time
	if err := workflow.ExecuteActivity(actx, contract.NextRecheck, in.Ref, workflow.Now(ctx), in.Interval).Get(ctx, &next); err != nil {
		return err
	}
	if err := workflow.Sleep(ctx, next.Sub(workflow.Now(ctx))); err != nil {
		return err
	}
	var res contract.RecheckResult
	if err := workflow.ExecuteActivity(actx, contract.Recheck, in.Ref, in.Criteria, workflow.Now(ctx)).Get(ctx, &res); err != nil {
		return err
	}
	if res.Outcome != in.Baseline {
		now := workflow.Now(ctx)
		due := now.Add(in.TaskSLA)
		task := domain.Task{
			ID: gate.nextID(in.Ref.CandidateID + "-m"), Kind: domain.TaskComplianceApproval, Status: domain.TaskOpen,
			SolicitationID: in.Ref.SolicitationID, BidID: in.Ref.BidID, CandidateID: in.Ref.CandidateID,
			VendorOrgID: in.Ref.VendorOrgID, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
			Title:    "Re-attest the awarded model: the re-check under policy " + res.Revision + " gives " + string(res.Outcome),
			Findings: res.Findings, FindingsHash: domain.HashFindings(res.Findings), Approvals: 1, CreatedAt: now, DueAt: &due,
		}
		gate.open(task)
		if err := workflow.ExecuteActivity(actx, contract.OpenTask, task).Get(ctx, nil); err != nil {
			return err
		}
		outcome, err := gate.wait(ctx, in.TaskSLA)
		if err != nil {
			return err
		}
		if outcome == gateApproved {
			in.Baseline = res.Outcome // reviewers accept the new state as the baseline
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	in.Cycle++
	return workflow.NewContinueAsNewError(ctx, MonitoringWorkflow, in)
}
