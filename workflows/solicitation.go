package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
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

// ---- bidding: bids, Q&A, amendments -----------------------------------------

func (s *solicitation) open(ctx workflow.Context) error {
	if s.cancelled {
		return rejection(domain.ErrConflict, "solicitation %s was cancelled: %s", s.in.SolicitationID, s.cancelReason)
	}
	if (s.status != domain.SolicitationPublished && s.status != domain.SolicitationBidding) || !workflow.Now(ctx).Before(s.deadline) {
		return rejection(domain.ErrDeadlinePassed, "the deadline for solicitation %s passed at %s; bids are no longer accepted",
			s.in.SolicitationID, s.deadline.UTC().Format(time.RFC3339))
	}
	return nil
}

func (s *solicitation) officer(a contract.Actor) error {
	if a.Role != domain.RoleOfficer || a.OrgID != s.in.AgencyOrgID {
		return rejection(domain.ErrForbidden, "only a procurement officer of the issuing agency may do this; you are signed in as %s", a.Role)
	}
	return nil
}

func (s *solicitation) bidOf(id, vendorOrg string) (int, error) {
	i := slices.IndexFunc(s.bids, func(b domain.Bid) bool { return b.ID == id })
	if i < 0 || s.bids[i].VendorOrgID != vendorOrg {
		return -1, rejection(domain.ErrNotFound, "no bid %s of your organisation on this solicitation", id)
	}
	return i, nil
}

func (s *solicitation) validateBid(ctx workflow.Context, req contract.SubmitBidRequest) error {
	if req.SubmitterRole != domain.RoleVendor {
		return rejection(domain.ErrForbidden, "only vendors submit bids; you are signed in as %s", req.SubmitterRole)
	}
	if s.bidRepeat(req) != nil {
		return nil // a retry: it gets the first answer
	}
	if err := s.open(ctx); err != nil {
		return err
	}
	if len(req.Bid.Candidates) == 0 {
		return rejection(domain.ErrInvalid, "a bid needs at least one candidate model")
	}
	for _, b := range s.bids {
		if b.ID == req.Bid.ID {
			return rejection(domain.ErrConflict, "bid %s is already registered", b.ID)
		}
		if b.VendorOrgID == req.Bid.VendorOrgID {
			return rejection(domain.ErrConflict, "your organisation already has bid %s on this solicitation: revise it instead (POST /api/v1/bids/%s/revisions)", b.ID, b.ID)
		}
	}
	return nil
}

// bidRepeat finds the answer to an earlier submission with req's
// idempotency key from the same vendor organisation.
func (s *solicitation) bidRepeat(req contract.SubmitBidRequest) *bidReply {
	if req.IdempotencyKey == "" {
		return nil
	}
	return s.bidReplies[replyKey(req.Bid.VendorOrgID, req.IdempotencyKey)]
}

func (s *solicitation) submitBid(ctx workflow.Context, req contract.SubmitBidRequest) (contract.BidResult, error) {
	if r := s.bidRepeat(req); r != nil {
		if err := workflow.Await(ctx, func() bool { return r.done }); err != nil {
			return contract.BidResult{}, err
		}
		return r.res, r.err
	}
	if req.IdempotencyKey == "" {
		return s.registerBid(ctx, req.Bid)
	}
	if s.bidReplies == nil {
		s.bidReplies = map[string]*bidReply{}
	}
	key := replyKey(req.Bid.VendorOrgID, req.IdempotencyKey)
	r := &bidReply{}
	s.bidReplies[key] = r
	res, err := s.registerBid(ctx, req.Bid)
	r.res, r.err, r.done = res, err, true
	if err != nil {
		delete(s.bidReplies, key) // nothing stands: a retry submits again
	}
	return res, err
}

func (s *solicitation) registerBid(ctx workflow.Context, b domain.Bid) (contract.BidResult, error) {
	// Registered before the activity runs, so a concurrent duplicate fails validation.
	b.Revision, b.Status = 1, domain.BidSubmitted
	s.bids = append(s.bids, b)
	actx := withActivityOptions(ctx)
	if err := workflow.ExecuteActivity(actx, contract.RecordBid, b).Get(ctx, nil); err != nil {
		s.bids = s.bids[:len(s.bids)-1]
		return contract.BidResult{}, err
	}
	return s.precheck(ctx, b)
}

