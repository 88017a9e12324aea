package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/activities"
	"github.com/modeltender/modeltender/activities/license"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/policies"
)

// EvaluationInput names the candidate and the frozen criteria. AsOf is the
// date evidence is judged at (the solicitation deadline).
type EvaluationInput struct {
	Ref      activities.EvaluationRef `json:"ref"`
	Criteria domain.Criteria          `json:"criteria"`
	AsOf     time.Time                `json:"as_of"`
}

// EvaluationResult is the outcome of one candidate.
type EvaluationResult struct {
	Outcome domain.Outcome   `json:"outcome"`
	Score   float64          `json:"score"`
	Reasons []domain.Finding `json:"reasons"`
}

// DecisionResult is what a reviewer gets back from the decide update.
type DecisionResult struct {
	TaskID             string `json:"task_id"`
	Accepted           bool   `json:"accepted"`
	ApprovalsRemaining int    `json:"approvals_remaining"`
	TaskClosed         bool   `json:"task_closed"`
}

// EvaluationState is what the state query returns.
type EvaluationState struct {
	Stage     domain.Stage      `json:"stage"`
	OpenTask  *domain.Task      `json:"open_task,omitempty"`
	Decisions []domain.Decision `json:"decisions"`
	Outcome   domain.Outcome    `json:"outcome,omitempty"`
}

type evaluation struct {
	in        EvaluationInput
	stage     domain.Stage
	task      *domain.Task // the task awaiting decisions, nil when none is open
	decisions []domain.Decision
	taskSeq   int
	outcome   domain.Outcome
}

// EvaluationWorkflow moves one candidate through intake, license review,
// policy check and compliance approval to an outcome, mirroring every stage
// into PostgreSQL.
func EvaluationWorkflow(ctx workflow.Context, in EvaluationInput) (EvaluationResult, error) {
	e := &evaluation{in: in, stage: domain.StageIntake}
	if err := e.setup(ctx); err != nil {
		return EvaluationResult{}, err
	}
	res, err := e.run(withActivityOptions(ctx))
	if err != nil {
		return res, err
	}
	// A decision's activity may still be writing: finish it before completing.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return res, err
	}
	return res, nil
}

func (e *evaluation) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, StateQuery, func() (EvaluationState, error) {
		return EvaluationState{Stage: e.stage, OpenTask: e.task, Decisions: e.decisions, Outcome: e.outcome}, nil
	}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, DecideUpdate, e.decide,
		workflow.UpdateHandlerOptions{Validator: e.validateDecision})
}

func (e *evaluation) run(ctx workflow.Context) (EvaluationResult, error) {
	ref := e.in.Ref
	if err := workflow.ExecuteActivity(ctx, a.StartEvaluation, ref, e.in.Criteria.PolicyRevision, workflow.Now(ctx)).Get(ctx, nil); err != nil {
		return EvaluationResult{}, err
	}

	// 1. intake
	if err := e.record(ctx, domain.StageIntake, domain.StageRunning, nil, nil); err != nil {
		return EvaluationResult{}, err
	}
	var intake activities.IntakeResult
	if err := workflow.ExecuteActivity(ctx, a.Intake, ref).Get(ctx, &intake); err != nil {
		return EvaluationResult{}, err
	}
	if denied(intake.Findings) {
		return e.disqualify(ctx, domain.StageIntake, intake.Findings, 0)
	}
	if err := e.record(ctx, domain.StageIntake, domain.StagePassed, intake.Findings, map[string]any{"manifest_hash": intake.ManifestHash}); err != nil {
		return EvaluationResult{}, err
	}

	// 2. license review
	e.stage = domain.StageLicense
	if err := e.record(ctx, domain.StageLicense, domain.StageRunning, nil, nil); err != nil {
		return EvaluationResult{}, err
	}
	var lic license.Report
	if err := workflow.ExecuteActivity(ctx, a.ReviewLicense, activities.LicenseReviewInput{Manifest: intake.Manifest, Criteria: e.in.Criteria}).Get(ctx, &lic); err != nil {
		return EvaluationResult{}, err
	}
	if denied(lic.Findings) {
		return e.disqualify(ctx, domain.StageLicense, lic.Findings, 0)
	}
	if lic.NeedsResolution {
		approved, err := e.review(ctx, domain.StageLicense, domain.TaskLicenseResolution,
			"Resolve license findings for "+intake.Manifest.Name, needingReview(lic.Findings), 1)
		if err != nil {
			return EvaluationResult{}, err
		}
		if !approved {
			return e.disqualify(ctx, domain.StageLicense, lic.Findings, 0)
		}
	}
	if err := e.record(ctx, domain.StageLicense, domain.StagePassed, lic.Findings, nil); err != nil {
		return EvaluationResult{}, err
	}

	// 3. policy check
	e.stage = domain.StagePolicy
	if err := e.record(ctx, domain.StagePolicy, domain.StageRunning, nil, nil); err != nil {
		return EvaluationResult{}, err
	}
	var dec policies.Decision
	if err := workflow.ExecuteActivity(ctx, a.CheckPolicy, activities.PolicyInput{
		Manifest: intake.Manifest, Criteria: e.in.Criteria, LicenseFindings: lic.Findings, AsOf: e.in.AsOf,
	}).Get(ctx, &dec); err != nil {
		return EvaluationResult{}, err
	}
	policyFindings := slices.Concat(dec.Deny, dec.Warn, dec.Info)
	detail := map[string]any{"policy_revision": dec.Revision, "score": dec.Score, "approvals_required": dec.ApprovalsRequired}
	if len(dec.Deny) > 0 {
		if err := e.record(ctx, domain.StagePolicy, domain.StageFailed, policyFindings, detail); err != nil {
			return EvaluationResult{}, err
		}
		return e.finish(ctx, domain.OutcomeDisqualified, dec.Score, dec.Deny, domain.StageApproval)
	}
	if err := e.record(ctx, domain.StagePolicy, domain.StagePassed, policyFindings, detail); err != nil {
		return EvaluationResult{}, err
	}

	// 4. compliance approval
	e.stage = domain.StageApproval
	approvals := max(dec.ApprovalsRequired, 1)
	shown := slices.Concat(dec.Warn, dec.Info)
	approved, err := e.review(ctx, domain.StageApproval, domain.TaskComplianceApproval,
		"Approve "+intake.Manifest.Name+" for this solicitation", shown, approvals)
	if err != nil {
		return EvaluationResult{}, err
	}
	if !approved {
		return e.disqualify(ctx, domain.StageApproval, shown, dec.Score)
	}
	if err := e.record(ctx, domain.StageApproval, domain.StagePassed, shown, map[string]any{"decisions": e.decisions}); err != nil {
		return EvaluationResult{}, err
	}
	return e.finish(ctx, domain.OutcomeQualified, dec.Score, nil)
}

