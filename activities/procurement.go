package activities

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/modeltender/modeltender/internal/check"
	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/policies"
)

// EscalateTask records an escalation and audits it, with the reason when
// too few eligible reviewers sent it to the officer.
func (a *Activities) EscalateTask(ctx context.Context, e contract.Escalation) error {
	if err := a.Store.EscalateTask(ctx, e.TaskID, e.Level, e.Reason, e.At); err != nil {
		return err
	}
	to := map[int]string{1: "all reviewers", 2: "the procurement officer"}[e.Level]
	detail := map[string]any{"level": e.Level, "escalated_to": to}
	if e.Reason != "" {
		detail["reason"] = e.Reason
	}
	return a.audit(ctx, fmt.Sprintf("task/%s/escalated/%d", e.TaskID, e.Level), store.AuditEvent{
		At: e.At, Actor: "system", Action: "task.escalated", SubjectType: "task", SubjectID: e.TaskID,
		SolicitationID: e.SolicitationID, Detail: detail,
	})
}

// EligibleReviewers lists the reviewers who may decide a task: the issuing
// agency's, less those of a bidding organisation, those excluded from it and
// those with a standing conflict of interest. Read-only, so idempotent.
func (a *Activities) EligibleReviewers(ctx context.Context, t domain.Task) ([]string, error) {
	return a.Store.EligibleReviewers(ctx, t)
}

// AssignReviewer records an officer's assignment of a reviewer to a task and
// audits it. A user who does not exist or is not a reviewer is a refusal no
// retry changes.
func (a *Activities) AssignReviewer(ctx context.Context, as contract.Assignment) error {
	err := a.Store.AssignReviewer(ctx, store.TaskAssignment{TaskID: as.TaskID, ReviewerID: as.ReviewerID, AssignedBy: as.OfficerID, AssignedAt: as.At})
	if kind := domain.KindOf(err); err != nil && (kind == domain.ErrNotFound || kind == domain.ErrInvalid) {
		return temporal.NewNonRetryableApplicationError(err.Error(), string(kind), err)
	}
	if err != nil {
		return err
	}
	return a.audit(ctx, "task/"+as.TaskID+"/assigned/"+as.ReviewerID, store.AuditEvent{
		At: as.At, Actor: as.OfficerID, Action: "task.reviewer-assigned", SubjectType: "task", SubjectID: as.TaskID,
		SolicitationID: as.SolicitationID, Detail: map[string]any{"reviewer_id": as.ReviewerID},
	})
}

// RecordException closes a task approved by the officer's documented
// exception and puts the exception, with its reason, on the audit trail.
func (a *Activities) RecordException(ctx context.Context, e contract.TaskException) error {
	if err := a.Store.CloseTask(ctx, e.TaskID, domain.TaskDecided, e.At); err != nil {
		return err
	}
	return a.audit(ctx, "task/"+e.TaskID+"/exception", store.AuditEvent{
		At: e.At, Actor: e.OfficerID, Action: "task.approved-with-exception", SubjectType: "task", SubjectID: e.TaskID,
		SolicitationID: e.SolicitationID, Detail: map[string]any{"reason": e.Reason, "approvals_credited": e.ApprovalsCredited,
			"reviewers_available": e.ReviewersAvailable},
	})
}

// SupersedeTask closes a task nobody needs to decide any more (a clarification
// was asked, or the solicitation was cancelled).
func (a *Activities) SupersedeTask(ctx context.Context, solicitationID, taskID, reason string, at time.Time) error {
	if err := a.Store.CloseTask(ctx, taskID, domain.TaskSuperseded, at); err != nil {
		return err
	}
	return a.audit(ctx, "task/"+taskID+"/superseded", store.AuditEvent{
		At: at, Actor: "system", Action: "task.superseded", SubjectType: "task", SubjectID: taskID,
		SolicitationID: solicitationID, Detail: map[string]any{"reason": reason},
	})
}