// precheck runs the automated checks on a bid's candidates for its vendor.
func (s *solicitation) precheck(ctx workflow.Context, b domain.Bid) (contract.BidResult, error) {
	res := contract.BidResult{BidID: b.ID, Revision: b.Revision}
	err := workflow.ExecuteActivity(withActivityOptions(ctx), contract.Precheck, contract.PrecheckInput{
		Bid: b, Criteria: s.in.Criteria, AsOf: s.deadline, At: workflow.Now(ctx),
	}).Get(ctx, &res.Prechecks)
	return res, err
}

func (s *solicitation) validateRevision(ctx workflow.Context, req contract.SubmitBidRequest) error {
	if req.SubmitterRole != domain.RoleVendor {
		return rejection(domain.ErrForbidden, "only vendors revise bids; you are signed in as %s", req.SubmitterRole)
	}
	if err := s.open(ctx); err != nil {
		return err
	}
	i, err := s.bidOf(req.Bid.ID, req.Bid.VendorOrgID)
	if err != nil {
		return err
	}
	if req.Bid.Revision != s.bids[i].Revision+1 {
		return rejection(domain.ErrConflict, "bid %s is at revision %d; submit revision %d", req.Bid.ID, s.bids[i].Revision, s.bids[i].Revision+1)
	}
	if len(req.Bid.Candidates) == 0 {
		return rejection(domain.ErrInvalid, "a bid needs at least one candidate model; to leave the solicitation, withdraw the bid")
	}
	return nil
}

func (s *solicitation) reviseBid(ctx workflow.Context, req contract.SubmitBidRequest) (contract.BidResult, error) {
	if err := s.validateRevision(ctx, req); err != nil {
		return contract.BidResult{}, err
	}
	i, _ := s.bidOf(req.Bid.ID, req.Bid.VendorOrgID)
	req.Bid.Status = domain.BidSubmitted
	s.bids[i] = req.Bid
	delete(s.unconfirmed, req.Bid.ID) // a revision answers an amendment
	if err := workflow.ExecuteActivity(withActivityOptions(ctx), contract.ReviseBid, req.Bid).Get(ctx, nil); err != nil {
		return contract.BidResult{}, err
	}
	return s.precheck(ctx, req.Bid)
}

func (s *solicitation) validateBidAction(ctx workflow.Context, req contract.BidAction) error {
	if req.Actor.Role != domain.RoleVendor {
		return rejection(domain.ErrForbidden, "only the vendor that submitted a bid may change it")
	}
	if err := s.open(ctx); err != nil {
		return err
	}
	_, err := s.bidOf(req.BidID, req.Actor.OrgID)
	return err
}

func (s *solicitation) withdrawBid(ctx workflow.Context, req contract.BidAction) error {
	if err := s.validateBidAction(ctx, req); err != nil {
		return err
	}
	i, _ := s.bidOf(req.BidID, req.Actor.OrgID)
	s.bids = slices.Delete(s.bids, i, i+1)
	delete(s.unconfirmed, req.BidID)
	return s.setBidStatus(ctx, req.BidID, domain.BidWithdrawn, req.Actor.UserID)
}

func (s *solicitation) validateConfirmation(ctx workflow.Context, req contract.BidAction) error {
	if err := s.validateBidAction(ctx, req); err != nil {
		return err
	}
	if !s.unconfirmed[req.BidID] {
		return rejection(domain.ErrConflict, "bid %s does not need a confirmation: no amendment came after it", req.BidID)
	}
	return nil
}

func (s *solicitation) confirmBid(ctx workflow.Context, req contract.BidAction) error {
	if err := s.validateConfirmation(ctx, req); err != nil {
		return err
	}
	delete(s.unconfirmed, req.BidID)
	return s.setBidStatus(ctx, req.BidID, domain.BidSubmitted, req.Actor.UserID)
}

func (s *solicitation) setBidStatus(ctx workflow.Context, bidID, status, actor string) error {
	return workflow.ExecuteActivity(withActivityOptions(ctx), contract.SetBidStatus, contract.BidStatusChange{
		SolicitationID: s.in.SolicitationID, BidID: bidID, Status: status, Actor: actor, At: workflow.Now(ctx),
	}).Get(ctx, nil)
}