// review opens a task and waits until it is approved by `approvals` distinct
// reviewers or rejected by one.
func (e *evaluation) review(ctx workflow.Context, stage domain.Stage, kind domain.TaskKind, title string, findings []domain.Finding, approvals int) (bool, error) {
	e.taskSeq++
	now := workflow.Now(ctx)
	task := domain.Task{
		ID:             fmt.Sprintf("tsk-%s-%d", e.in.Ref.CandidateID, e.taskSeq),
		Kind:           kind,
		Status:         domain.TaskOpen,
		SolicitationID: e.in.Ref.SolicitationID,
		BidID:          e.in.Ref.BidID,
		CandidateID:    e.in.Ref.CandidateID,
		VendorOrgID:    e.in.Ref.VendorOrgID,
		WorkflowID:     e.in.Ref.WorkflowID,
		Title:          title,
		Findings:       findings,
		FindingsHash:   domain.HashFindings(findings),
		Approvals:      approvals,
		CreatedAt:      now,
	}
	// The task is open in the workflow before reviewers can see it in the
	// inbox, so a decision never meets a workflow that does not know it yet.
	e.decisions = nil
	e.task = &task
	if err := e.record(ctx, stage, domain.StageWaiting, findings, map[string]any{"task_id": task.ID, "approvals_required": approvals}); err != nil {
		return false, err
	}
	if err := workflow.ExecuteActivity(ctx, a.OpenTask, task).Get(ctx, nil); err != nil {
		return false, err
	}
	if err := workflow.Await(ctx, func() bool { return e.rejected() || e.approvals() >= approvals }); err != nil {
		return false, err
	}
	e.task = nil
	return !e.rejected(), nil
}

func (e *evaluation) validateDecision(ctx workflow.Context, d domain.Decision) error {
	if d.ReviewerRole != domain.RoleReviewer {
		return rejection(domain.ErrForbidden, "only compliance reviewers decide tasks; you are signed in as %s", d.ReviewerRole)
	}
	if e.task == nil || e.task.ID != d.TaskID {
		return rejection(domain.ErrConflict, "task %s is not open for decisions: it was already decided or superseded", d.TaskID)
	}
	if d.ReviewerOrgID != "" && d.ReviewerOrgID == e.in.Ref.VendorOrgID {
		return rejection(domain.ErrConflictOfInt, "you belong to the bidding organisation and cannot decide on its bid")
	}
	for _, prev := range e.decisions {
		if prev.ReviewerID == d.ReviewerID {
			return rejection(domain.ErrConflict, "you already decided task %s (%s); a second approval must come from another reviewer", d.TaskID, prev.Verdict)
		}
	}
	if d.Verdict != domain.VerdictApprove && d.Verdict != domain.VerdictReject {
		return rejection(domain.ErrInvalid, "verdict %q is not known: use approve or reject", d.Verdict)
	}
	if !domain.ValidReason(d.Verdict, d.ReasonCode) {
		return rejection(domain.ErrInvalid, "reason code %q does not fit verdict %s: use one of %v", d.ReasonCode, d.Verdict, domain.ReasonCodes[d.Verdict])
	}
	if d.FindingsHash != "" && d.FindingsHash != e.task.FindingsHash {
		return rejection(domain.ErrStale, "the findings of task %s changed since you looked (%s, now %s): reload the task and decide again", d.TaskID, d.FindingsHash, e.task.FindingsHash)
	}
	return nil
}

