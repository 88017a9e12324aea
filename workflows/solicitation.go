package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/activities"
	"github.com/modeltender/modeltender/internal/domain"
)

// SolicitationInput is frozen at publication: the criteria and the policy
// revision every candidate will be evaluated under.
type SolicitationInput struct {
	SolicitationID string          `json:"solicitation_id"`
	Criteria       domain.Criteria `json:"criteria"`
	Deadline       time.Time       `json:"deadline"`
}

// SubmitBidRequest is a vendor's bid, already validated by the API.
type SubmitBidRequest struct {
	Bid           domain.Bid  `json:"bid"`
	SubmitterRole domain.Role `json:"submitter_role"`
}

// SolicitationState is what the state query returns.
type SolicitationState struct {
	Status      domain.SolicitationStatus `json:"status"`
	Deadline    time.Time                 `json:"deadline"`
	Bids        []string                  `json:"bids"`
	Evaluations map[string]domain.Outcome `json:"evaluations"`
}

type solicitation struct {
	in       SolicitationInput
	status   domain.SolicitationStatus
	bids     []domain.Bid
	outcomes map[string]domain.Outcome // by evaluation workflow id
}

// SolicitationWorkflow owns one published solicitation: it accepts sealed
// bids until the deadline, then evaluates every candidate in a child workflow.
func SolicitationWorkflow(ctx workflow.Context, in SolicitationInput) (SolicitationState, error) {
	s := &solicitation{in: in, status: domain.SolicitationPublished, outcomes: map[string]domain.Outcome{}}
	if err := s.setup(ctx); err != nil {
		return s.state(), err
	}
	return s.run(ctx)
}

func (s *solicitation) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, StateQuery, func() (SolicitationState, error) { return s.state(), nil }); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, SubmitBidUpdate, s.submitBid,
		workflow.UpdateHandlerOptions{Validator: s.validateBid})
}

func (s *solicitation) validateBid(ctx workflow.Context, req SubmitBidRequest) error {
	if req.SubmitterRole != domain.RoleVendor {
		return rejection(domain.ErrForbidden, "only vendors submit bids; you are signed in as %s", req.SubmitterRole)
	}
	if s.status != domain.SolicitationPublished || !workflow.Now(ctx).Before(s.in.Deadline) {
		return rejection(domain.ErrDeadlinePassed, "the deadline for solicitation %s passed at %s; bids are no longer accepted",
			s.in.SolicitationID, s.in.Deadline.UTC().Format(time.RFC3339))
	}
	if len(req.Bid.Candidates) == 0 {
		return rejection(domain.ErrInvalid, "a bid needs at least one candidate model")
	}
	for _, b := range s.bids {
		if b.ID == req.Bid.ID {
			return rejection(domain.ErrConflict, "bid %s is already registered", b.ID)
		}
	}
	return nil
}

func (s *solicitation) submitBid(ctx workflow.Context, req SubmitBidRequest) (string, error) {
	// Registered before the activity runs, so a concurrent duplicate fails validation.
	s.bids = append(s.bids, req.Bid)
	if err := workflow.ExecuteActivity(withActivityOptions(ctx), a.RecordBid, req.Bid).Get(ctx, nil); err != nil {
		s.bids = s.bids[:len(s.bids)-1]
		return "", err
	}
	return req.Bid.ID, nil
}

func (s *solicitation) run(ctx workflow.Context) (SolicitationState, error) {
	if wait := s.in.Deadline.Sub(workflow.Now(ctx)); wait > 0 {
		if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return false }); err != nil {
			return s.state(), err
		}
	}
	s.status = domain.SolicitationClosed
	// A bid validated just before the deadline is still being recorded: let it land.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return s.state(), err
	}
	if err := s.transition(ctx, domain.SolicitationClosed, map[string]any{"bids": len(s.bids)}); err != nil {
		return s.state(), err
	}
	if len(s.bids) == 0 {
		s.status = domain.SolicitationEvaluated
		return s.state(), s.transition(ctx, domain.SolicitationEvaluated, map[string]any{"reason": "no bids were submitted"})
	}
	s.status = domain.SolicitationEvaluating
	if err := s.transition(ctx, domain.SolicitationEvaluating, nil); err != nil {
		return s.state(), err
	}
	if err := s.evaluateAll(ctx); err != nil {
		return s.state(), err
	}
	s.status = domain.SolicitationEvaluated
	return s.state(), s.transition(ctx, domain.SolicitationEvaluated, map[string]any{"outcomes": s.outcomes})
}

// evaluateAll starts one EvaluationWorkflow per candidate and waits for all.
func (s *solicitation) evaluateAll(ctx workflow.Context) error {
	type child struct {
		id     string
		future workflow.ChildWorkflowFuture
	}
	var children []child
	for _, b := range s.bids {
		for _, c := range b.Candidates {
			id := EvaluationWorkflowID(b.ID, c.ID)
			cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: id})
			f := workflow.ExecuteChildWorkflow(cctx, EvaluationWorkflow, EvaluationInput{
				Ref: activities.EvaluationRef{
					SolicitationID: s.in.SolicitationID, BidID: b.ID, CandidateID: c.ID,
					VendorOrgID: b.VendorOrgID, WorkflowID: id,
				},
				Criteria: s.in.Criteria,
				AsOf:     s.in.Deadline,
			})
			children = append(children, child{id: id, future: f})
		}
	}
	for _, c := range children {
		var res EvaluationResult
		if err := c.future.Get(ctx, &res); err != nil {
			return err
		}
		s.outcomes[c.id] = res.Outcome
	}
	return nil
}

func (s *solicitation) transition(ctx workflow.Context, status domain.SolicitationStatus, detail map[string]any) error {
	return workflow.ExecuteActivity(withActivityOptions(ctx), a.SetSolicitationStatus, activities.StatusChange{
		SolicitationID: s.in.SolicitationID, Status: status, At: workflow.Now(ctx), Detail: detail,
	}).Get(ctx, nil)
}

func (s *solicitation) state() SolicitationState {
	st := SolicitationState{Status: s.status, Deadline: s.in.Deadline, Evaluations: s.outcomes}
	for _, b := range s.bids {
		st.Bids = append(st.Bids, b.ID)
	}
	return st
}