func (s *solicitation) validateQuestion(ctx workflow.Context, req contract.QuestionRequest) error {
	if req.Actor.Role != domain.RoleVendor {
		return rejection(domain.ErrForbidden, "only vendors ask questions; officers publish answers")
	}
	if err := s.open(ctx); err != nil {
		return err
	}
	if s.status == domain.SolicitationBidding {
		return rejection(domain.ErrConflict, "the enquiry period closed at %s; questions are no longer accepted", s.in.EnquiryEnd.UTC().Format(time.RFC3339))
	}
	if strings.TrimSpace(req.Question) == "" {
		return rejection(domain.ErrInvalid, "the question is empty")
	}
	if _, dup := s.questions[req.ID]; dup {
		return rejection(domain.ErrConflict, "question %s was already asked", req.ID)
	}
	return nil
}

func (s *solicitation) askQuestion(ctx workflow.Context, req contract.QuestionRequest) (domain.Question, error) {
	s.questions[req.ID] = false
	s.questionOrder = append(s.questionOrder, req.ID)
	q := domain.Question{ID: req.ID, SolicitationID: s.in.SolicitationID, VendorOrgID: req.Actor.OrgID,
		AskedBy: req.Actor.UserID, Question: req.Question, AskedAt: workflow.Now(ctx)}
	return q.Anonymised(), workflow.ExecuteActivity(withActivityOptions(ctx), contract.RecordQuestion, q).Get(ctx, nil)
}

func (s *solicitation) validateAnswer(_ workflow.Context, req contract.AnswerRequest) error {
	if err := s.officer(req.Actor); err != nil {
		return err
	}
	answered, known := s.questions[req.QuestionID]
	if !known {
		return rejection(domain.ErrNotFound, "no question %s on this solicitation", req.QuestionID)
	}
	if answered {
		return rejection(domain.ErrConflict, "question %s is already answered; publish a correction as an amendment", req.QuestionID)
	}
	if strings.TrimSpace(req.Answer) == "" {
		return rejection(domain.ErrInvalid, "the answer is empty")
	}
	return nil
}

func (s *solicitation) answerQuestion(ctx workflow.Context, req contract.AnswerRequest) (domain.Question, error) {
	if err := s.validateAnswer(ctx, req); err != nil {
		return domain.Question{}, err
	}
	s.questions[req.QuestionID] = true
	now := workflow.Now(ctx)
	q := domain.Question{ID: req.QuestionID, SolicitationID: s.in.SolicitationID, Answer: req.Answer, AnsweredBy: req.Actor.UserID, AnsweredAt: &now}
	return q.Anonymised(), workflow.ExecuteActivity(withActivityOptions(ctx), contract.RecordAnswer, q).Get(ctx, nil)
}

func (s *solicitation) validateAmendment(ctx workflow.Context, req contract.AmendRequest) error {
	if err := s.officer(req.Actor); err != nil {
		return err
	}
	if err := s.open(ctx); err != nil {
		return rejection(domain.ErrConflict, "only an open solicitation can be amended: %v", err)
	}
	if strings.TrimSpace(req.Description) == "" {
		return rejection(domain.ErrInvalid, "describe what the amendment changes")
	}
	if req.NewDeadline != nil && !req.NewDeadline.After(workflow.Now(ctx)) {
		return rejection(domain.ErrInvalid, "the new deadline %s is in the past", req.NewDeadline.UTC().Format(time.RFC3339))
	}
	if req.AdoptRevision != "" && req.AdoptRevision == s.in.Criteria.PolicyRevision {
		return rejection(domain.ErrConflict, "solicitation %s is already judged under policy revision %s; there is nothing to adopt", s.in.SolicitationID, req.AdoptRevision)
	}
	return nil
}