func (e *evaluation) decide(ctx workflow.Context, d domain.Decision) (DecisionResult, error) {
	// Validation ran against the state of its own turn; re-check against now.
	if err := e.validateDecision(ctx, d); err != nil {
		return DecisionResult{}, err
	}
	task := *e.task
	d.FindingsHash = task.FindingsHash
	d.DecidedAt = workflow.Now(ctx)
	e.decisions = append(e.decisions, d)
	closes := e.rejected() || e.approvals() >= task.Approvals
	if err := workflow.ExecuteActivity(withActivityOptions(ctx), a.RecordDecision, activities.DecisionRecord{
		SolicitationID: e.in.Ref.SolicitationID, Decision: d, ClosesTask: closes,
	}).Get(ctx, nil); err != nil {
		return DecisionResult{}, err
	}
	return DecisionResult{TaskID: task.ID, Accepted: true, ApprovalsRemaining: max(task.Approvals-e.approvals(), 0), TaskClosed: closes}, nil
}

func (e *evaluation) approvals() int {
	n := 0
	for _, d := range e.decisions {
		if d.Verdict == domain.VerdictApprove {
			n++
		}
	}
	return n
}

func (e *evaluation) rejected() bool {
	for _, d := range e.decisions {
		if d.Verdict == domain.VerdictReject {
			return true
		}
	}
	return false
}

// disqualify fails the given stage and finishes the evaluation.
func (e *evaluation) disqualify(ctx workflow.Context, stage domain.Stage, findings []domain.Finding, score float64) (EvaluationResult, error) {
	detail := map[string]any{}
	if len(e.decisions) > 0 {
		detail["decisions"] = e.decisions
	}
	if err := e.record(ctx, stage, domain.StageFailed, findings, detail); err != nil {
		return EvaluationResult{}, err
	}
	reasons := denials(findings)
	if len(reasons) == 0 {
		reasons = findings // a reviewer rejected warn findings
	}
	var skipped []domain.Stage
	for i, st := range domain.Stages {
		if st == stage {
			skipped = domain.Stages[i+1 : len(domain.Stages)-1]
		}
	}
	return e.finish(ctx, domain.OutcomeDisqualified, score, reasons, skipped...)
}

// finish marks skipped stages, records the outcome stage and the evaluation.
func (e *evaluation) finish(ctx workflow.Context, outcome domain.Outcome, score float64, reasons []domain.Finding, skipped ...domain.Stage) (EvaluationResult, error) {
	for _, st := range skipped {
		if err := e.record(ctx, st, domain.StageSkipped, nil, nil); err != nil {
			return EvaluationResult{}, err
		}
	}
	e.stage = domain.StageOutcome
	e.outcome = outcome
	now := workflow.Now(ctx)
	if err := e.record(ctx, domain.StageOutcome, domain.StageCompleted, reasons, map[string]any{"outcome": outcome, "score": score}); err != nil {
		return EvaluationResult{}, err
	}
	if err := workflow.ExecuteActivity(ctx, a.CompleteEvaluation, e.in.Ref, activities.Outcome{
		Outcome: outcome, Score: score, Reasons: reasons, Revision: e.in.Criteria.PolicyRevision, At: now,
	}).Get(ctx, nil); err != nil {
		return EvaluationResult{}, err
	}
	return EvaluationResult{Outcome: outcome, Score: score, Reasons: reasons}, nil
}

func (e *evaluation) record(ctx workflow.Context, stage domain.Stage, status domain.StageStatus, findings []domain.Finding, detail map[string]any) error {
	return workflow.ExecuteActivity(ctx, a.RecordStage, e.in.Ref, store.StageUpdate{
		Stage: stage, Status: status, Findings: findings, Detail: detail, At: workflow.Now(ctx),
	}).Get(ctx, nil)
}

func denied(f []domain.Finding) bool { return len(denials(f)) > 0 }

func denials(f []domain.Finding) []domain.Finding {
	var out []domain.Finding
	for _, x := range f {
		if x.Severity == domain.SeverityDeny {
			out = append(out, x)
		}
	}
	return out
}

// needingReview are the findings a license resolution task is about.
func needingReview(f []domain.Finding) []domain.Finding {
	var out []domain.Finding
	for _, x := range f {
		if x.Severity == domain.SeverityWarn {
			out = append(out, x)
		}
	}
	return out
}
