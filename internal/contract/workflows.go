package contract

import (
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// Workflow types, as clients start them and workflows.Register registers them.
const (
	SolicitationWorkflow = "SolicitationWorkflow"
	EvaluationWorkflow   = "EvaluationWorkflow"
	MonitoringWorkflow   = "MonitoringWorkflow"
)

// SolicitationWorkflowID is the workflow id of a solicitation.
func SolicitationWorkflowID(solicitationID string) string { return "solicitation/" + solicitationID }

// EvaluationWorkflowID is the workflow id of one candidate's evaluation.
func EvaluationWorkflowID(bidID, candidateID string) string {
	return "evaluation/" + bidID + "/" + candidateID
}

// Names by which clients address workflows, updates and queries.
const (
	SubmitBidUpdate = "submit-bid"
	DecideUpdate    = "decide"
	StateQuery      = "state"
)

// SolicitationInput is frozen at publication: the criteria, the policy
// revision every candidate will be evaluated under, the officer's weights,
// the standstill and the amendment notice.
type SolicitationInput struct {
	SolicitationID      string                `json:"solicitation_id"`
	AgencyOrgID         string                `json:"agency_org_id"`
	Criteria            domain.Criteria       `json:"criteria"`
	Deadline            time.Time             `json:"deadline"`
	Weights             domain.ScoringWeights `json:"weights"`
	StandstillDays      float64               `json:"standstill_days"`
	AmendmentNoticeDays float64               `json:"amendment_notice_days"`
	// EnquiryEnd closes questions before the deadline; zero: they stay open.
	EnquiryEnd time.Time     `json:"enquiry_end,omitempty"`
	TaskSLA    time.Duration `json:"task_sla,omitempty"` // 0: defaultTaskSLA
}

// Actor is who sends an update, as the API authenticated them.
type Actor struct {
	UserID string      `json:"user_id"`
	Role   domain.Role `json:"role"`
	OrgID  string      `json:"org_id,omitempty"`
}

// SubmitBidRequest is a vendor's bid, already validated by the API. For a
// revision, Bid carries the same id and the next revision number.
type SubmitBidRequest struct {
	Bid           domain.Bid  `json:"bid"`
	SubmitterRole domain.Role `json:"submitter_role"`
	// IdempotencyKey is the client's name for this submission: a retry with
	// the same key from the same organisation gets the first BidResult (with
	// the first bid's id) instead of a conflict.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// BidResult is what a vendor gets back: the bid id and its pre-check.
type BidResult struct {
	BidID     string            `json:"bid_id"`
	Revision  int               `json:"revision"`
	Prechecks []domain.Precheck `json:"prechecks"`
}

// BidAction withdraws or confirms a bid.
type BidAction struct {
	Actor Actor  `json:"actor"`
	BidID string `json:"bid_id"`
}

// QuestionRequest is a vendor's question.
type QuestionRequest struct {
	Actor    Actor  `json:"actor"`
	ID       string `json:"id"`
	Question string `json:"question"`
}

// AnswerRequest is the officer's answer to a question.
type AnswerRequest struct {
	Actor      Actor  `json:"actor"`
	QuestionID string `json:"question_id"`
	Answer     string `json:"answer"`
}

// AmendRequest changes a published solicitation.
type AmendRequest struct {
	Actor       Actor      `json:"actor"`
	ID          string     `json:"id"`
	Description string     `json:"description"`
	NewDeadline *time.Time `json:"new_deadline,omitempty"`
	// AdoptRevision, when set, is the current policy revision the
	// amendment adopts in place of the one frozen at publication.
	AdoptRevision string `json:"adopt_revision,omitempty"`
}

// CancelRequest cancels a solicitation before award.
type CancelRequest struct {
	Actor  Actor  `json:"actor"`
	Reason string `json:"reason"`
}

// RecommendRequest is the officer's award recommendation.
type RecommendRequest struct {
	Actor       Actor  `json:"actor"`
	AwardID     string `json:"award_id"`
	CandidateID string `json:"candidate_id"`
	Rationale   string `json:"rationale"`
}

// FitRequest is the officer's 0-100 score of a qualified candidate's fit for
// the use case; it re-ranks the candidates.
type FitRequest struct {
	Actor       Actor   `json:"actor"`
	CandidateID string  `json:"candidate_id"`
	Score       float64 `json:"score"`
	Note        string  `json:"note"`
}

// ProtestRequest is a losing vendor's protest during the standstill.
type ProtestRequest struct {
	Actor   Actor  `json:"actor"`
	ID      string `json:"id"`
	Grounds string `json:"grounds"`
}

// ResolveProtestRequest is the officer's written decision on a protest.
type ResolveProtestRequest struct {
	Actor     Actor  `json:"actor"`
	ProtestID string `json:"protest_id"`
	Outcome   string `json:"outcome"` // upheld | dismissed
	Decision  string `json:"decision"`
}

// SolicitationState is what the state query returns.
type SolicitationState struct {
	Status      domain.SolicitationStatus `json:"status"`
	Deadline    time.Time                 `json:"deadline"`
	Bids        []string                  `json:"bids"`
	Evaluations map[string]domain.Outcome `json:"evaluations"`
	Ranking     []domain.RankedCandidate  `json:"ranking,omitempty"`
	Award       *domain.Award             `json:"award,omitempty"`
	AwardTask   *domain.Task              `json:"award_task,omitempty"`
	Protests    []domain.Protest          `json:"protests,omitempty"`
	Unconfirmed []string                  `json:"unconfirmed_bids,omitempty"`
	Questions   []string                  `json:"questions,omitempty"`
	Cancelled   string                    `json:"cancelled,omitempty"`
}

// Names of the solicitation's updates.
const (
	ReviseBidUpdate      = "revise-bid"
	WithdrawBidUpdate    = "withdraw-bid"
	ConfirmBidUpdate     = "confirm-bid"
	AskQuestionUpdate    = "ask-question"
	AnswerQuestionUpdate = "answer-question"
	AmendUpdate          = "amend"
	CancelUpdate         = "cancel"
	RecommendAwardUpdate = "recommend-award"
	FileProtestUpdate    = "file-protest"
	ResolveProtestUpdate = "resolve-protest"
	ScoreFitUpdate       = "score-fit"
)

// EvaluationInput names the candidate and the frozen criteria. AsOf is the
// date evidence is judged at (the solicitation deadline).
type EvaluationInput struct {
	Ref      EvaluationRef   `json:"ref"`
	Criteria domain.Criteria `json:"criteria"`
	AsOf     time.Time       `json:"as_of"`
	TaskSLA  time.Duration   `json:"task_sla,omitempty"` // 0: defaultTaskSLA
	// AgencyOrgID is the issuing agency, whose officers act on tasks too few
	// reviewers can decide; empty for evaluations started before it was passed.
	AgencyOrgID string `json:"agency_org_id,omitempty"`
}

// EvaluationResult is the outcome of one candidate.
type EvaluationResult struct {
	Outcome       domain.Outcome   `json:"outcome"`
	Score         float64          `json:"score"`
	OpennessScore float64          `json:"openness_score"`
	SafetyScore   float64          `json:"safety_score"`
	Reasons       []domain.Finding `json:"reasons"`
}

// DecisionResult is what a reviewer gets back from the decide update.
type DecisionResult struct {
	TaskID             string `json:"task_id"`
	Accepted           bool   `json:"accepted"`
	ApprovalsRemaining int    `json:"approvals_remaining"`
	TaskClosed         bool   `json:"task_closed"`
}

// ClarificationRequest is a reviewer's question to the vendor on an open task.
type ClarificationRequest struct {
	ClarificationID string        `json:"clarification_id"`
	TaskID          string        `json:"task_id"`
	ReviewerID      string        `json:"reviewer_id"`
	ReviewerRole    domain.Role   `json:"reviewer_role"`
	ReviewerOrgID   string        `json:"reviewer_org_id,omitempty"`
	Conflicts       []string      `json:"conflicts,omitempty"`
	Question        string        `json:"question"`
	AnswerWithin    time.Duration `json:"answer_within,omitempty"` // 0: defaultClarificationWindow
}

// ClarificationReply is the vendor's answer, optionally with an amended manifest.
type ClarificationReply struct {
	ClarificationID string           `json:"clarification_id"`
	VendorUserID    string           `json:"vendor_user_id"`
	VendorRole      domain.Role      `json:"vendor_role"`
	VendorOrgID     string           `json:"vendor_org_id"`
	Answer          string           `json:"answer"`
	Manifest        *domain.Manifest `json:"manifest,omitempty"`
}

// EvaluationState is what the state query returns.
type EvaluationState struct {
	Stage         domain.Stage          `json:"stage"`
	OpenTask      *domain.Task          `json:"open_task,omitempty"`
	Decisions     []domain.Decision     `json:"decisions"`
	Clarification *domain.Clarification `json:"clarification,omitempty"`
	Outcome       domain.Outcome        `json:"outcome,omitempty"`
}

// Names of the updates every workflow with review tasks (evaluation,
// solicitation, monitoring) takes besides DecideUpdate: the officer's ways
// out of a task too few eligible reviewers are left to decide.
const (
	AssignReviewerUpdate       = "assign-reviewer"
	ApproveWithExceptionUpdate = "approve-with-exception"
)

// AssignReviewerRequest is an officer adding a reviewer (of another team) to
// a task's pool. The API fills the reviewer's role, organisation and
// declared conflicts from the store, as it does for a decision.
type AssignReviewerRequest struct {
	TaskID            string   `json:"task_id"`
	Actor             Actor    `json:"actor"` // the officer
	Reviewer          Actor    `json:"reviewer"`
	ReviewerConflicts []string `json:"reviewer_conflicts,omitempty"`
}

// AssignmentResult is what the officer gets back from assign-reviewer.
type AssignmentResult struct {
	TaskID             string `json:"task_id"`
	ReviewerID         string `json:"reviewer_id"`
	ApprovalsRemaining int    `json:"approvals_remaining"`
	// ReviewersAvailable counts the eligible or assigned reviewers who have
	// not decided the task yet.
	ReviewersAvailable int `json:"reviewers_available"`
}

// ExceptionRequest is an officer approving, with a documented reason, a
// task that too few eligible reviewers are left to decide: it counts as the
// missing approvals and goes on the record as an exception.
type ExceptionRequest struct {
	TaskID string `json:"task_id"`
	Actor  Actor  `json:"actor"` // the officer
	Reason string `json:"reason"`
}

// Names of the evaluation's clarification updates.
const (
	RequestClarificationUpdate = "request-clarification"
	AnswerClarificationUpdate  = "answer-clarification"
)

// MonitoringWorkflowID is the workflow id of an awarded candidate's monitoring.
func MonitoringWorkflowID(candidateID string) string { return "monitoring/" + candidateID }

// MonitoringInput is one cycle of post-award monitoring; each cycle continues
// as new, so the history stays short however long the contract runs.
type MonitoringInput struct {
	Ref      EvaluationRef   `json:"ref"`
	Criteria domain.Criteria `json:"criteria"`
	// Baseline is the outcome the award was made on; a re-check that differs
	// opens a re-attestation task.
	Baseline domain.Outcome `json:"baseline"`
	Interval time.Duration  `json:"interval,omitempty"` // 0: defaultMonitoringInterval
	TaskSLA  time.Duration  `json:"task_sla,omitempty"`
	Cycle    int            `json:"cycle"`
	// AgencyOrgID is the issuing agency, whose officers act on tasks too few
	// reviewers can decide.
	AgencyOrgID string `json:"agency_org_id,omitempty"`
	Stop        bool   `json:"-"`
	// Notice is a vendor's change notice the previous cycle received too
	// late to act on; this cycle re-checks at once.
	Notice *ChangeNotice `json:"notice,omitempty"`
}
