package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// SolicitationWorkflow: enquiries and amendments: questions and answers, amendments and cancellation.

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