// amend records an amendment. Vendors keep at least the notice period after
// it: an amendment closer than that to the deadline extends the deadline.
// Every bid already in must be confirmed or revised.
func (s *solicitation) amend(ctx workflow.Context, req contract.AmendRequest) (domain.Amendment, error) {
	if err := s.validateAmendment(ctx, req); err != nil {
		return domain.Amendment{}, err
	}
	now := workflow.Now(ctx)
	deadline := s.deadline
	if req.NewDeadline != nil {
		deadline = *req.NewDeadline
	}
	if least := now.Add(domain.Days(s.in.AmendmentNoticeDays)); deadline.Before(least) {
		deadline = least
	}
	s.amendments++
	am := domain.Amendment{ID: req.ID, SolicitationID: s.in.SolicitationID, Seq: s.amendments, Description: req.Description,
		PreviousDeadline: s.deadline, NewDeadline: deadline, AmendedBy: req.Actor.UserID, AmendedAt: now}
	if req.AdoptRevision != "" {
		// Bids from now on are pre-checked, and every candidate evaluated,
		// under the adopted rules; the amendment says so.
		am.AdoptedRevision = req.AdoptRevision
		am.Description += fmt.Sprintf("\n\nThis amendment adopts policy revision %s in place of %s, frozen at publication: every candidate is evaluated under it.",
			req.AdoptRevision, s.in.Criteria.PolicyRevision)
		s.in.Criteria.PolicyRevision = req.AdoptRevision
	}
	s.deadline, s.deadlineMoved = deadline, true
	for _, b := range s.bids {
		s.unconfirmed[b.ID] = true
	}
	return am, workflow.ExecuteActivity(withActivityOptions(ctx), contract.RecordAmendment, am).Get(ctx, nil)
}

func (s *solicitation) validateCancel(_ workflow.Context, req contract.CancelRequest) error {
	if err := s.officer(req.Actor); err != nil {
		return err
	}
	if s.cancelled || s.status == domain.SolicitationAwarded {
		return rejection(domain.ErrConflict, "solicitation %s is %s and can no longer be cancelled", s.in.SolicitationID, s.currentStatus())
	}
	if strings.TrimSpace(req.Reason) == "" {
		return rejection(domain.ErrInvalid, "a cancellation needs a reason; it is published")
	}
	return nil
}

func (s *solicitation) cancel(ctx workflow.Context, req contract.CancelRequest) error {
	if err := s.validateCancel(ctx, req); err != nil {
		return err
	}
	s.cancelled, s.cancelReason = true, req.Reason
	if s.cancelEvaluaton != nil {
		s.cancelEvaluaton()
	}
	if err := s.indexStatus(ctx, domain.SolicitationCancelled); err != nil {
		return err
	}
	if err := workflow.ExecuteActivity(withActivityOptions(ctx), contract.CancelSolicitation, contract.Cancellation{
		SolicitationID: s.in.SolicitationID, Reason: req.Reason, OfficerID: req.Actor.UserID, At: workflow.Now(ctx),
	}).Get(ctx, nil); err != nil {
		return err
	}
	return s.publishNotice(ctx)
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

// bidding waits for the deadline, which amendments may move, or a cancellation.
func (s *solicitation) bidding(ctx workflow.Context) error {
	if err := s.enquiries(ctx); err != nil || s.cancelled {
		return err
	}
	for {
		wait := s.deadline.Sub(workflow.Now(ctx))
		if wait <= 0 {
			return nil
		}
		if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return s.cancelled || s.deadlineMoved }); err != nil {
			return err
		}
		if s.cancelled {
			return nil
		}
		s.deadlineMoved = false
	}
}

// enquiries holds the enquiry period, when the solicitation has one, then
// moves it to bidding: questions close, bids stay open until the deadline.
func (s *solicitation) enquiries(ctx workflow.Context) error {
	if s.in.EnquiryEnd.IsZero() || !s.in.EnquiryEnd.Before(s.deadline) {
		return nil
	}
	if wait := s.in.EnquiryEnd.Sub(workflow.Now(ctx)); wait > 0 {
		if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return s.cancelled }); err != nil || s.cancelled {
			return err
		}
	}
	s.status = domain.SolicitationBidding
	return s.transition(ctx, domain.SolicitationBidding, map[string]any{"enquiry_end": s.in.EnquiryEnd})
}

// excludeUnconfirmed drops bids not confirmed or revised after an amendment.
func (s *solicitation) excludeUnconfirmed(ctx workflow.Context) error {
	var kept []domain.Bid
	for _, b := range s.bids {
		if !s.unconfirmed[b.ID] {
			kept = append(kept, b)
			continue
		}
		if err := s.setBidStatus(ctx, b.ID, domain.BidExcluded, "system"); err != nil {
			return err
		}
	}
	s.bids = kept
	return nil
}

