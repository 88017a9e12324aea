// Package domain holds the procurement vocabulary every other package speaks:
// solicitations, bids, candidates, findings, tasks and decisions. It depends on
// nothing but the standard library, so workflows, activities, policies and the
// web server can share it without pulling each other in.
package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Role is what a user may do; it comes from the user record, never from the request.
type Role string

const (
	RoleOfficer  Role = "officer"
	RoleVendor   Role = "vendor"
	RoleReviewer Role = "reviewer"
	RoleAuditor  Role = "auditor"
	RoleAdmin    Role = "admin"
)

// Roles lists every role, in the order the CLI and docs show them.
var Roles = []Role{RoleOfficer, RoleVendor, RoleReviewer, RoleAuditor, RoleAdmin}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, known := range Roles {
		if r == known {
			return true
		}
	}
	return false
}

// RiskTier selects the safety evidence a solicitation demands.
type RiskTier string

const (
	RiskStandard   RiskTier = "standard"
	RiskHighImpact RiskTier = "high-impact"
)

// SolicitationStatus is where a solicitation stands in its lifecycle.
type SolicitationStatus string

const (
	SolicitationDraft      SolicitationStatus = "draft"
	SolicitationPublished  SolicitationStatus = "published"
	SolicitationClosed     SolicitationStatus = "closed"
	SolicitationEvaluating SolicitationStatus = "evaluating"
	SolicitationEvaluated  SolicitationStatus = "evaluated"
	SolicitationCancelled  SolicitationStatus = "cancelled"
)

// User is a person acting for an organisation.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Role  Role   `json:"role"`
	OrgID string `json:"org_id,omitempty"`
	// OrgKind is the kind of the user's organisation (agency | vendor), as
	// the store reads it: the sealed-bid rules class a reviewer of a vendor
	// organisation with its vendor, not with the agencies.
	OrgKind string `json:"org_kind,omitempty"`
}

// Organisation is an agency or a vendor company.
type Organisation struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"` // agency | vendor
}

// Solicitation is an agency's request for candidate models, with the criteria
// that freeze when it is published.
type Solicitation struct {
	ID                   string    `json:"id"`
	AgencyOrgID          string    `json:"agency_org_id"`
	Title                string    `json:"title"`
	Description          string    `json:"description"`
	RiskTier             RiskTier  `json:"risk_tier"`
	Deadline             time.Time `json:"deadline"`
	ExpectedMonthlyUsers int64     `json:"expected_monthly_users"`
	MinimumOpennessClass string    `json:"minimum_openness_class,omitempty"`
	// UseCases are the classes of intended use (policies/data/use_cases.json)
	// that license use restrictions are weighed against.
	UseCases            []string           `json:"use_cases"`
	Status              SolicitationStatus `json:"status"`
	PolicyRevision      string             `json:"policy_revision,omitempty"`
	CreatedBy           string             `json:"created_by"`
	CreatedAt           time.Time          `json:"created_at"`
	PublishedAt         *time.Time         `json:"published_at,omitempty"`
	ClosedAt            *time.Time         `json:"closed_at,omitempty"`
	Weights             ScoringWeights     `json:"weights"`
	StandstillDays      float64            `json:"standstill_days"`
	AmendmentNoticeDays float64            `json:"amendment_notice_days"`
	CancelReason        string             `json:"cancel_reason,omitempty"`
	// EnquiryPeriodDays, when set, closes questions that many days after
	// publication; bidding goes on until the deadline.
	EnquiryPeriodDays *float64 `json:"enquiry_period_days,omitempty"`
	// OpennessPoints are the preference points per MOF class; nil: the defaults.
	OpennessPoints *PreferencePoints `json:"openness_preference_points,omitempty"`
	// Packs are the policy packs the solicitation applies, chosen when it
	// is drafted (the defaults for its tier, and for a large language
	// model, unless the officer picks others) and frozen with it.
	Packs              []string `json:"packs"`
	LargeLanguageModel bool     `json:"large_language_model"`
	// RequireOSAID and OSAIDPreferencePoints: see Criteria.
	RequireOSAID          bool `json:"require_osaid"`
	OSAIDPreferencePoints int  `json:"osaid_preference_points"`
}

