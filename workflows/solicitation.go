package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

type solicitation struct {
	in              contract.SolicitationInput
	status          domain.SolicitationStatus
	deadline        time.Time
	deadlineMoved   bool
	bids            []domain.Bid
	unconfirmed     map[string]bool
	questions       map[string]bool // id -> answered
	questionOrder   []string
	amendments      int
	results         map[string]contract.EvaluationResult // by evaluation workflow id
	outcomes        map[string]domain.Outcome            // the same results' outcomes, for the state query
	ranking         []domain.RankedCandidate
	fit             map[string]float64 // the officer's fit scores, by candidate
	award           *domain.Award
	awardGate       reviewGate
	awardRevoked    bool // a protest was upheld
	protests        []domain.Protest
	cancelled       bool
	cancelReason    string
	cancelEvaluaton workflow.CancelFunc
	// bidReplies remember each keyed submission's answer, by vendor
	// organisation and key, so a retry gets the first answer.
	bidReplies map[string]*bidReply
	search     bool // this run sets search attributes (search.go)
}

// bidReply is the answer to a keyed submission; done once it is recorded.
type bidReply struct {
	done bool
	res  contract.BidResult
	err  error
}

// SolicitationWorkflow owns one published solicitation from publication to
// award: sealed bids, Q&A and amendments until the deadline, evaluation of
// every candidate in a child workflow, ranking, the officer's recommendation,
// its approval by reviewers, the standstill with protests, the award and its
// open-contracting notice. The officer may cancel it at any point before award.
//
// This file holds its state, set-up and main run; each phase has a file of
// its own: solicitation_bidding.go, solicitation_enquiries.go (questions,
// amendments, cancellation), solicitation_evaluation.go,
// solicitation_award.go (recommendation, approval, standstill, award) and
// solicitation_protests.go.
func SolicitationWorkflow(ctx workflow.Context, in contract.SolicitationInput) (contract.SolicitationState, error) {
	if in.TaskSLA == 0 {
		in.TaskSLA = defaultTaskSLA
	}
	if in.Weights == (domain.ScoringWeights{}) {
		in.Weights = domain.DefaultWeights
	}
	s := &solicitation{in: in, status: domain.SolicitationPublished, deadline: in.Deadline,
		unconfirmed: map[string]bool{}, questions: map[string]bool{}, results: map[string]contract.EvaluationResult{},
		outcomes: map[string]domain.Outcome{}, fit: map[string]float64{},
		awardGate: reviewGate{solicitationID: in.SolicitationID, agencyOrgID: in.AgencyOrgID}}
	if err := s.setup(ctx); err != nil {
		return s.state(), err
	}
	err := s.run(withActivityOptions(ctx))
	if err == nil && s.cancelled && s.award != nil {
		// A cancellation during approval or standstill takes the award with it.
		err = s.setAwardStatus(withActivityOptions(ctx), domain.AwardCancelled, nil)
	}
	if err != nil {
		return s.state(), err
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return s.state(), err
	}
	return s.state(), nil
}

func (s *solicitation) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, contract.StateQuery, func() (contract.SolicitationState, error) { return s.state(), nil }); err != nil {
		return err
	}
	handlers := []struct {
		name      string
		handler   any
		validator any
	}{
		{contract.SubmitBidUpdate, s.submitBid, s.validateBid},
		{contract.ReviseBidUpdate, s.reviseBid, s.validateRevision},
		{contract.WithdrawBidUpdate, s.withdrawBid, s.validateBidAction},
		{contract.ConfirmBidUpdate, s.confirmBid, s.validateConfirmation},
		{contract.AskQuestionUpdate, s.askQuestion, s.validateQuestion},
		{contract.AnswerQuestionUpdate, s.answerQuestion, s.validateAnswer},
		{contract.AmendUpdate, s.amend, s.validateAmendment},
		{contract.CancelUpdate, s.cancel, s.validateCancel},
		{contract.RecommendAwardUpdate, s.recommend, s.validateRecommendation},
		{contract.ScoreFitUpdate, s.scoreFit, s.validateFit},
		{contract.FileProtestUpdate, s.fileProtest, s.validateProtest},
		{contract.ResolveProtestUpdate, s.resolveProtest, s.validateResolution},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler, workflow.UpdateHandlerOptions{Validator: h.validator}); err != nil {
			return err
		}
	}
	return s.awardGate.register(ctx)
}

