package workflows

import (
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// SolicitationWorkflow: evaluation: one child workflow per candidate, the ranking and the officer's fit scores.

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