// Criteria is the part of a solicitation that evaluations read; it is frozen
// into the workflow input at publication.
type Criteria struct {
	SolicitationID       string   `json:"solicitation_id"`
	RiskTier             RiskTier `json:"risk_tier"`
	ExpectedMonthlyUsers int64    `json:"expected_monthly_users"`
	MinimumOpennessClass string   `json:"minimum_openness_class,omitempty"`
	UseCases             []string `json:"use_cases,omitempty"`
	PolicyRevision       string   `json:"policy_revision"`
	// OpennessPreferencePoints overrides the policy's default points per
	// MOF class; nil keeps the defaults.
	OpennessPreferencePoints *PreferencePoints `json:"openness_preference_points,omitempty"`
	// Packs are the policy packs (policies/data/policy_packs.json) the
	// solicitation applies, e.g. "omb-m-25-22"; empty applies the defaults
	// for the risk tier (policies.Selected; policies.DefaultsFor with isLLM false).
	Packs []string `json:"packs,omitempty"`
	// RequireOSAID disqualifies a candidate that does not conform to the
	// Open Source AI Definition 1.0, as a minimum MOF class does.
	RequireOSAID bool `json:"require_osaid,omitempty"`
	// OSAIDPreferencePoints are added to the openness preference points of
	// a candidate that conforms to the Open Source AI Definition 1.0.
	OSAIDPreferencePoints int `json:"osaid_preference_points,omitempty"`
}

// Criteria returns the evaluation criteria of s.
func (s Solicitation) Criteria() Criteria {
	return Criteria{
		SolicitationID:           s.ID,
		RiskTier:                 s.RiskTier,
		ExpectedMonthlyUsers:     s.ExpectedMonthlyUsers,
		MinimumOpennessClass:     s.MinimumOpennessClass,
		UseCases:                 s.UseCases,
		PolicyRevision:           s.PolicyRevision,
		OpennessPreferencePoints: s.OpennessPoints,
		Packs:                    s.Packs,
		RequireOSAID:             s.RequireOSAID,
		OSAIDPreferencePoints:    s.OSAIDPreferencePoints,
	}
}

// Bid is one vendor's sealed offer with one or more candidate models.
type Bid struct {
	ID             string      `json:"id"`
	SolicitationID string      `json:"solicitation_id"`
	VendorOrgID    string      `json:"vendor_org_id"`
	SubmittedBy    string      `json:"submitted_by"`
	SubmittedAt    time.Time   `json:"submitted_at"`
	Status         string      `json:"status"`
	Revision       int         `json:"revision"`
	Price          *Money      `json:"price,omitempty"`
	Candidates     []Candidate `json:"candidates"`
}

// Candidate is one model offered in a bid.
type Candidate struct {
	ID           string   `json:"id"`
	BidID        string   `json:"bid_id"`
	Name         string   `json:"name"`
	ManifestHash string   `json:"manifest_hash"`
	Manifest     Manifest `json:"manifest"`
}

// Severity orders findings: deny disqualifies, warn needs a human, info informs.
type Severity string

const (
	SeverityDeny Severity = "deny"
	SeverityWarn Severity = "warn"
	SeverityInfo Severity = "info"
)

// Evidence is what a finding rests on.
type Evidence struct {
	Component string `json:"component,omitempty"`
	Clause    string `json:"clause,omitempty"`
	Quote     string `json:"quote,omitempty"`
}

// Finding is one explained result of a check: the rule, what it saw, where
// the rule comes from, and what would fix it.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Evidence Evidence `json:"evidence"`
	Source   string   `json:"source"`
	Fix      string   `json:"fix,omitempty"`
}

// Stage names the steps of an evaluation, in order.
type Stage string

const (
	StageIntake  Stage = "intake"
	StageLicense Stage = "license"
	StagePolicy  Stage = "policy"
	// StageClarification is the wait for a vendor's answer to a reviewer's question.
	StageClarification Stage = "clarification"
	StageApproval      Stage = "approval"
	StageOutcome       Stage = "outcome"
)

// Stages lists the stages in the order an evaluation passes them; the
// clarification stage runs only when a reviewer asks the vendor a question.
var Stages = []Stage{StageIntake, StageLicense, StagePolicy, StageClarification, StageApproval, StageOutcome}

// StageStatus is the state of one stage of one evaluation.
type StageStatus string

const (
	StagePending   StageStatus = "pending"
	StageRunning   StageStatus = "running"
	StageWaiting   StageStatus = "waiting" // on a human task
	StagePassed    StageStatus = "passed"
	StageFailed    StageStatus = "failed"
	StageSkipped   StageStatus = "skipped"
	StageCompleted StageStatus = "completed"
)

// Outcome is the result of an evaluation.
type Outcome string

