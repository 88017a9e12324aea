package workflows

import (
	"errors"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// singleCheckVersion marks the change that runs intake, license review and
// the policy decision as one candidate check in one activity.
const singleCheckVersion = "single-candidate-check"

// answerRecordedVersion marks the change that made the answer update wait
// until the answer is stored.
const answerRecordedVersion = "answer-clarification-waits-for-record"

// defaultClarificationWindow is how long a vendor has to answer a reviewer.
const defaultClarificationWindow = 5 * 24 * time.Hour

type evaluation struct {
	in       contract.EvaluationInput
	settled  map[domain.Stage]bool // stages with a final status
	stage    domain.Stage
	gate     reviewGate
	question *domain.Clarification // the clarification waiting for the vendor
	reply    *contract.ClarificationReply
	closed   string // the last clarification whose answer (or expiry) is recorded
	outcome  domain.Outcome
	// search is set when this run sets search attributes (search.go);
	// indexedStage is the stage they show.
	search       bool
	indexedStage domain.Stage
}

// EvaluationWorkflow moves one candidate through intake, license review,
// policy check and compliance approval to an outcome, mirroring every stage
// into PostgreSQL. A reviewer may ask the vendor a question on an open task;
// the answer (or its absence by the deadline) re-runs license and policy.
func EvaluationWorkflow(ctx workflow.Context, in contract.EvaluationInput) (contract.EvaluationResult, error) {
	if in.TaskSLA == 0 {
		in.TaskSLA = defaultTaskSLA
	}
	e := &evaluation{in: in, stage: domain.StageIntake, gate: reviewGate{solicitationID: in.Ref.SolicitationID, agencyOrgID: in.AgencyOrgID},
		settled: map[domain.Stage]bool{}}
	if err := e.setup(ctx); err != nil {
		return contract.EvaluationResult{}, err
	}
	res, err := e.run(withActivityOptions(ctx))
	if temporal.IsCanceledError(err) {
		return res, e.cancelled(ctx, err)
	}
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
	if err := workflow.SetQueryHandler(ctx, contract.StateQuery, func() (contract.EvaluationState, error) {
		return contract.EvaluationState{Stage: e.stage, OpenTask: e.gate.task, Decisions: e.gate.decisions, Clarification: e.question, Outcome: e.outcome}, nil
	}); err != nil {
		return err
	}
	if err := e.gate.register(ctx); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, contract.RequestClarificationUpdate, e.requestClarification,
		workflow.UpdateHandlerOptions{Validator: e.validateClarification}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, contract.AnswerClarificationUpdate, e.answerClarification,
		workflow.UpdateHandlerOptions{Validator: e.validateReply})
}

func (e *evaluation) run(ctx workflow.Context) (contract.EvaluationResult, error) {
	ref := e.in.Ref
	if err := e.indexEvaluation(ctx); err != nil {
		return contract.EvaluationResult{}, err
	}
	if err := workflow.ExecuteActivity(ctx, contract.StartEvaluation, ref, e.in.Criteria.PolicyRevision, workflow.Now(ctx)).Get(ctx, nil); err != nil {
		return contract.EvaluationResult{}, err
	}
	for {
		res, again, err := e.evaluate(ctx)
		if err != nil || !again {
			return res, err
		}
		if err := e.clarify(ctx); err != nil {
			return contract.EvaluationResult{}, err
		}
	}
}