func (s *solicitation) officer(a contract.Actor) error {
	if a.Role != domain.RoleOfficer || a.OrgID != s.in.AgencyOrgID {
		return rejection(domain.ErrForbidden, "only a procurement officer of the issuing agency may do this; you are signed in as %s", a.Role)
	}
	return nil
}

// publishNotice publishes the open-contracting release as things stand.
func (s *solicitation) publishNotice(ctx workflow.Context) error {
	return workflow.ExecuteActivity(withActivityOptions(ctx), contract.PublishNotice, s.in.SolicitationID, workflow.Now(ctx)).Get(ctx, nil)
}

// ---- the run ----------------------------------------------------------------

func (s *solicitation) run(ctx workflow.Context) error {
	if err := s.indexSolicitation(ctx); err != nil {
		return err
	}
	if err := s.publishNotice(ctx); err != nil {
		return err
	}
	if err := s.bidding(ctx); err != nil || s.cancelled {
		return err
	}
	s.status = domain.SolicitationClosed
	// A bid validated just before the deadline is still being recorded: let it land.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	if err := s.excludeUnconfirmed(ctx); err != nil {
		return err
	}
	if err := s.transition(ctx, domain.SolicitationClosed, map[string]any{"bids": len(s.bids)}); err != nil {
		return err
	}
	if len(s.bids) == 0 {
		s.status = domain.SolicitationEvaluated
		return s.transition(ctx, domain.SolicitationEvaluated, map[string]any{"reason": "no bids were submitted"})
	}
	s.status = domain.SolicitationEvaluating
	if err := s.transition(ctx, domain.SolicitationEvaluating, nil); err != nil {
		return err
	}
	if err := s.evaluateAll(ctx); err != nil || s.cancelled {
		return err
	}
	if err := s.rank(ctx, map[string]any{"event": "evaluation complete"}); err != nil {
		return err
	}
	s.status = domain.SolicitationEvaluated
	if err := s.transition(ctx, domain.SolicitationEvaluated, map[string]any{"outcomes": s.outcomes}); err != nil {
		return err
	}
	return s.awarding(ctx)
}

// ---- helpers ------------------------------------------------------------------

func (s *solicitation) transition(ctx workflow.Context, status domain.SolicitationStatus, detail map[string]any) error {
	if err := s.indexStatus(ctx, status); err != nil {
		return err
	}
	return workflow.ExecuteActivity(withActivityOptions(ctx), contract.SetSolicitationStatus, contract.StatusChange{
		SolicitationID: s.in.SolicitationID, Status: status, At: workflow.Now(ctx), Detail: detail,
	}).Get(ctx, nil)
}

// currentStatus is the status the solicitation shows now.
func (s *solicitation) currentStatus() domain.SolicitationStatus {
	if s.cancelled {
		return domain.SolicitationCancelled
	}
	return s.status
}

func (s *solicitation) state() contract.SolicitationState {
	st := contract.SolicitationState{Status: s.currentStatus(), Deadline: s.deadline, Evaluations: s.outcomes, Ranking: s.ranking,
		Award: s.award, AwardTask: s.awardGate.task, Protests: s.protests, Questions: s.questionOrder}
	if s.cancelled {
		st.Cancelled = s.cancelReason
	}
	for _, b := range s.bids {
		st.Bids = append(st.Bids, b.ID)
		if s.unconfirmed[b.ID] {
			st.Unconfirmed = append(st.Unconfirmed, b.ID)
		}
	}
	return st
}