const (
	OutcomeQualified    Outcome = "qualified"
	OutcomeDisqualified Outcome = "disqualified"
)

// TaskKind names the human decisions an evaluation can wait for.
type TaskKind string

const (
	TaskLicenseResolution  TaskKind = "license-resolution"
	TaskComplianceApproval TaskKind = "compliance-approval"
)

// TaskStatus is where a review task stands.
type TaskStatus string

const (
	TaskOpen       TaskStatus = "open"
	TaskDecided    TaskStatus = "decided"
	TaskSuperseded TaskStatus = "superseded"
)

// Task is a unit of human review in a reviewer's inbox.
type Task struct {
	ID             string     `json:"id"`
	Kind           TaskKind   `json:"kind"`
	Status         TaskStatus `json:"status"`
	SolicitationID string     `json:"solicitation_id"`
	BidID          string     `json:"bid_id"`
	CandidateID    string     `json:"candidate_id"`
	VendorOrgID    string     `json:"vendor_org_id"`
	WorkflowID     string     `json:"workflow_id"`
	Title          string     `json:"title"`
	Findings       []Finding  `json:"findings"`
	FindingsHash   string     `json:"findings_hash"`
	Approvals      int        `json:"approvals_required"`
	CreatedAt      time.Time  `json:"created_at"`
	DueAt          *time.Time `json:"due_at,omitempty"`
	// Members of these organisations and these users may not decide: the
	// bidding companies, and for an award the officer who recommended it.
	ExcludedOrgIDs  []string `json:"excluded_org_ids,omitempty"`
	ExcludedUserIDs []string `json:"excluded_user_ids,omitempty"`
	EscalationLevel int      `json:"escalation_level"`
	// EscalationReason says why the task went to the officer before its SLA
	// ran out: too few eligible reviewers were left to decide it.
	EscalationReason string `json:"escalation_reason,omitempty"`
}

// Verdict is a reviewer's answer on a task.
type Verdict string

const (
	VerdictApprove Verdict = "approve"
	VerdictReject  Verdict = "reject"
)

// ReasonCodes lists the reason codes a reviewer may give, per verdict.
var ReasonCodes = map[Verdict][]string{
	VerdictApprove: {"meets-requirements", "accepted-for-intended-use", "vendor-provided-alternative-license", "not-applicable"},
	VerdictReject:  {"insufficient-evidence", "license-incompatible", "safety-risk", "rejected"},
}

// ValidReason reports whether code may accompany v.
func ValidReason(v Verdict, code string) bool {
	for _, c := range ReasonCodes[v] {
		if c == code {
			return true
		}
	}
	return false
}

// Decision is a reviewer's verdict on one task, bound to the findings the
// reviewer saw (FindingsHash).
type Decision struct {
	TaskID        string    `json:"task_id"`
	ReviewerID    string    `json:"reviewer_id"`
	ReviewerRole  Role      `json:"reviewer_role"`
	ReviewerOrgID string    `json:"reviewer_org_id,omitempty"`
	Verdict       Verdict   `json:"verdict"`
	ReasonCode    string    `json:"reason_code"`
	Comment       string    `json:"comment,omitempty"`
	FindingsHash  string    `json:"findings_hash,omitempty"`
	DecidedAt     time.Time `json:"decided_at"`
	// ReviewerConflicts are the organisations the reviewer declared a
	// conflict of interest with; the API fills them from the store.
	ReviewerConflicts []string `json:"reviewer_conflicts,omitempty"`
	// IdempotencyKey is the client's name for this decision: a retry with
	// the same key gets the first answer instead of a conflict.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// NewID returns a new random identifier with a readable prefix, e.g.
// "bid_k3f9q2m8x1c7v4b6". Workflows must not call it (it is random); they
// derive ids from their inputs.
func NewID(prefix string) string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // the OS entropy source is gone: nothing sensible to do
	}
	return prefix + "_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// HashFindings is the content hash of what a reviewer is shown; a decision
// carries it so that a decision on evidence that changed since is refused.
// It writes each field length-prefixed rather than through encoding/json, so
// workflows can call it without reflection.
func HashFindings(findings []Finding) string {
	h := sha256.New()
	for _, f := range findings {
		for _, field := range []string{f.Rule, string(f.Severity), f.Message, f.Evidence.Component,
			f.Evidence.Clause, f.Evidence.Quote, f.Source, f.Fix} {
			h.Write([]byte(strconv.Itoa(len(field)) + ":" + field + ";"))
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