// evaluate runs intake, license, policy and approval once; again is set when
// a reviewer asked for a clarification and the stages must run again after it.
func (e *evaluation) evaluate(ctx workflow.Context) (res contract.EvaluationResult, again bool, err error) {
	// 1. intake
	e.stage = domain.StageIntake
	if err := e.record(ctx, domain.StageIntake, domain.StageRunning, nil, nil); err != nil {
		return res, false, err
	}
	intake, lic, dec, err := e.check(ctx)
	if err != nil {
		return res, false, err
	}
	if denied(intake.Findings) {
		res, err := e.disqualify(ctx, domain.StageIntake, intake.Findings, 0)
		return res, false, err
	}
	if err := e.record(ctx, domain.StageIntake, domain.StagePassed, intake.Findings, map[string]any{"manifest_hash": intake.ManifestHash}); err != nil {
		return res, false, err
	}

	// 2. license review
	e.stage = domain.StageLicense
	if err := e.record(ctx, domain.StageLicense, domain.StageRunning, nil, nil); err != nil {
		return res, false, err
	}
	if lic == nil {
		if lic, err = e.reviewLicense(ctx, intake.Manifest); err != nil {
			return res, false, err
		}
	}
	if denied(lic.Findings) {
		res, err := e.disqualify(ctx, domain.StageLicense, lic.Findings, 0)
		return res, false, err
	}
	if lic.NeedsResolution {
		outcome, err := e.review(ctx, domain.StageLicense, domain.TaskLicenseResolution,
			"Resolve license findings for "+intake.Manifest.Name, withSeverity(lic.Findings, domain.SeverityWarn), 1)
		if err != nil || outcome == gateClarify {
			return res, outcome == gateClarify, err
		}
		if outcome == gateRejected {
			res, err := e.disqualify(ctx, domain.StageLicense, lic.Findings, 0)
			return res, false, err
		}
	}
	if err := e.record(ctx, domain.StageLicense, domain.StagePassed, lic.Findings, licenseDetail(*lic, e.decisionDetail())); err != nil {
		return res, false, err
	}

	// 3. policy check
	e.stage = domain.StagePolicy
	if err := e.record(ctx, domain.StagePolicy, domain.StageRunning, nil, nil); err != nil {
		return res, false, err
	}
	if dec == nil {
		if dec, err = e.checkPolicy(ctx, intake.Manifest, lic.Findings); err != nil {
			return res, false, err
		}
	}
	policyFindings := slices.Concat(dec.Deny, dec.Warn, dec.Info)
	detail := map[string]any{"policy_revision": dec.Revision, "score": dec.Score, "approvals_required": dec.ApprovalsRequired,
		"openness": dec.Openness, "openness_class": dec.Openness.Class}
	if len(dec.Deny) > 0 {
		if err := e.record(ctx, domain.StagePolicy, domain.StageFailed, policyFindings, detail); err != nil {
			return res, false, err
		}
		res, err := e.finish(ctx, contract.EvaluationResult{Outcome: domain.OutcomeDisqualified, Score: dec.Score, Reasons: dec.Deny})
		return res, false, err
	}
	if err := e.record(ctx, domain.StagePolicy, domain.StagePassed, policyFindings, detail); err != nil {
		return res, false, err
	}

	// 4. compliance approval
	e.stage = domain.StageApproval
	shown := slices.Concat(dec.Warn, dec.Info)
	outcome, err := e.review(ctx, domain.StageApproval, domain.TaskComplianceApproval,
		"Approve "+intake.Manifest.Name+" for this solicitation", shown, max(dec.ApprovalsRequired, 1))
	if err != nil || outcome == gateClarify {
		return res, outcome == gateClarify, err
	}
	if outcome == gateRejected {
		res, err := e.disqualify(ctx, domain.StageApproval, shown, dec.Score)
		return res, false, err
	}
	if err := e.record(ctx, domain.StageApproval, domain.StagePassed, shown, e.decisionDetail()); err != nil {
		return res, false, err
	}
	res, err = e.finish(ctx, contract.EvaluationResult{
		Outcome: domain.OutcomeQualified, Score: dec.Score, OpennessScore: e.in.Criteria.OpennessScore(dec.Score), SafetyScore: safetyScore(dec.Warn),
	})
	return res, false, err
}

// check runs the candidate check: in one activity, or, for evaluations
// recorded before it existed, as intake alone, with license review and the
// policy decision as their own activities later (lic and dec nil).
func (e *evaluation) check(ctx workflow.Context) (contract.IntakeResult, *domain.LicenseReport, *domain.PolicyDecision, error) {
	if workflow.GetVersion(ctx, singleCheckVersion, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		var intake contract.IntakeResult
		err := workflow.ExecuteActivity(ctx, contract.Intake, e.in.Ref).Get(ctx, &intake)
		return intake, nil, nil, err
	}
	var chk domain.CandidateCheck
	if err := workflow.ExecuteActivity(ctx, contract.CheckCandidate, contract.CheckRequest{
		Ref: e.in.Ref, Criteria: e.in.Criteria, AsOf: e.in.AsOf,
	}).Get(ctx, &chk); err != nil {
		return contract.IntakeResult{}, nil, nil, err
	}
	intake := contract.IntakeResult{ManifestHash: chk.ManifestHash, Findings: chk.Intake}
	intake.Manifest.Name = chk.ManifestName
	return intake, &chk.License, &chk.Policy, nil
}

