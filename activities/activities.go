// Package activities holds every Temporal activity modeltender runs: the
// store writes that mirror workflow progress into PostgreSQL and the audit
// log, and the automated checks (manifest intake, license review, policy
// decision). Each activity is idempotent: running it twice with the same
// input leaves the same rows, because every write is keyed by a natural id.
package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/modeltender/modeltender/internal/check"
	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/internal/store"
)

// Activities carries the dependencies of every activity.
type Activities struct {
	Store *store.Store
	// Check is the one candidate check, under each solicitation's frozen rules.
	Check *check.Checker
	Now   func() time.Time
	// PublicURL is where the API is reached from outside, for the links a
	// published notice carries; OCIDPrefix the agency's registered OCDS prefix.
	PublicURL  string
	OCIDPrefix string
}

// Register adds every activity to w, each under its name in the contract.
func Register(w worker.Worker, a *Activities) {
	for name, fn := range map[string]any{
		contract.AssignReviewer:        a.AssignReviewer,
		contract.CancelSolicitation:    a.CancelSolicitation,
		contract.CheckCandidate:        a.CheckCandidate,
		contract.CheckPolicy:           a.CheckPolicy,
		contract.CloseClarification:    a.CloseClarification,
		contract.CompleteEvaluation:    a.CompleteEvaluation,
		contract.EligibleReviewers:     a.EligibleReviewers,
		contract.EscalateTask:          a.EscalateTask,
		contract.Intake:                a.Intake,
		contract.NextRecheck:           a.NextRecheck,
		contract.OpenTask:              a.OpenTask,
		contract.Precheck:              a.Precheck,
		contract.PublishNotice:         a.PublishNotice,
		contract.Rank:                  a.Rank,
		contract.Recheck:               a.Recheck,
		contract.RecordAmendment:       a.RecordAmendment,
		contract.RecordAnswer:          a.RecordAnswer,
		contract.RecordAward:           a.RecordAward,
		contract.RecordBid:             a.RecordBid,
		contract.RecordClarification:   a.RecordClarification,
		contract.RecordDecision:        a.RecordDecision,
		contract.RecordException:       a.RecordException,
		contract.RecordProtest:         a.RecordProtest,
		contract.RecordProtestDecision: a.RecordProtestDecision,
		contract.RecordQuestion:        a.RecordQuestion,
		contract.RecordStage:           a.RecordStage,
		contract.ReviewLicense:         a.ReviewLicense,
		contract.ReviseBid:             a.ReviseBid,
		contract.SetAwardStatus:        a.SetAwardStatus,
		contract.SetBidStatus:          a.SetBidStatus,
		contract.SetSolicitationStatus: a.SetSolicitationStatus,
		contract.StartEvaluation:       a.StartEvaluation,
		contract.SupersedeTask:         a.SupersedeTask,
	} {
		w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

// RecordBid stores a bid registered by the solicitation workflow.
func (a *Activities) RecordBid(ctx context.Context, b domain.Bid) error {
	if err := a.Store.InsertBid(ctx, b); err != nil {
		return err
	}
	names := make([]string, len(b.Candidates))
	for i, c := range b.Candidates {
		names[i] = c.Name
	}
	return a.audit(ctx, "bid/"+b.ID+"/submitted", store.AuditEvent{
		At: b.SubmittedAt, Actor: b.SubmittedBy, Action: "bid.submitted", SubjectType: "bid", SubjectID: b.ID,
		SolicitationID: b.SolicitationID, Detail: map[string]any{"candidates": names, "vendor_org_id": b.VendorOrgID},
	})
}

// SetSolicitationStatus records a transition and audits it.
func (a *Activities) SetSolicitationStatus(ctx context.Context, c contract.StatusChange) error {
	return a.Store.SetSolicitationStatus(ctx, c.SolicitationID, c.Status, c.At, store.AuditEvent{
		Key: "solicitation/" + c.SolicitationID + "/" + string(c.Status),
		At:  c.At, Actor: "system", Action: "solicitation." + string(c.Status), SubjectType: "solicitation",
		SubjectID: c.SolicitationID, SolicitationID: c.SolicitationID, Detail: c.Detail,
	})
}

// StartEvaluation records the start of a candidate's evaluation.
func (a *Activities) StartEvaluation(ctx context.Context, ref contract.EvaluationRef, revision string, at time.Time) error {
	if err := a.Store.StartEvaluation(ctx, ref.CandidateID, ref.BidID, ref.SolicitationID, ref.WorkflowID, revision, at); err != nil {
		return err
	}
	return a.audit(ctx, ref.WorkflowID+"/started", store.AuditEvent{
		At: at, Actor: "system", Action: "evaluation.started", SubjectType: "candidate", SubjectID: ref.CandidateID,
		SolicitationID: ref.SolicitationID, Detail: map[string]any{"policy_revision": revision},
	})
}

// CheckCandidate runs the candidate check on the candidate's current
// manifest (the submitted one, or the latest amended in answer to a
// clarification) under the solicitation's frozen criteria and revision, and
// offers earlier resolutions of the same license clauses. A manifest whose
// stored digest does not match is a deny, not a failure: retrying would not
// fix it. Read-only, so idempotent.
func (a *Activities) CheckCandidate(ctx context.Context, req contract.CheckRequest) (domain.CandidateCheck, error) {
	m, storedHash, err := a.currentManifest(ctx, req.Ref)
	if err != nil {
		return domain.CandidateCheck{}, err
	}
	// The vendor's signing identities as of now: the result, recorded in
	// the workflow's history, keeps what they decided.
	ids, err := a.Store.CandidateSigningIdentities(ctx, req.Ref.CandidateID, a.Now())
	if err != nil {
		return domain.CandidateCheck{}, err
	}
	res := a.Check.Check(ctx, check.Input{Manifest: m, Criteria: req.Criteria, AsOf: req.AsOf, Identities: ids})
	if res.ManifestHash != storedHash {
		res.Intake = append(res.Intake, digestMismatch(res.ManifestHash, storedHash))
		res.Outcome = domain.OutcomeDisqualified
	}
	res.License, err = a.offerPriorResolutions(ctx, res.License)
	return res, err
}

func digestMismatch(got, stored string) domain.Finding {
	return domain.Finding{
		Rule: "intake.digest-mismatch", Severity: domain.SeverityDeny,
		Message: fmt.Sprintf("the stored manifest hashes to %s but was submitted as %s", got, stored),
		Source:  "modeltender integrity check", Fix: "resubmit the bid",
	}
}

// currentManifest loads a candidate's current manifest; a candidate that
// does not exist is a data error no retry fixes.
func (a *Activities) currentManifest(ctx context.Context, ref contract.EvaluationRef) (domain.Manifest, string, error) {
	m, hash, err := a.Store.CurrentManifest(ctx, ref.CandidateID)
	if domain.KindOf(err) == domain.ErrNotFound {
		return m, hash, temporal.NewNonRetryableApplicationError(err.Error(), string(domain.ErrNotFound), err)
	}
	return m, hash, err
}

// Intake, ReviewLicense and CheckPolicy are the three parts of the
// candidate check as evaluations recorded before CheckCandidate ran it in
// one step; they stay registered for those evaluations' histories, and each
// runs the same check.

// Intake loads the candidate's current manifest and reports the intake part
// of its check.
func (a *Activities) Intake(ctx context.Context, ref contract.EvaluationRef) (contract.IntakeResult, error) {
	m, storedHash, err := a.currentManifest(ctx, ref)
	if err != nil {
		return contract.IntakeResult{}, err
	}
	res := contract.IntakeResult{Manifest: m, ManifestHash: manifest.Hash(m), Findings: check.Intake(m)}
	if res.ManifestHash != storedHash {
		res.Findings = append(res.Findings, digestMismatch(res.ManifestHash, storedHash))
	}
	return res, nil
}

// ReviewLicense reports the license part of the candidate's check, with
// earlier resolutions offered. Read-only, so idempotent.
func (a *Activities) ReviewLicense(ctx context.Context, in contract.LicenseReviewInput) (domain.LicenseReport, error) {
	res := a.Check.Check(ctx, check.Input{Manifest: in.Manifest, Criteria: in.Criteria})
	return a.offerPriorResolutions(ctx, res.License)
}

// CheckPolicy reports the policy part of the candidate's check. It fails
// closed, as the check does.
func (a *Activities) CheckPolicy(ctx context.Context, in contract.PolicyInput) (domain.PolicyDecision, error) {
	return a.Check.Check(ctx, check.Input{Manifest: in.Manifest, Criteria: in.Criteria, AsOf: in.AsOf}).Policy, nil
}

// RecordStage mirrors an evaluation stage change into the read model and the audit log.
func (a *Activities) RecordStage(ctx context.Context, ref contract.EvaluationRef, u domain.StageUpdate) error {
	u.CandidateID = ref.CandidateID
	if err := a.Store.RecordStage(ctx, u); err != nil {
		return err
	}
	return a.audit(ctx, fmt.Sprintf("%s/stage/%s/%s/%d", ref.WorkflowID, u.Stage, u.Status, u.At.UnixNano()), store.AuditEvent{
		At: u.At, Actor: "system", Action: "evaluation.stage", SubjectType: "candidate", SubjectID: ref.CandidateID,
		SolicitationID: ref.SolicitationID,
		Detail:         map[string]any{"stage": u.Stage, "status": u.Status, "findings": u.Findings},
	})
}

// OpenTask puts a review task in the reviewers' inbox.
func (a *Activities) OpenTask(ctx context.Context, t domain.Task) error {
	if err := a.Store.CreateTask(ctx, t); err != nil {
		return err
	}
	return a.audit(ctx, "task/"+t.ID+"/opened", store.AuditEvent{
		At: t.CreatedAt, Actor: "system", Action: "task.opened", SubjectType: "task", SubjectID: t.ID,
		SolicitationID: t.SolicitationID, Detail: map[string]any{"kind": t.Kind, "findings_hash": t.FindingsHash},
	})
}

// RecordDecision stores a decision (once per reviewer and task) and closes
// the task when it was the last one needed.
func (a *Activities) RecordDecision(ctx context.Context, r contract.DecisionRecord) error {
	d := r.Decision
	if err := a.Store.RecordDecision(ctx, d); err != nil {
		return err
	}
	if r.ClosesTask {
		if err := a.Store.CloseTask(ctx, d.TaskID, domain.TaskDecided, d.DecidedAt); err != nil {
			return err
		}
	}
	if err := a.recordLicenseResolutions(ctx, r.SolicitationID, d); err != nil {
		return err
	}
	return a.audit(ctx, "task/"+d.TaskID+"/decision/"+d.ReviewerID, store.AuditEvent{
		At: d.DecidedAt, Actor: d.ReviewerID, Action: "task.decided", SubjectType: "task", SubjectID: d.TaskID,
		SolicitationID: r.SolicitationID,
		Detail:         map[string]any{"verdict": d.Verdict, "reason_code": d.ReasonCode, "comment": d.Comment, "findings_hash": d.FindingsHash},
	})
}

// CompleteEvaluation records the outcome of a candidate.
func (a *Activities) CompleteEvaluation(ctx context.Context, ref contract.EvaluationRef, o contract.Outcome) error {
	if err := a.Store.CompleteEvaluation(ctx, ref.CandidateID, o.Outcome, o.Score, o.At); err != nil {
		return err
	}
	return a.audit(ctx, ref.WorkflowID+"/completed", store.AuditEvent{
		At: o.At, Actor: "system", Action: "evaluation.completed", SubjectType: "candidate", SubjectID: ref.CandidateID,
		SolicitationID: ref.SolicitationID,
		Detail:         map[string]any{"outcome": o.Outcome, "score": o.Score, "reasons": o.Reasons, "policy_revision": o.Revision},
	})
}

func (a *Activities) audit(ctx context.Context, key string, e store.AuditEvent) error {
	e.Key = key
	if e.At.IsZero() {
		e.At = a.Now()
	}
	return a.Store.AppendAudit(ctx, e)
}