// evaluateAll starts one EvaluationWorkflow per candidate and waits for all;
// a cancellation cancels them.
func (s *solicitation) evaluateAll(ctx workflow.Context) error {
	cctx, cancel := workflow.WithCancel(ctx)
	s.cancelEvaluaton = cancel
	defer func() { s.cancelEvaluaton = nil }()
	type child struct {
		id     string
		future workflow.ChildWorkflowFuture
	}
	var children []child
	for _, b := range s.bids {
		for _, c := range b.Candidates {
			id := contract.EvaluationWorkflowID(b.ID, c.ID)
			opts := workflow.WithChildOptions(cctx, workflow.ChildWorkflowOptions{
				WorkflowID: id, WaitForCancellation: true,
			})
			f := workflow.ExecuteChildWorkflow(opts, EvaluationWorkflow, contract.EvaluationInput{
				Ref: contract.EvaluationRef{
					SolicitationID: s.in.SolicitationID, BidID: b.ID, CandidateID: c.ID,
					VendorOrgID: b.VendorOrgID, WorkflowID: id,
				},
				Criteria:    s.in.Criteria,
				AsOf:        s.deadline,
				TaskSLA:     s.in.TaskSLA,
				AgencyOrgID: s.in.AgencyOrgID,
			})
			children = append(children, child{id: id, future: f})
		}
	}
	for _, c := range children {
		var res contract.EvaluationResult
		if err := c.future.Get(ctx, &res); err != nil {
			if s.cancelled && temporal.IsCanceledError(err) {
				continue
			}
			return err
		}
		s.results[c.id] = res
		s.outcomes[c.id] = res.Outcome
	}
	return nil
}

// rank scores the qualified candidates with the officer's weights.
func (s *solicitation) rank(ctx workflow.Context, why map[string]any) error {
	in := contract.RankInput{SolicitationID: s.in.SolicitationID, Weights: s.in.Weights, At: workflow.Now(ctx), Why: why}
	for _, b := range s.bids {
		for _, c := range b.Candidates {
			res := s.results[contract.EvaluationWorkflowID(b.ID, c.ID)]
			var fit *float64
			if f, ok := s.fit[c.ID]; ok {
				fit = &f
			}
			in.Candidates = append(in.Candidates, contract.RankCandidate{
				CandidateID: c.ID, BidID: b.ID, VendorOrgID: b.VendorOrgID, Name: c.Name, Price: b.Price, Fit: fit,
				Result: contract.EvaluationOutcomeView{Outcome: res.Outcome, OpennessScore: res.OpennessScore, SafetyScore: res.SafetyScore},
			})
		}
	}
	return workflow.ExecuteActivity(ctx, contract.Rank, in).Get(ctx, &s.ranking)
}

func (s *solicitation) validateFit(_ workflow.Context, req contract.FitRequest) error {
	if err := s.officer(req.Actor); err != nil {
		return err
	}
	if s.cancelled || s.status != domain.SolicitationEvaluated || s.award != nil {
		return rejection(domain.ErrConflict, "fit is scored after evaluation and before an award is recommended; the solicitation is %s", s.currentStatus())
	}
	if !slices.ContainsFunc(s.ranking, func(r domain.RankedCandidate) bool { return r.CandidateID == req.CandidateID }) {
		return rejection(domain.ErrInvalid, "candidate %s is not a qualified candidate of this solicitation", req.CandidateID)
	}
	if req.Score < 0 || req.Score > 100 {
		return rejection(domain.ErrInvalid, "a fit score is between 0 and 100, not %g", req.Score)
	}
	if strings.TrimSpace(req.Note) == "" {
		return rejection(domain.ErrInvalid, "say why the candidate fits the use case this well; the note goes on the record")
	}
	return nil
}

// scoreFit records the officer's fit score and ranks the candidates again.
func (s *solicitation) scoreFit(ctx workflow.Context, req contract.FitRequest) ([]domain.RankedCandidate, error) {
	if err := s.validateFit(ctx, req); err != nil {
		return nil, err
	}
	s.fit[req.CandidateID] = req.Score
	err := s.rank(withActivityOptions(ctx), map[string]any{"event": "fit scored", "candidate_id": req.CandidateID,
		"score": req.Score, "note": req.Note, "officer": req.Actor.UserID})
	return s.ranking, err
}

// ---- award, standstill, protests ---------------------------------------------