func (e *evaluation) reviewLicense(ctx workflow.Context, m domain.Manifest) (*domain.LicenseReport, error) {
	var lic domain.LicenseReport
	err := workflow.ExecuteActivity(ctx, contract.ReviewLicense, contract.LicenseReviewInput{Manifest: m, Criteria: e.in.Criteria}).Get(ctx, &lic)
	return &lic, err
}

func (e *evaluation) checkPolicy(ctx workflow.Context, m domain.Manifest, licenseFindings []domain.Finding) (*domain.PolicyDecision, error) {
	var dec domain.PolicyDecision
	err := workflow.ExecuteActivity(ctx, contract.CheckPolicy, contract.PolicyInput{
		Manifest: m, Criteria: e.in.Criteria, LicenseFindings: licenseFindings, AsOf: e.in.AsOf,
	}).Get(ctx, &dec)
	return &dec, err
}

// safetyScore is 100 less 20 points per safety warning, so complete, current
// evidence ranks above evidence a reviewer had to accept with reservations.
func safetyScore(warn []domain.Finding) float64 {
	score := 100.0
	for _, f := range warn {
		if strings.HasPrefix(f.Rule, "safety") {
			score -= 20
		}
	}
	return max(score, 0)
}

// review opens a task and waits for its outcome.
func (e *evaluation) review(ctx workflow.Context, stage domain.Stage, kind domain.TaskKind, title string, findings []domain.Finding, approvals int) (gateOutcome, error) {
	now := workflow.Now(ctx)
	due := now.Add(e.in.TaskSLA)
	task := domain.Task{
		ID:             e.gate.nextID(e.in.Ref.CandidateID),
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
		DueAt:          &due,
	}
	e.gate.open(task)
	if err := e.record(ctx, stage, domain.StageWaiting, findings, map[string]any{"task_id": task.ID, "approvals_required": approvals}); err != nil {
		return gateRejected, err
	}
	if err := workflow.ExecuteActivity(ctx, contract.OpenTask, task).Get(ctx, nil); err != nil {
		return gateRejected, err
	}
	return e.gate.wait(ctx, e.in.TaskSLA)
}

// licenseDetail is what the license stage shows beside its findings: how
// each component's license was read, and earlier resolutions offered for reuse.
func licenseDetail(lic domain.LicenseReport, detail map[string]any) map[string]any {
	if detail == nil {
		detail = map[string]any{}
	}
	detail["components"] = lic.Components
	if len(lic.PriorResolutions) > 0 {
		detail["prior_resolutions"] = lic.PriorResolutions
	}
	return detail
}

func (e *evaluation) decisionDetail() map[string]any {
	if e.gate.exception != nil {
		return map[string]any{"decisions": e.gate.decisions, "exception": e.gate.exception}
	}
	if len(e.gate.decisions) == 0 {
		return nil
	}
	return map[string]any{"decisions": e.gate.decisions}
}

func (e *evaluation) validateClarification(_ workflow.Context, r contract.ClarificationRequest) error {
	return e.checkClarification(r, true)
}

// checkClarification refuses a question whoever may not decide the task
// could not ask either; strict as in reviewGate.validate.
func (e *evaluation) checkClarification(r contract.ClarificationRequest, strict bool) error {
	d := domain.Decision{TaskID: r.TaskID, ReviewerID: r.ReviewerID, ReviewerRole: r.ReviewerRole, ReviewerOrgID: r.ReviewerOrgID,
		ReviewerConflicts: r.Conflicts, Verdict: domain.VerdictApprove, ReasonCode: domain.ReasonCodes[domain.VerdictApprove][0]}
	if err := e.gate.validate(d, strict); err != nil {
		return err
	}
	if e.gate.clarifyAsked {
		return rejection(domain.ErrConflict, "a clarification on task %s was already requested", r.TaskID)
	}
	if strings.TrimSpace(r.Question) == "" {
		return rejection(domain.ErrInvalid, "the question is empty: write what the vendor must clarify")
	}
	return nil
}

