package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// SolicitationWorkflow: award and standstill: the recommendation, its approval, the standstill, the award and the monitoring that follows.

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