func (s *solicitation) validateRecommendation(_ workflow.Context, req contract.RecommendRequest) error {
	if err := s.officer(req.Actor); err != nil {
		return err
	}
	if s.cancelled || s.status != domain.SolicitationEvaluated || s.award != nil {
		return rejection(domain.ErrConflict, "an award can be recommended once the evaluation is complete and no other award is pending; the solicitation is %s", s.currentStatus())
	}
	if !slices.ContainsFunc(s.ranking, func(r domain.RankedCandidate) bool { return r.CandidateID == req.CandidateID }) {
		return rejection(domain.ErrInvalid, "candidate %s is not a qualified candidate of this solicitation; recommend one from the ranking", req.CandidateID)
	}
	if strings.TrimSpace(req.Rationale) == "" {
		return rejection(domain.ErrInvalid, "write the rationale for the recommendation; it goes on the record")
	}
	return nil
}

func (s *solicitation) recommend(ctx workflow.Context, req contract.RecommendRequest) (domain.Award, error) {
	if err := s.validateRecommendation(ctx, req); err != nil {
		return domain.Award{}, err
	}
	i := slices.IndexFunc(s.ranking, func(r domain.RankedCandidate) bool { return r.CandidateID == req.CandidateID })
	aw := domain.Award{ID: req.AwardID, SolicitationID: s.in.SolicitationID, BidID: s.ranking[i].BidID, CandidateID: req.CandidateID,
		Status: domain.AwardPendingApproval, Rationale: req.Rationale, RecommendedBy: req.Actor.UserID, RecommendedAt: workflow.Now(ctx)}
	s.award, s.awardRevoked = &aw, false
	return aw, workflow.ExecuteActivity(withActivityOptions(ctx), contract.RecordAward, aw).Get(ctx, nil)
}

// awarding loops until an award stands or the solicitation is cancelled:
// wait for a recommendation, have it approved, hold the standstill and
// its protests, then award and publish the notice.
func (s *solicitation) awarding(ctx workflow.Context) error {
	for {
		if err := workflow.Await(ctx, func() bool { return s.award != nil || s.cancelled }); err != nil || s.cancelled {
			return err
		}
		s.status = domain.SolicitationAwardPending
		if err := s.transition(ctx, domain.SolicitationAwardPending, map[string]any{"award_id": s.award.ID}); err != nil {
			return err
		}
		approved, err := s.approveAward(ctx)
		if err != nil || s.cancelled {
			return err
		}
		if !approved {
			if err := s.dropAward(ctx, domain.AwardRejected); err != nil {
				return err
			}
			continue
		}
		stands, err := s.standstill(ctx)
		if err != nil || s.cancelled {
			return err
		}
		if !stands {
			if err := s.dropAward(ctx, domain.AwardCancelled); err != nil {
				return err
			}
			continue
		}
		return s.finalise(ctx)
	}
}

// approveAward opens the award approval task: one reviewer, or two distinct
// ones for a high-impact solicitation; none from a bidding organisation, not
// the officer who recommended.
func (s *solicitation) approveAward(ctx workflow.Context) (bool, error) {
	approvals := 1
	if s.in.Criteria.RiskTier == domain.RiskHighImpact {
		approvals = 2
	}
	var bidders []string
	for _, b := range s.bids {
		bidders = append(bidders, b.VendorOrgID)
	}
	winner := s.ranking[slices.IndexFunc(s.ranking, func(r domain.RankedCandidate) bool { return r.CandidateID == s.award.CandidateID })]
	findings := []domain.Finding{{
		Rule: "award.recommendation", Severity: domain.SeverityInfo,
		Message:  fmt.Sprintf("the officer recommends %s (rank %d, %.2f points) for award: %s", winner.Name, winner.Rank, winner.Total, s.award.Rationale),
		Evidence: domain.Evidence{Component: winner.Name, Quote: s.award.Rationale},
		Source:   "modeltender award procedure", Fix: "approve if the ranking and the rationale hold; reject with the reason otherwise",
	}}
	now := workflow.Now(ctx)
	due := now.Add(s.in.TaskSLA)
	task := domain.Task{
		ID: s.awardGate.nextID(s.award.ID), Kind: domain.TaskAwardApproval, Status: domain.TaskOpen,
		SolicitationID: s.in.SolicitationID, BidID: s.award.BidID, CandidateID: s.award.CandidateID,
		WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, Title: "Approve the award to " + winner.Name,
		Findings: findings, FindingsHash: domain.HashFindings(findings), Approvals: approvals, CreatedAt: now, DueAt: &due,
		ExcludedOrgIDs: bidders, ExcludedUserIDs: []string{s.award.RecommendedBy},
	}
	s.awardGate.open(task)
	if err := workflow.ExecuteActivity(ctx, contract.OpenTask, task).Get(ctx, nil); err != nil {
		return false, err
	}
	wctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	workflow.Go(wctx, func(gctx workflow.Context) {
		_ = workflow.Await(gctx, func() bool { return s.cancelled })
		cancel()
	})
	outcome, err := s.awardGate.wait(wctx, s.in.TaskSLA)
	if s.cancelled {
		return false, s.supersede(ctx, task.ID, "the solicitation was cancelled")
	}
	return outcome == gateApproved, err
}