// requestClarification supersedes the open task and records the question;
// the evaluation then waits for the vendor (clarify).
func (e *evaluation) requestClarification(ctx workflow.Context, r contract.ClarificationRequest) (domain.Clarification, error) {
	if err := e.checkClarification(r, strictGate(ctx)); err != nil {
		return domain.Clarification{}, err
	}
	window := r.AnswerWithin
	if window <= 0 {
		window = defaultClarificationWindow
	}
	now := workflow.Now(ctx)
	c := domain.Clarification{ID: r.ClarificationID, CandidateID: e.in.Ref.CandidateID, TaskID: r.TaskID,
		VendorOrgID: e.in.Ref.VendorOrgID, AskedBy: r.ReviewerID, Question: r.Question, AskedAt: now, DueAt: now.Add(window)}
	e.gate.clarifyAsked = true
	e.question = &c
	actx := withActivityOptions(ctx)
	if err := workflow.ExecuteActivity(actx, contract.RecordClarification, e.in.Ref.SolicitationID, c).Get(ctx, nil); err != nil {
		return c, err
	}
	return c, workflow.ExecuteActivity(actx, contract.SupersedeTask, e.in.Ref.SolicitationID, r.TaskID,
		"the reviewer asked the vendor a clarification", now).Get(ctx, nil)
}

func (e *evaluation) validateReply(_ workflow.Context, r contract.ClarificationReply) error {
	if r.VendorRole != domain.RoleVendor || r.VendorOrgID != e.in.Ref.VendorOrgID {
		return rejection(domain.ErrForbidden, "only the vendor that submitted this candidate answers its clarifications")
	}
	if e.question == nil || e.question.ID != r.ClarificationID || e.reply != nil {
		return rejection(domain.ErrConflict, "clarification %s is not waiting for an answer: it was answered or has expired", r.ClarificationID)
	}
	if strings.TrimSpace(r.Answer) == "" {
		return rejection(domain.ErrInvalid, "the answer is empty: answer the reviewer's question")
	}
	return nil
}

