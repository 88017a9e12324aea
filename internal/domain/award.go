package domain

import "time"

// Solicitation states beyond evaluation: the officer recommends an award, the
// reviewers approve it, a standstill gives losing vendors time to protest,
// then the award stands.
const (
	// SolicitationBidding follows the enquiry period when a solicitation has
	// one: questions are closed, bids are still accepted until the deadline.
	SolicitationBidding      SolicitationStatus = "bidding"
	SolicitationAwardPending SolicitationStatus = "award-pending"
	SolicitationStandstill   SolicitationStatus = "standstill"
	SolicitationAwarded      SolicitationStatus = "awarded"
)

// Days converts a number of days, possibly fractional (tests and demos run
// standstills of seconds), to a duration.
func Days(d float64) time.Duration { return time.Duration(d * float64(24*time.Hour)) }

// AcceptsBids reports whether a solicitation in this status is open for
// bids (before its deadline): published, or bidding after its enquiry period.
func (s SolicitationStatus) AcceptsBids() bool {
	return s == SolicitationPublished || s == SolicitationBidding
}

// TaskAwardApproval is the reviewers' approval of an officer's recommendation.
const TaskAwardApproval TaskKind = "award-approval"

// Bid states.
const (
	BidSubmitted         = "submitted"
	BidNeedsConfirmation = "needs-confirmation" // an amendment came after it
	BidWithdrawn         = "withdrawn"
	BidExcluded          = "excluded" // not confirmed after an amendment by the deadline
)

// ScoringWeights are how the officer weighs qualified candidates; they sum
// to 1. Fit is the officer's own 0-100 score of each candidate's fit for the
// use case, entered after close.
type ScoringWeights struct {
	Openness float64 `json:"openness"`
	Safety   float64 `json:"safety"`
	Price    float64 `json:"price"`
	Fit      float64 `json:"fit"`
}

// DefaultWeights apply when the officer sets none.
var DefaultWeights = ScoringWeights{Openness: 0.4, Safety: 0.3, Price: 0.3}

// Money is an amount in a currency (ISO 4217).
type Money struct {
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
}

// Question is a vendor's enquiry; its answer is published to every vendor
// without naming who asked (see Anonymised).
type Question struct {
	ID             string     `json:"id"`
	SolicitationID string     `json:"solicitation_id"`
	VendorOrgID    string     `json:"vendor_org_id,omitempty"`
	AskedBy        string     `json:"asked_by,omitempty"`
	Question       string     `json:"question"`
	AskedAt        time.Time  `json:"asked_at"`
	Answer         string     `json:"answer,omitempty"`
	AnsweredBy     string     `json:"answered_by,omitempty"`
	AnsweredAt     *time.Time `json:"answered_at,omitempty"`
}

// Anonymised is the question as published: without who asked or answered.
func (q Question) Anonymised() Question {
	q.VendorOrgID, q.AskedBy, q.AnsweredBy = "", "", ""
	return q
}

// Amendment changes a published solicitation and may extend its deadline.
type Amendment struct {
	ID               string    `json:"id"`
	SolicitationID   string    `json:"solicitation_id"`
	Seq              int       `json:"seq"`
	Description      string    `json:"description"`
	PreviousDeadline time.Time `json:"previous_deadline"`
	NewDeadline      time.Time `json:"new_deadline"`
	AmendedBy        string    `json:"amended_by"`
	AmendedAt        time.Time `json:"amended_at"`
	// AdoptedRevision is the policy revision the amendment adopted; "" when
	// it kept the rules frozen at publication.
	AdoptedRevision string `json:"adopted_revision,omitempty"`
}

// Award is the officer's recommendation and where it stands.
type Award struct {
	ID              string     `json:"id"`
	SolicitationID  string     `json:"solicitation_id"`
	BidID           string     `json:"bid_id"`
	CandidateID     string     `json:"candidate_id"`
	Status          string     `json:"status"` // pending-approval | standstill | awarded | rejected | cancelled
	Rationale       string     `json:"rationale"`
	RecommendedBy   string     `json:"recommended_by"`
	RecommendedAt   time.Time  `json:"recommended_at"`
	StandstillUntil *time.Time `json:"standstill_until,omitempty"`
	DecidedAt       *time.Time `json:"decided_at,omitempty"`
	// Pin is what the award binds the vendor to deliver; set where awards
	// are read with it (store.Store.AwardPins).
	Pin *AwardPin `json:"pin,omitempty" db:"-"`
}

// AwardPin is what an award binds: the digest of the manifest that was
// evaluated and the weights digest and file digests (slash path -> SHA-256
// hex) it declared. A delivery is checked against it.
type AwardPin struct {
	ManifestHash  string            `json:"manifest_hash"`
	WeightsDigest string            `json:"weights_digest,omitempty"`
	Files         map[string]string `json:"files"`
}

// Award states.
const (
	AwardPendingApproval = "pending-approval"
	AwardStandstill      = "standstill"
	AwardAwarded         = "awarded"
	AwardRejected        = "rejected"
	AwardCancelled       = "cancelled"
)

// Protest is a losing vendor's challenge of an award during the standstill.
type Protest struct {
	ID             string     `json:"id"`
	SolicitationID string     `json:"solicitation_id"`
	AwardID        string     `json:"award_id"`
	VendorOrgID    string     `json:"vendor_org_id"`
	FiledBy        string     `json:"filed_by"`
	Grounds        string     `json:"grounds"`
	FiledAt        time.Time  `json:"filed_at"`
	Outcome        string     `json:"outcome,omitempty"` // upheld | dismissed
	Decision       string     `json:"decision,omitempty"`
	DecidedBy      string     `json:"decided_by,omitempty"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
}

// Protest outcomes.
const (
	ProtestUpheld    = "upheld"
	ProtestDismissed = "dismissed"
)

// Clarification is a reviewer's question to a vendor about its candidate.
type Clarification struct {
	ID          string     `json:"id"`
	CandidateID string     `json:"candidate_id"`
	TaskID      string     `json:"task_id"`
	VendorOrgID string     `json:"vendor_org_id"`
	AskedBy     string     `json:"asked_by"`
	Question    string     `json:"question"`
	AskedAt     time.Time  `json:"asked_at"`
	DueAt       time.Time  `json:"due_at"`
	Answer      string     `json:"answer,omitempty"`
	AnsweredBy  string     `json:"answered_by,omitempty"`
	AnsweredAt  *time.Time `json:"answered_at,omitempty"`
	ExpiredAt   *time.Time `json:"expired_at,omitempty"`
}

// RankedCandidate is a qualified candidate's total score with its breakdown.
type RankedCandidate struct {
	Rank        int                `json:"rank"`
	CandidateID string             `json:"candidate_id"`
	BidID       string             `json:"bid_id"`
	VendorOrgID string             `json:"vendor_org_id"`
	Name        string             `json:"name"`
	Total       float64            `json:"total"`
	Breakdown   map[string]float64 `json:"breakdown"` // weighted points per criterion
	Price       *Money             `json:"price,omitempty"`
}
