package contract

import (
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// Names of the activities, as workflows call them and activities.Register
// registers them.
const (
	CancelSolicitation    = "CancelSolicitation"
	CheckCandidate        = "CheckCandidate"
	CheckPolicy           = "CheckPolicy"
	CloseClarification    = "CloseClarification"
	AssignReviewer        = "AssignReviewer"
	CompleteEvaluation    = "CompleteEvaluation"
	EligibleReviewers     = "EligibleReviewers"
	EscalateTask          = "EscalateTask"
	Intake                = "Intake"
	NextRecheck           = "NextRecheck"
	OpenTask              = "OpenTask"
	Precheck              = "Precheck"
	PublishNotice         = "PublishNotice"
	Rank                  = "Rank"
	Recheck               = "Recheck"
	RecordAmendment       = "RecordAmendment"
	RecordAnswer          = "RecordAnswer"
	RecordAward           = "RecordAward"
	RecordBid             = "RecordBid"
	RecordClarification   = "RecordClarification"
	RecordDecision        = "RecordDecision"
	RecordException       = "RecordException"
	RecordProtest         = "RecordProtest"
	RecordProtestDecision = "RecordProtestDecision"
	RecordQuestion        = "RecordQuestion"
	RecordStage           = "RecordStage"
	ReviewLicense         = "ReviewLicense"
	ReviseBid             = "ReviseBid"
	SetAwardStatus        = "SetAwardStatus"
	SetBidStatus          = "SetBidStatus"
	SetSolicitationStatus = "SetSolicitationStatus"
	StartEvaluation       = "StartEvaluation"
	SupersedeTask         = "SupersedeTask"
)

// EvaluationRef names one candidate's evaluation and what the audit log
// files it under.
type EvaluationRef struct {
	SolicitationID string `json:"solicitation_id"`
	BidID          string `json:"bid_id"`
	CandidateID    string `json:"candidate_id"`
	VendorOrgID    string `json:"vendor_org_id"`
	WorkflowID     string `json:"workflow_id"`
}

// StatusChange is a solicitation lifecycle transition.
type StatusChange struct {
	SolicitationID string                    `json:"solicitation_id"`
	Status         domain.SolicitationStatus `json:"status"`
	At             time.Time                 `json:"at"`
	Detail         map[string]any            `json:"detail,omitempty"`
}

// CheckRequest asks for the candidate check of one candidate's current
// manifest under the solicitation's frozen criteria, evidence judged as of AsOf.
type CheckRequest struct {
	Ref      EvaluationRef   `json:"ref"`
	Criteria domain.Criteria `json:"criteria"`
	AsOf     time.Time       `json:"as_of"`
}

// IntakeResult is the validated manifest of a candidate.
type IntakeResult struct {
	Manifest     domain.Manifest  `json:"manifest"`
	ManifestHash string           `json:"manifest_hash"`
	Findings     []domain.Finding `json:"findings"`
}

// LicenseReviewInput is what the license review reads.
type LicenseReviewInput struct {
	Manifest domain.Manifest `json:"manifest"`
	Criteria domain.Criteria `json:"criteria"`
}

// PolicyInput is what the policy check reads.
type PolicyInput struct {
	Manifest        domain.Manifest  `json:"manifest"`
	Criteria        domain.Criteria  `json:"criteria"`
	LicenseFindings []domain.Finding `json:"license_findings"`
	AsOf            time.Time        `json:"as_of"`
}

// DecisionRecord is a reviewer's decision and whether it closes its task.
type DecisionRecord struct {
	SolicitationID string          `json:"solicitation_id"`
	Decision       domain.Decision `json:"decision"`
	ClosesTask     bool            `json:"closes_task"`
}

// Outcome is the result of an evaluation.
type Outcome struct {
	Outcome  domain.Outcome   `json:"outcome"`
	Score    float64          `json:"score"`
	Reasons  []domain.Finding `json:"reasons"`
	Revision string           `json:"policy_revision"`
	At       time.Time        `json:"at"`
}

// Escalation is an overdue task moving up: 1 to every reviewer, 2 to the
// officer. Reason says why it went to the officer at once: too few eligible
// reviewers were left.
type Escalation struct {
	SolicitationID string    `json:"solicitation_id"`
	TaskID         string    `json:"task_id"`
	Level          int       `json:"level"`
	At             time.Time `json:"at"`
	Reason         string    `json:"reason,omitempty"`
}

// Assignment is an officer's assignment of a reviewer to a task.
type Assignment struct {
	SolicitationID string    `json:"solicitation_id"`
	TaskID         string    `json:"task_id"`
	ReviewerID     string    `json:"reviewer_id"`
	OfficerID      string    `json:"officer_id"`
	At             time.Time `json:"at"`
}

// TaskException is an officer's approval of a task with a documented
// reason, standing for the approvals too few eligible reviewers could give.
type TaskException struct {
	SolicitationID string `json:"solicitation_id"`
	TaskID         string `json:"task_id"`
	OfficerID      string `json:"officer_id"`
	Reason         string `json:"reason"`
	// ApprovalsCredited is how many approvals the exception stands for;
	// ReviewersAvailable how many eligible reviewers were left undecided.
	ApprovalsCredited  int       `json:"approvals_credited"`
	ReviewersAvailable int       `json:"reviewers_available"`
	At                 time.Time `json:"at"`
}

// PrecheckInput is a bid whose candidates get the automated checks at
// submission. AsOf is the deadline, the date the evaluation will judge
// evidence at, so a report that will have expired by then shows now.
type PrecheckInput struct {
	Bid      domain.Bid      `json:"bid"`
	Criteria domain.Criteria `json:"criteria"`
	AsOf     time.Time       `json:"as_of"`
	At       time.Time       `json:"at"`
}

// BidStatusChange is a bid withdrawn, confirmed after an amendment, or
// excluded at close for want of a confirmation.
type BidStatusChange struct {
	SolicitationID string    `json:"solicitation_id"`
	BidID          string    `json:"bid_id"`
	Status         string    `json:"status"`
	Actor          string    `json:"actor"`
	At             time.Time `json:"at"`
}

// Cancellation is an officer's cancellation of a solicitation.
type Cancellation struct {
	SolicitationID string    `json:"solicitation_id"`
	Reason         string    `json:"reason"`
	OfficerID      string    `json:"officer_id"`
	At             time.Time `json:"at"`
}

// RankInput is every evaluated candidate with what ranking needs.
type RankInput struct {
	SolicitationID string                `json:"solicitation_id"`
	Weights        domain.ScoringWeights `json:"weights"`
	Candidates     []RankCandidate       `json:"candidates"`
	At             time.Time             `json:"at"`
	// Why is what prompted this ranking, for the audit log (close, or a fit score).
	Why map[string]any `json:"why,omitempty"`
}

// RankCandidate is one evaluated candidate.
type RankCandidate struct {
	CandidateID string                `json:"candidate_id"`
	BidID       string                `json:"bid_id"`
	VendorOrgID string                `json:"vendor_org_id"`
	Name        string                `json:"name"`
	Result      EvaluationOutcomeView `json:"result"`
	Price       *domain.Money         `json:"price,omitempty"`
	// Fit is the officer's 0-100 fit score; nil: not scored (no fit points).
	Fit *float64 `json:"fit,omitempty"`
}

// EvaluationOutcomeView is the part of an evaluation's result ranking reads.
type EvaluationOutcomeView struct {
	Outcome       domain.Outcome `json:"outcome"`
	OpennessScore float64        `json:"openness_score"`
	SafetyScore   float64        `json:"safety_score"`
}

// AwardStatusChange moves an award along.
type AwardStatusChange struct {
	SolicitationID  string     `json:"solicitation_id"`
	AwardID         string     `json:"award_id"`
	Status          string     `json:"status"`
	StandstillUntil *time.Time `json:"standstill_until,omitempty"`
	At              time.Time  `json:"at"`
}

// ClarificationAnswer is the vendor's answer, possibly with an amended
// manifest, or the note that none came in time (Expired).
type ClarificationAnswer struct {
	SolicitationID  string           `json:"solicitation_id"`
	CandidateID     string           `json:"candidate_id"`
	ClarificationID string           `json:"clarification_id"`
	Answer          string           `json:"answer,omitempty"`
	AnsweredBy      string           `json:"answered_by,omitempty"`
	Manifest        *domain.Manifest `json:"manifest,omitempty"`
	Expired         bool             `json:"expired"`
	At              time.Time        `json:"at"`
}

// RecheckResult is a post-award re-check of an awarded candidate.
type RecheckResult struct {
	Outcome  domain.Outcome   `json:"outcome"`
	Findings []domain.Finding `json:"findings"`
	Revision string           `json:"policy_revision"`
}
