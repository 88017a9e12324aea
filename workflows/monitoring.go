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
	notices := workflow.GetSignalChannel(ctx, contract.ChangeNoticeSignal)
	notice := in.Notice
	if notice == nil {
		var err error
		if notice, err = waitForRecheck(ctx, next, notices); err != nil {
			return err
		}
	}
	var res contract.RecheckResult
	if err := workflow.ExecuteActivity(actx, contract.Recheck, in.Ref, in.Criteria, workflow.Now(ctx)).Get(ctx, &res); err != nil {
		return err
	}
	if res.Outcome != in.Baseline || notice != nil {
		now := workflow.Now(ctx)
		due := now.Add(in.TaskSLA)
		title := "Re-attest the awarded model: the re-check under policy " + res.Revision + " gives " + string(res.Outcome)
		switch {
		case notice != nil && notice.Kind == contract.NoticeOutputReport:
			title = "Review a reported output of the awarded model (" + notice.ID + "): " + notice.Description +
				"; the re-check under policy " + res.Revision + " gives " + string(res.Outcome)
		case notice != nil:
			title = "Re-attest the awarded model: its vendor notified a change (" + notice.ID + "); the re-check under policy " +
				res.Revision + " gives " + string(res.Outcome)
		}
		task := domain.Task{
			ID: gate.nextID(in.Ref.CandidateID + "-m"), Kind: domain.TaskComplianceApproval, Status: domain.TaskOpen,
			SolicitationID: in.Ref.SolicitationID, BidID: in.Ref.BidID, CandidateID: in.Ref.CandidateID,
			VendorOrgID: in.Ref.VendorOrgID, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
			Title:    title,
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
	// A notice that came in during this cycle's re-check or review is not
	// lost: the next cycle re-checks at once.
	in.Notice = nil
	var late contract.ChangeNotice
	for notices.ReceiveAsync(&late) {
		in.Notice = &late
	}
	return workflow.NewContinueAsNewError(ctx, MonitoringWorkflow, in)
}

// waitForRecheck sleeps until next, or until a vendor's change notice
// arrives, which it returns. The timer is the one Sleep started before
// notices existed, so earlier histories replay unchanged.
func waitForRecheck(ctx workflow.Context, next time.Time, notices workflow.ReceiveChannel) (*contract.ChangeNotice, error) {
	tctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	var notice *contract.ChangeNotice
	var slept error
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(workflow.NewTimer(tctx, next.Sub(workflow.Now(ctx))), func(f workflow.Future) { slept = f.Get(ctx, nil) })
	sel.AddReceive(notices, func(ch workflow.ReceiveChannel, _ bool) {
		var n contract.ChangeNotice
		ch.Receive(ctx, &n)
		notice = &n
	})
	sel.Select(ctx)
	return notice, slept
}