func (s *solicitation) supersede(ctx workflow.Context, taskID, reason string) error {
	return workflow.ExecuteActivity(ctx, contract.SupersedeTask, s.in.SolicitationID, taskID, reason, workflow.Now(ctx)).Get(ctx, nil)
}

// standstill holds the award for the standstill period; it stands when the
// period is over and no protest is open, and falls when a protest is upheld.
func (s *solicitation) standstill(ctx workflow.Context) (bool, error) {
	until := workflow.Now(ctx).Add(domain.Days(s.in.StandstillDays))
	s.status = domain.SolicitationStandstill
	s.award.Status, s.award.StandstillUntil = domain.AwardStandstill, &until
	if err := s.setAwardStatus(ctx, domain.AwardStandstill, &until); err != nil {
		return false, err
	}
	if err := s.transition(ctx, domain.SolicitationStandstill, map[string]any{"award_id": s.award.ID, "standstill_until": until}); err != nil {
		return false, err
	}
	if _, err := workflow.AwaitWithTimeout(ctx, until.Sub(workflow.Now(ctx)), func() bool { return s.cancelled || s.awardRevoked }); err != nil {
		return false, err
	}
	// An open protest blocks the award until the officer decides it.
	if err := workflow.Await(ctx, func() bool { return s.cancelled || s.awardRevoked || s.openProtests() == 0 }); err != nil {
		return false, err
	}
	return !s.awardRevoked && !s.cancelled, nil
}

func (s *solicitation) openProtests() int {
	n := 0
	for _, p := range s.protests {
		if p.Outcome == "" {
			n++
		}
	}
	return n
}

func (s *solicitation) dropAward(ctx workflow.Context, status string) error {
	if err := s.setAwardStatus(ctx, status, nil); err != nil {
		return err
	}
	s.award = nil
	s.status = domain.SolicitationEvaluated
	return s.transition(ctx, domain.SolicitationEvaluated, map[string]any{"reason": "award " + status + "; the officer may recommend again"})
}

// finalise awards and publishes the open-contracting notice.
func (s *solicitation) finalise(ctx workflow.Context) error {
	s.status = domain.SolicitationAwarded
	s.award.Status = domain.AwardAwarded
	if err := s.setAwardStatus(ctx, domain.AwardAwarded, nil); err != nil {
		return err
	}
	if err := s.transition(ctx, domain.SolicitationAwarded, map[string]any{"award_id": s.award.ID, "candidate_id": s.award.CandidateID}); err != nil {
		return err
	}
	if err := s.publishNotice(ctx); err != nil {
		return err
	}
	// Post-award monitoring came after solicitations had already been
	// awarded; those replay without it.
	if workflow.GetVersion(ctx, "post-award-monitoring", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	return s.startMonitoring(ctx)
}

// startMonitoring hands the awarded model to its own long-running monitoring
// workflow, which outlives this one.
func (s *solicitation) startMonitoring(ctx workflow.Context) error {
	i := slices.IndexFunc(s.bids, func(b domain.Bid) bool { return b.ID == s.award.BidID })
	id := contract.MonitoringWorkflowID(s.award.CandidateID)
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: id, ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
	})
	child := workflow.ExecuteChildWorkflow(cctx, MonitoringWorkflow, contract.MonitoringInput{
		Ref: contract.EvaluationRef{SolicitationID: s.in.SolicitationID, BidID: s.award.BidID, CandidateID: s.award.CandidateID,
			VendorOrgID: s.bids[i].VendorOrgID, WorkflowID: id},
		Criteria: s.in.Criteria, Baseline: domain.OutcomeQualified, TaskSLA: s.in.TaskSLA, AgencyOrgID: s.in.AgencyOrgID,
	})
	return child.GetChildWorkflowExecution().Get(ctx, nil)
}

