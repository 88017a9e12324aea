// Package activities holds every Temporal activity modeltender runs: the
// store writes that mirror workflow progress into PostgreSQL and the audit
// log, and the automated checks (manifest intake, license review, policy
// decision). Each activity is idempotent: running it twice with the same
// input leaves the same rows, because every write is keyed by a natural id.
package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/licensing"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/policies"
)

// Activities carries the dependencies of every activity.
type Activities struct {
	Store    *store.Store
	Policies *policies.Engine
	Licenses *licensing.Analyzer
	Now      func() time.Time
	// PublicURL is where the API is reached from outside, for the links a
	// published notice carries; OCIDPrefix the agency's registered OCDS prefix.
	PublicURL  string
	OCIDPrefix string
}

// Register adds every activity to w, each under its name in the contract.
func Register(w worker.Worker, a *Activities) {
	for name, fn := range map[string]any{
		contract.CancelSolicitation:    a.CancelSolicitation,
		contract.CheckPolicy:           a.CheckPolicy,
		contract.CloseClarification:    a.CloseClarification,
		contract.CompleteEvaluation:    a.CompleteEvaluation,
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

// Intake loads the candidate's current manifest (the submitted one, or the
// latest amended in answer to a clarification) from the system of record and
// validates it again against the manifest schema, recording its digest. A
// manifest that fails is a deny finding, not an activity failure: retrying
// would not fix it.
func (a *Activities) Intake(ctx context.Context, ref contract.EvaluationRef) (contract.IntakeResult, error) {
	m, storedHash, err := a.Store.CurrentManifest(ctx, ref.CandidateID)
	if err != nil {
		return contract.IntakeResult{}, err
	}
	res := contract.IntakeResult{Manifest: m, ManifestHash: manifest.Hash(m)}
	doc, err := json.Marshal(m)
	if err != nil {
		return res, temporal.NewNonRetryableApplicationError("encode manifest", "internal", err)
	}
	if _, err := manifest.ParseJSON(doc, ""); err != nil {
		res.Findings = append(res.Findings, domain.Finding{
			Rule: "intake.schema", Severity: domain.SeverityDeny, Message: err.Error(),
			Source: "modeltender manifest schema 1", Fix: "resubmit the manifest so that it validates against /api/v1/schemas/manifest.json",
		})
	}
	if res.ManifestHash != storedHash {
		res.Findings = append(res.Findings, domain.Finding{
			Rule: "intake.digest-mismatch", Severity: domain.SeverityDeny,
			Message: fmt.Sprintf("the stored manifest hashes to %s but was submitted as %s", res.ManifestHash, storedHash),
			Source:  "modeltender integrity check", Fix: "resubmit the bid",
		})
	}
	return res, nil
}

// ReviewLicense analyses the licenses of every component and offers earlier
// resolutions of the same license clauses. Read-only, so idempotent.
func (a *Activities) ReviewLicense(ctx context.Context, in contract.LicenseReviewInput) (domain.LicenseReport, error) {
	return a.offerPriorResolutions(ctx, a.Licenses.Review(in.Manifest, in.Criteria))
}

// CheckPolicy asks OPA for the decision on a candidate. It fails closed: an
// evaluation error or a policy revision other than the one frozen at
// publication comes back as a warn finding for a human, never as a pass.
func (a *Activities) CheckPolicy(ctx context.Context, in contract.PolicyInput) (domain.PolicyDecision, error) {
	d, err := a.Policies.Decide(ctx, policies.Input{
		Criteria: in.Criteria, Manifest: in.Manifest, LicenseFindings: in.LicenseFindings, AsOf: in.AsOf,
		LicenseNormalization: a.Licenses.Normalize(in.Manifest),
	})
	if err != nil {
		activity.GetLogger(ctx).Error("policy evaluation failed; failing closed", "error", err)
	}
	if in.Criteria.PolicyRevision != "" && d.Revision != in.Criteria.PolicyRevision {
		d.Warn = append(d.Warn, domain.Finding{
			Rule: "policy.revision-changed", Severity: domain.SeverityWarn,
			Message: fmt.Sprintf("the solicitation froze policy revision %s but this worker runs %s", in.Criteria.PolicyRevision, d.Revision),
			Source:  "modeltender fairness rule: rules freeze at publication",
			Fix:     "review the candidate by hand against the published criteria, or amend the solicitation to adopt the new revision",
		})
	}
	return d, nil
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