func (e *evaluation) answerClarification(ctx workflow.Context, r contract.ClarificationReply) error {
	if err := e.validateReply(ctx, r); err != nil {
		return err
	}
	e.reply = &r
	// The update completes once the answer is stored, so whoever sent it
	// reads it back at once (the vendor's page, the API's next GET).
	// Histories recorded before this returned at once.
	if workflow.GetVersion(ctx, answerRecordedVersion, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	return workflow.Await(ctx, func() bool { return e.closed == r.ClarificationID })
}

// clarify waits for the vendor's answer until the clarification's deadline,
// records it (or its absence) and lets the stages run again.
func (e *evaluation) clarify(ctx workflow.Context) error {
	e.stage = domain.StageClarification
	q := e.question
	if err := e.record(ctx, domain.StageClarification, domain.StageWaiting, nil,
		map[string]any{"clarification_id": q.ID, "question": q.Question, "due_at": q.DueAt}); err != nil {
		return err
	}
	answered, err := workflow.AwaitWithTimeout(ctx, q.DueAt.Sub(workflow.Now(ctx)), func() bool { return e.reply != nil })
	if err != nil {
		return err
	}
	closing := contract.ClarificationAnswer{SolicitationID: e.in.Ref.SolicitationID, CandidateID: e.in.Ref.CandidateID,
		ClarificationID: q.ID, Expired: !answered, At: workflow.Now(ctx)}
	var findings []domain.Finding
	if answered {
		closing.Answer, closing.AnsweredBy, closing.Manifest = e.reply.Answer, e.reply.VendorUserID, e.reply.Manifest
	} else {
		findings = []domain.Finding{{
			Rule: "clarification.unanswered", Severity: domain.SeverityWarn,
			Message:  "the vendor did not answer the clarification by " + q.DueAt.UTC().Format(time.RFC3339) + "; the evaluation continues with what it has",
			Evidence: domain.Evidence{Quote: q.Question}, Source: "modeltender clarification procedure",
			Fix: "decide on the evidence as submitted",
		}}
	}
	if err := workflow.ExecuteActivity(ctx, contract.CloseClarification, closing).Get(ctx, nil); err != nil {
		return err
	}
	e.closed = q.ID
	status := domain.StagePassed
	if !answered {
		status = domain.StageFailed
	}
	e.question, e.reply = nil, nil
	return e.record(ctx, domain.StageClarification, status, findings, map[string]any{"clarification_id": q.ID, "answered": answered})
}

// cancelled records a cancellation by the solicitation: the open task is
// superseded and the outcome stage says why. It runs on a disconnected
// context because ctx is already cancelled.
func (e *evaluation) cancelled(ctx workflow.Context, cause error) error {
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	dctx = withActivityOptions(dctx)
	if t := e.gate.task; t != nil {
		if err := workflow.ExecuteActivity(dctx, contract.SupersedeTask, e.in.Ref.SolicitationID, t.ID, "the solicitation was cancelled", workflow.Now(dctx)).Get(dctx, nil); err != nil {
			return errors.Join(cause, err)
		}
	}
	if err := e.record(dctx, domain.StageOutcome, domain.StageSkipped, nil, map[string]any{"reason": "the solicitation was cancelled"}); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// disqualify fails the given stage and finishes the evaluation.
func (e *evaluation) disqualify(ctx workflow.Context, stage domain.Stage, findings []domain.Finding, score float64) (contract.EvaluationResult, error) {
	if err := e.record(ctx, stage, domain.StageFailed, findings, e.decisionDetail()); err != nil {
		return contract.EvaluationResult{}, err
	}
	reasons := withSeverity(findings, domain.SeverityDeny)
	if len(reasons) == 0 {
		reasons = findings // a reviewer rejected warn findings
	}
	return e.finish(ctx, contract.EvaluationResult{Outcome: domain.OutcomeDisqualified, Score: score, Reasons: reasons})
}

// finish marks every stage that did not run as skipped, then records the
// outcome stage and the evaluation.
func (e *evaluation) finish(ctx workflow.Context, res contract.EvaluationResult) (contract.EvaluationResult, error) {
	for _, st := range domain.Stages {
		if st == domain.StageOutcome || e.settled[st] {
			continue
		}
		if err := e.record(ctx, st, domain.StageSkipped, nil, nil); err != nil {
			return contract.EvaluationResult{}, err
		}
	}
	e.stage = domain.StageOutcome
	e.outcome = res.Outcome
	now := workflow.Now(ctx)
	if err := e.record(ctx, domain.StageOutcome, domain.StageCompleted, res.Reasons, map[string]any{"outcome": res.Outcome, "score": res.Score}); err != nil {
		return contract.EvaluationResult{}, err
	}
	if err := workflow.ExecuteActivity(ctx, contract.CompleteEvaluation, e.in.Ref, contract.Outcome{
		Outcome: res.Outcome, Score: res.Score, Reasons: res.Reasons, Revision: e.in.Criteria.PolicyRevision, At: now,
	}).Get(ctx, nil); err != nil {
		return contract.EvaluationResult{}, err
	}
	return res, nil
}

func (e *evaluation) record(ctx workflow.Context, stage domain.Stage, status domain.StageStatus, findings []domain.Finding, detail map[string]any) error {
	e.settled[stage] = status == domain.StagePassed || status == domain.StageFailed || status == domain.StageSkipped
	if err := e.indexStage(ctx, stage, status); err != nil {
		return err
	}
	return workflow.ExecuteActivity(ctx, contract.RecordStage, e.in.Ref, domain.StageUpdate{
		Stage: stage, Status: status, Findings: findings, Detail: detail, At: workflow.Now(ctx),
	}).Get(ctx, nil)
}

func denied(f []domain.Finding) bool { return len(withSeverity(f, domain.SeverityDeny)) > 0 }

func withSeverity(f []domain.Finding, s domain.Severity) []domain.Finding {
	var out []domain.Finding
	for _, x := range f {
		if x.Severity == s {
			out = append(out, x)
		}
	}
	return out
}