// Precheck runs the candidate check on every candidate of a bid, as the
// evaluation will at close but without humans, and stores the findings for
// the vendor's eyes only. Idempotent per candidate.
func (a *Activities) Precheck(ctx context.Context, in contract.PrecheckInput) ([]domain.Precheck, error) {
	var out []domain.Precheck
	for _, c := range in.Bid.Candidates {
		ids, err := a.Store.CandidateSigningIdentities(ctx, c.ID, a.Now())
		if err != nil {
			return nil, err
		}
		res := a.Check.Check(ctx, check.Input{Manifest: c.Manifest, Criteria: in.Criteria, AsOf: in.AsOf, Identities: ids})
		p := domain.Precheck{CandidateID: c.ID, CandidateName: c.Name, Outcome: precheckOutcome[res.Outcome], Score: res.Policy.Score,
			Findings: res.Findings(), PolicyRevision: res.Revision, CheckedAt: in.At, Completeness: &res.Completeness, Lineage: res.License.Lineage}
		if err := a.Store.SavePrecheck(ctx, p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// precheckOutcome is how the vendor's pre-check names the check's outcome.
var precheckOutcome = map[domain.Outcome]string{
	domain.OutcomeQualified:    "pass",
	domain.OutcomeNeedsReview:  "needs-review",
	domain.OutcomeDisqualified: "fail",
}

// ReviseBid stores a bid's new revision.
func (a *Activities) ReviseBid(ctx context.Context, b domain.Bid) error {
	if err := a.Store.ReviseBid(ctx, b); err != nil {
		return err
	}
	return a.audit(ctx, fmt.Sprintf("bid/%s/revision/%d", b.ID, b.Revision), store.AuditEvent{
		At: b.SubmittedAt, Actor: b.SubmittedBy, Action: "bid.revised", SubjectType: "bid", SubjectID: b.ID,
		SolicitationID: b.SolicitationID, Detail: map[string]any{"revision": b.Revision, "candidates": len(b.Candidates)},
	})
}

// SetBidStatus records a bid status change and audits it.
func (a *Activities) SetBidStatus(ctx context.Context, c contract.BidStatusChange) error {
	if err := a.Store.SetBidStatus(ctx, c.BidID, c.Status, c.At); err != nil {
		return err
	}
	return a.audit(ctx, fmt.Sprintf("bid/%s/%s/%d", c.BidID, c.Status, c.At.UnixNano()), store.AuditEvent{
		At: c.At, Actor: c.Actor, Action: "bid." + c.Status, SubjectType: "bid", SubjectID: c.BidID, SolicitationID: c.SolicitationID,
	})
}

// RecordQuestion stores a vendor's question.
func (a *Activities) RecordQuestion(ctx context.Context, q domain.Question) error {
	if err := a.Store.InsertQuestion(ctx, q); err != nil {
		return err
	}
	return a.audit(ctx, "question/"+q.ID+"/asked", store.AuditEvent{
		At: q.AskedAt, Actor: q.AskedBy, Action: "question.asked", SubjectType: "question", SubjectID: q.ID, SolicitationID: q.SolicitationID,
	})
}

// RecordAnswer stores the officer's answer, published to every vendor.
func (a *Activities) RecordAnswer(ctx context.Context, q domain.Question) error {
	if err := a.Store.AnswerQuestion(ctx, q.ID, q.Answer, q.AnsweredBy, *q.AnsweredAt); err != nil {
		return err
	}
	return a.audit(ctx, "question/"+q.ID+"/answered", store.AuditEvent{
		At: *q.AnsweredAt, Actor: q.AnsweredBy, Action: "question.answered", SubjectType: "question", SubjectID: q.ID, SolicitationID: q.SolicitationID,
	})
}

// RecordAmendment stores an amendment, moves the deadline and flags every
// bid for confirmation; the audit entry is the notice to those vendors.
func (a *Activities) RecordAmendment(ctx context.Context, am domain.Amendment) error {
	if err := a.Store.Amend(ctx, am); err != nil {
		return err
	}
	return a.audit(ctx, "amendment/"+am.ID, store.AuditEvent{
		At: am.AmendedAt, Actor: am.AmendedBy, Action: "solicitation.amended", SubjectType: "solicitation",
		SubjectID: am.SolicitationID, SolicitationID: am.SolicitationID,
		Detail: map[string]any{"amendment": am.ID, "description": am.Description, "previous_deadline": am.PreviousDeadline,
			"new_deadline": am.NewDeadline, "notice": "every bid must be confirmed or revised against this amendment before the deadline"},
	})
}

// CancelSolicitation records a cancellation and audits it.
func (a *Activities) CancelSolicitation(ctx context.Context, c contract.Cancellation) error {
	if err := a.Store.CancelSolicitation(ctx, c.SolicitationID, c.Reason, c.At); err != nil {
		return err
	}
	return a.audit(ctx, "solicitation/"+c.SolicitationID+"/cancelled", store.AuditEvent{
		At: c.At, Actor: c.OfficerID, Action: "solicitation.cancelled", SubjectType: "solicitation",
		SubjectID: c.SolicitationID, SolicitationID: c.SolicitationID, Detail: map[string]any{"reason": c.Reason},
	})
}

// Rank scores the qualified candidates and stores the ranking with its
// breakdown. Deterministic: ties break on candidate id.
func (a *Activities) Rank(ctx context.Context, in contract.RankInput) ([]domain.RankedCandidate, error) {
	ranked := Rank(in.Weights, in.Candidates)
	for _, r := range ranked {
		if err := a.Store.SaveRanking(ctx, r); err != nil {
			return nil, err
		}
	}
	return ranked, a.audit(ctx, fmt.Sprintf("solicitation/%s/ranked/%d", in.SolicitationID, in.At.UnixNano()), store.AuditEvent{
		At: in.At, Actor: "system", Action: "solicitation.ranked", SubjectType: "solicitation",
		SubjectID: in.SolicitationID, SolicitationID: in.SolicitationID, Detail: map[string]any{"ranking": ranked, "why": in.Why},
	})
}

// Rank orders qualified candidates by weighted points out of 100: openness
// score and safety score as the policies gave them, the officer's fit score,
// price relative to the
// lowest qualified price (a candidate without a price gets no price points).
func Rank(w domain.ScoringWeights, candidates []contract.RankCandidate) []domain.RankedCandidate {
	lowest := 0.0
	for _, c := range candidates {
		if c.Result.Outcome == domain.OutcomeQualified && c.Price != nil && c.Price.Amount > 0 && (lowest == 0 || c.Price.Amount < lowest) {
			lowest = c.Price.Amount
		}
	}
	var out []domain.RankedCandidate
	for _, c := range candidates {
		if c.Result.Outcome != domain.OutcomeQualified {
			continue
		}
		price := 0.0
		if c.Price != nil && c.Price.Amount > 0 && lowest > 0 {
			price = 100 * lowest / c.Price.Amount
		}
		fit := 0.0
		if c.Fit != nil {
			fit = *c.Fit
		}
		b := map[string]float64{
			"openness": round(w.Openness * c.Result.OpennessScore),
			"safety":   round(w.Safety * c.Result.SafetyScore),
			"price":    round(w.Price * price),
			"fit":      round(w.Fit * fit),
		}
		out = append(out, domain.RankedCandidate{
			CandidateID: c.CandidateID, BidID: c.BidID, VendorOrgID: c.VendorOrgID, Name: c.Name,
			Total: round(b["openness"] + b["safety"] + b["price"] + b["fit"]), Breakdown: b, Price: c.Price,
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Total != out[j].Total {
			return out[i].Total > out[j].Total
		}
		return out[i].CandidateID < out[j].CandidateID
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

func round(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }

// RecordAward stores the officer's recommendation and audits it.
func (a *Activities) RecordAward(ctx context.Context, aw domain.Award) error {
	if err := a.Store.InsertAward(ctx, aw); err != nil {
		return err
	}
	return a.audit(ctx, "award/"+aw.ID+"/recommended", store.AuditEvent{
		At: aw.RecommendedAt, Actor: aw.RecommendedBy, Action: "award.recommended", SubjectType: "award", SubjectID: aw.ID,
		SolicitationID: aw.SolicitationID, Detail: map[string]any{"candidate_id": aw.CandidateID, "bid_id": aw.BidID, "rationale": aw.Rationale},
	})
}

// SetAwardStatus records an award status change and audits it.
func (a *Activities) SetAwardStatus(ctx context.Context, c contract.AwardStatusChange) error {
	if err := a.Store.SetAwardStatus(ctx, c.AwardID, c.Status, c.StandstillUntil, c.At); err != nil {
		return err
	}
	detail := map[string]any{}
	if c.StandstillUntil != nil {
		detail["standstill_until"] = c.StandstillUntil
	}
	return a.audit(ctx, "award/"+c.AwardID+"/"+c.Status, store.AuditEvent{
		At: c.At, Actor: "system", Action: "award." + c.Status, SubjectType: "award", SubjectID: c.AwardID,
		SolicitationID: c.SolicitationID, Detail: detail,
	})
}

// RecordProtest stores a protest and audits it.
func (a *Activities) RecordProtest(ctx context.Context, p domain.Protest) error {
	if err := a.Store.InsertProtest(ctx, p); err != nil {
		return err
	}
	return a.audit(ctx, "protest/"+p.ID+"/filed", store.AuditEvent{
		At: p.FiledAt, Actor: p.FiledBy, Action: "protest.filed", SubjectType: "protest", SubjectID: p.ID,
		SolicitationID: p.SolicitationID, Detail: map[string]any{"award_id": p.AwardID, "grounds": p.Grounds},
	})
}

// RecordProtestDecision stores the officer's written decision and audits it.
func (a *Activities) RecordProtestDecision(ctx context.Context, p domain.Protest) error {
	if err := a.Store.DecideProtest(ctx, p.ID, p.Outcome, p.Decision, p.DecidedBy, *p.DecidedAt); err != nil {
		return err
	}
	return a.audit(ctx, "protest/"+p.ID+"/decided", store.AuditEvent{
		At: *p.DecidedAt, Actor: p.DecidedBy, Action: "protest." + p.Outcome, SubjectType: "protest", SubjectID: p.ID,
		SolicitationID: p.SolicitationID, Detail: map[string]any{"decision": p.Decision},
	})
}

// RecordClarification stores a reviewer's question to the vendor.
func (a *Activities) RecordClarification(ctx context.Context, solicitationID string, c domain.Clarification) error {
	if err := a.Store.InsertClarification(ctx, c); err != nil {
		return err
	}
	return a.audit(ctx, "clarification/"+c.ID+"/asked", store.AuditEvent{
		At: c.AskedAt, Actor: c.AskedBy, Action: "clarification.requested", SubjectType: "candidate", SubjectID: c.CandidateID,
		SolicitationID: solicitationID, Detail: map[string]any{"clarification_id": c.ID, "question": c.Question, "due_at": c.DueAt},
	})
}

// CloseClarification stores the answer (and any amended manifest) or the
// expiry, and audits it.
func (a *Activities) CloseClarification(ctx context.Context, c contract.ClarificationAnswer) error {
	if c.Manifest != nil {
		if err := a.Store.AmendManifest(ctx, c.CandidateID, c.ClarificationID, *c.Manifest, manifest.Hash(*c.Manifest), c.At); err != nil {
			return err
		}
	}
	answer, by, action := c.Answer, c.AnsweredBy, "clarification.answered"
	if c.Expired {
		answer, by, action = "", "", "clarification.expired"
	}
	if err := a.Store.CloseClarification(ctx, c.ClarificationID, answer, by, c.At); err != nil {
		return err
	}
	return a.audit(ctx, "clarification/"+c.ClarificationID+"/closed", store.AuditEvent{
		At: c.At, Actor: or(by, "system"), Action: action, SubjectType: "candidate", SubjectID: c.CandidateID,
		SolicitationID: c.SolicitationID, Detail: map[string]any{"clarification_id": c.ClarificationID, "answer": answer, "amended_manifest": c.Manifest != nil},
	})
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Recheck runs the candidate check on an awarded candidate's current
// manifest under the solicitation's frozen criteria and revision, with
// evidence judged as of now, and audits the result. Read-only but the audit.
func (a *Activities) Recheck(ctx context.Context, ref contract.EvaluationRef, c domain.Criteria, at time.Time) (contract.RecheckResult, error) {
	m, _, err := a.currentManifest(ctx, ref)
	if err != nil {
		return contract.RecheckResult{}, err
	}
	ids, err := a.Store.CandidateSigningIdentities(ctx, ref.CandidateID, at)
	if err != nil {
		return contract.RecheckResult{}, err
	}
	chk := a.Check.Check(ctx, check.Input{Manifest: m, Criteria: c, AsOf: at, Identities: ids})
	res := contract.RecheckResult{Outcome: domain.OutcomeQualified, Findings: slices.Concat(chk.Intake, chk.Policy.Deny, chk.Policy.Warn), Revision: chk.Revision}
	if chk.Outcome == domain.OutcomeDisqualified {
		res.Outcome = domain.OutcomeDisqualified
	}
	return res, a.audit(ctx, fmt.Sprintf("monitoring/%s/%d", ref.CandidateID, at.UnixNano()), store.AuditEvent{
		At: at, Actor: "system", Action: "monitoring.rechecked", SubjectType: "candidate", SubjectID: ref.CandidateID,
		SolicitationID: ref.SolicitationID, Detail: map[string]any{"outcome": res.Outcome, "policy_revision": res.Revision, "findings": res.Findings},
	})
}

// NextRecheck is when an awarded candidate is next re-checked: after the
// interval, or a week before a piece of its evidence expires, whichever is
// first (and never in the past).
func (a *Activities) NextRecheck(ctx context.Context, ref contract.EvaluationRef, now time.Time, interval time.Duration) (time.Time, error) {
	next := now.Add(interval)
	m, _, err := a.Store.CurrentManifest(ctx, ref.CandidateID)
	if err != nil {
		return next, err
	}
	maxAge, err := policies.EvidenceMaxAgeMonths()
	if err != nil {
		return next, err
	}
	for _, e := range m.Evidence {
		months := maxAge[e.Kind]
		date, err := time.Parse("2006-01-02", e.Date)
		if months <= 0 || err != nil {
			continue
		}
		if before := date.AddDate(0, months, -7); before.Before(next) {
			next = before
		}
	}
	if next.Before(now) {
		next = now
	}
	return next, nil
}
