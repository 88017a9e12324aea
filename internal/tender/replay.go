package tender

import (
	"context"
	"errors"
	"slices"

	"github.com/modeltender/modeltender/internal/auditlog"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/visibility"
)

// ReplayEvaluation re-runs a recorded evaluation for an auditor, as
// `modeltender audit replay` does, from the stored manifest version,
// criteria, frozen revision and as-of date; the result says whether the
// decision came out the same, or how it differs.
func (s *Service) ReplayEvaluation(ctx context.Context, u domain.User, evaluationID string) (auditlog.Replay, error) {
	if err := s.Authorize(ctx, u, "audit:read"); err != nil {
		return auditlog.Replay{}, err
	}
	r, err := auditlog.ReplayDecision(ctx, s.Store, s.Check, evaluationID)
	if errors.Is(err, auditlog.ErrRulesUnavailable) {
		return r, &domain.Error{Kind: domain.ErrUnavailable, Message: err.Error() + "; restore the bundle of that revision and try again", Err: err}
	}
	if err != nil {
		return r, err
	}
	// The evaluation's solicitation must be one whose trail u may audit.
	sol, err := s.Solicitation(ctx, u, r.SolicitationID)
	if err == nil {
		err = see(u, sol, "", visibility.Audit, "the evaluations of solicitation "+sol.ID)
	}
	if err != nil {
		return auditlog.Replay{}, err
	}
	return r, nil
}

// DeliveryPage is an award's delivery check as the officer's page shows it:
// the award with what it pins, its solicitation and its candidate's name.
type DeliveryPage struct {
	Award     domain.Award
	Sol       domain.Solicitation
	Candidate string
	// Tasks are the open tasks on the awarded model: re-attestations after
	// a vendor's change notice, reviews of reported outputs, delivery
	// mismatches. Severities are the report form's choices.
	Tasks      []domain.Task
	Severities []string
}

// DeliveryPage gathers the delivery check page of an award of the
// officer's agency.
func (s *Service) DeliveryPage(ctx context.Context, u domain.User, awardID string) (DeliveryPage, error) {
	if err := s.Authorize(ctx, u, "award:recommend"); err != nil {
		return DeliveryPage{}, err
	}
	aw, err := s.Store.Award(ctx, awardID)
	if err != nil {
		return DeliveryPage{}, err
	}
	sol, err := s.issuedSolicitation(ctx, u, aw.SolicitationID, "award:recommend")
	if err != nil {
		return DeliveryPage{}, err
	}
	cand, err := s.Store.Candidate(ctx, aw.CandidateID)
	if err != nil {
		return DeliveryPage{}, err
	}
	tasks, err := s.Store.AgencyTasks(ctx, sol.AgencyOrgID)
	if err != nil {
		return DeliveryPage{}, err
	}
	tasks = slices.DeleteFunc(tasks, func(t domain.Task) bool { return t.CandidateID != aw.CandidateID || t.Kind == domain.TaskAwardApproval })
	return DeliveryPage{Award: aw, Sol: sol, Candidate: cand.Name, Tasks: tasks, Severities: ReportSeverities}, nil
}