func (s *solicitation) setAwardStatus(ctx workflow.Context, status string, until *time.Time) error {
	return workflow.ExecuteActivity(ctx, contract.SetAwardStatus, contract.AwardStatusChange{
		SolicitationID: s.in.SolicitationID, AwardID: s.award.ID, Status: status, StandstillUntil: until, At: workflow.Now(ctx),
	}).Get(ctx, nil)
}

func (s *solicitation) validateProtest(_ workflow.Context, req contract.ProtestRequest) error {
	if req.Actor.Role != domain.RoleVendor {
		return rejection(domain.ErrForbidden, "only a bidding vendor may protest an award")
	}
	if s.status != domain.SolicitationStandstill || s.award == nil {
		return rejection(domain.ErrConflict, "protests are accepted during the standstill only; the solicitation is %s", s.currentStatus())
	}
	if !slices.ContainsFunc(s.bids, func(b domain.Bid) bool { return b.VendorOrgID == req.Actor.OrgID }) {
		return rejection(domain.ErrForbidden, "only vendors that bid on this solicitation may protest its award")
	}
	winner := slices.IndexFunc(s.bids, func(b domain.Bid) bool { return b.ID == s.award.BidID })
	if winner >= 0 && s.bids[winner].VendorOrgID == req.Actor.OrgID {
		return rejection(domain.ErrForbidden, "the winning vendor cannot protest its own award")
	}
	if slices.ContainsFunc(s.protests, func(p domain.Protest) bool { return p.VendorOrgID == req.Actor.OrgID && p.Outcome == "" }) {
		return rejection(domain.ErrConflict, "your organisation already has an open protest on this award")
	}
	if strings.TrimSpace(req.Grounds) == "" {
		return rejection(domain.ErrInvalid, "state the grounds of the protest")
	}
	return nil
}

func (s *solicitation) fileProtest(ctx workflow.Context, req contract.ProtestRequest) (domain.Protest, error) {
	if err := s.validateProtest(ctx, req); err != nil {
		return domain.Protest{}, err
	}
	p := domain.Protest{ID: req.ID, SolicitationID: s.in.SolicitationID, AwardID: s.award.ID, VendorOrgID: req.Actor.OrgID,
		FiledBy: req.Actor.UserID, Grounds: req.Grounds, FiledAt: workflow.Now(ctx)}
	s.protests = append(s.protests, p)
	return p, workflow.ExecuteActivity(withActivityOptions(ctx), contract.RecordProtest, p).Get(ctx, nil)
}

func (s *solicitation) validateResolution(_ workflow.Context, req contract.ResolveProtestRequest) error {
	if err := s.officer(req.Actor); err != nil {
		return err
	}
	i := slices.IndexFunc(s.protests, func(p domain.Protest) bool { return p.ID == req.ProtestID })
	if i < 0 {
		return rejection(domain.ErrNotFound, "no protest %s on this solicitation", req.ProtestID)
	}
	if s.protests[i].Outcome != "" {
		return rejection(domain.ErrConflict, "protest %s was already decided (%s)", req.ProtestID, s.protests[i].Outcome)
	}
	if req.Outcome != domain.ProtestUpheld && req.Outcome != domain.ProtestDismissed {
		return rejection(domain.ErrInvalid, "outcome %q is not known: use upheld or dismissed", req.Outcome)
	}
	if strings.TrimSpace(req.Decision) == "" {
		return rejection(domain.ErrInvalid, "a protest is resolved with a written decision")
	}
	return nil
}

func (s *solicitation) resolveProtest(ctx workflow.Context, req contract.ResolveProtestRequest) (domain.Protest, error) {
	if err := s.validateResolution(ctx, req); err != nil {
		return domain.Protest{}, err
	}
	i := slices.IndexFunc(s.protests, func(p domain.Protest) bool { return p.ID == req.ProtestID })
	now := workflow.Now(ctx)
	p := &s.protests[i]
	p.Outcome, p.Decision, p.DecidedBy, p.DecidedAt = req.Outcome, req.Decision, req.Actor.UserID, &now
	if req.Outcome == domain.ProtestUpheld {
		s.awardRevoked = true
	}
	return *p, workflow.ExecuteActivity(withActivityOptions(ctx), contract.RecordProtestDecision, *p).Get(ctx, nil)
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
