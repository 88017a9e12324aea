package tender

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/visibility"
	"github.com/modeltender/modeltender/policies"
)

// Terms are what an officer writes into a draft: the body of POST
// /solicitations and of PATCH /solicitations/{id}, and the draft form.
type Terms struct {
	Title                string `json:"title"`
	Description          string `json:"description"`
	RiskTier             string `json:"risk_tier"`
	Deadline             string `json:"deadline"`
	ExpectedMonthlyUsers *int64 `json:"expected_monthly_users"`
	MinimumOpennessClass string `json:"minimum_openness_class"`
	// UseCases are the classes of intended use (GET /api/v1/use-cases)
	// that license use restrictions are weighed against.
	UseCases []string `json:"use_cases"`
	// Optional: how qualified candidates are weighed (openness, safety,
	// price, fit, summing to 1), the standstill after award approval and the
	// least notice vendors keep after an amendment, in days.
	Weights             *domain.ScoringWeights `json:"weights"`
	StandstillDays      *float64               `json:"standstill_days"`
	AmendmentNoticeDays *float64               `json:"amendment_notice_days"`
	// OpennessPoints are the preference points per MOF class (default I 30, II 20, III 10).
	OpennessPoints *domain.PreferencePoints `json:"openness_preference_points"`
	// EnquiryPeriodDays closes questions that many days after publication.
	EnquiryPeriodDays *float64 `json:"enquiry_period_days"`
	// Packs are the policy packs to apply (GET /api/v1/policy-packs); none
	// takes the defaults for the risk tier and, when LargeLanguageModel,
	// those for buying a large language model (OMB M-26-04).
	Packs              []string `json:"packs"`
	LargeLanguageModel bool     `json:"large_language_model"`
	// RequireOSAID disqualifies candidates that do not conform to the Open
	// Source AI Definition 1.0; OSAIDPreferencePoints (0-100) reward those
	// that do.
	RequireOSAID          bool `json:"require_osaid"`
	OSAIDPreferencePoints *int `json:"osaid_preference_points"`
}

// Validate names every field of t that is wrong at time now.
func (s *Service) Validate(t Terms, now time.Time) (time.Time, []domain.FieldError) {
	var errs []domain.FieldError
	if strings.TrimSpace(t.Title) == "" {
		errs = append(errs, domain.FieldError{Field: "title", Message: "is required: name what the agency is buying"})
	}
	if t.RiskTier != string(domain.RiskStandard) && t.RiskTier != string(domain.RiskHighImpact) {
		errs = append(errs, domain.FieldError{Field: "risk_tier", Message: fmt.Sprintf("%q is not a risk tier: use \"standard\" or \"high-impact\"", t.RiskTier)})
	}
	deadline, err := time.Parse(time.RFC3339, t.Deadline)
	switch {
	case err != nil:
		errs = append(errs, domain.FieldError{Field: "deadline", Message: fmt.Sprintf("%q is not an RFC 3339 time: write it like 2026-12-31T17:00:00Z", t.Deadline)})
	case !deadline.After(now):
		errs = append(errs, domain.FieldError{Field: "deadline", Message: "is in the past: choose a time after now"})
	}
	if t.ExpectedMonthlyUsers == nil || *t.ExpectedMonthlyUsers < 0 {
		errs = append(errs, domain.FieldError{Field: "expected_monthly_users", Message: "is required and must be 0 or more: license user caps are checked against it"})
	}
	switch t.MinimumOpennessClass {
	case "", "I", "II", "III":
	default:
		errs = append(errs, domain.FieldError{Field: "minimum_openness_class", Message: fmt.Sprintf("%q is not a Model Openness Framework class: use \"I\", \"II\" or \"III\", or leave it out", t.MinimumOpennessClass)})
	}
	for _, problem := range s.Licenses.CheckUseCases(t.UseCases) {
		errs = append(errs, domain.FieldError{Field: "use_cases", Message: problem})
	}
	if w := t.Weights; w != nil {
		if sum := w.Openness + w.Safety + w.Price + w.Fit; w.Openness < 0 || w.Safety < 0 || w.Price < 0 || w.Fit < 0 || sum < 0.999 || sum > 1.001 {
			errs = append(errs, domain.FieldError{Field: "weights", Message: fmt.Sprintf("openness, safety, price and fit must be 0 or more and sum to 1 (they sum to %.3f)", sum)})
		}
	}
	if p := t.OpennessPoints; p != nil && (p.ClassI < p.ClassII || p.ClassII < p.ClassIII || p.ClassIII < 0) {
		errs = append(errs, domain.FieldError{Field: "openness_preference_points", Message: "points must not decrease from class III to class I, and not be negative"})
	}
	if d := t.EnquiryPeriodDays; d != nil && (*d <= 0 || !deadline.After(now.Add(domain.Days(*d)))) {
		errs = append(errs, domain.FieldError{Field: "enquiry_period_days", Message: "must be more than 0 and end before the deadline; leave it out to take questions until the deadline"})
	}
	if t.StandstillDays != nil && (*t.StandstillDays < 0 || *t.StandstillDays > 60) {
		errs = append(errs, domain.FieldError{Field: "standstill_days", Message: "must be between 0 and 60 days"})
	}
	if t.AmendmentNoticeDays != nil && (*t.AmendmentNoticeDays < 0 || *t.AmendmentNoticeDays > 60) {
		errs = append(errs, domain.FieldError{Field: "amendment_notice_days", Message: "must be between 0 and 60 days"})
	}
	if unknown := s.unknownPacks(t.Packs); len(unknown) > 0 {
		errs = append(errs, domain.FieldError{Field: "packs", Message: fmt.Sprintf("%s: no such policy pack; choose from %s",
			strings.Join(unknown, ", "), strings.Join(s.packIDs(), ", "))})
	}
	if p := t.OSAIDPreferencePoints; p != nil && (*p < 0 || *p > 100) {
		errs = append(errs, domain.FieldError{Field: "osaid_preference_points", Message: "must be a whole number from 0 to 100"})
	}
	return deadline, errs
}

// Draft validates and stores a new draft of the officer's agency.
func (s *Service) Draft(ctx context.Context, u domain.User, t Terms) (domain.Solicitation, error) {
	if err := s.Authorize(ctx, u, "solicitation:create"); err != nil {
		return domain.Solicitation{}, err
	}
	now := s.Now()
	sol := domain.Solicitation{ID: domain.NewID("sol"), AgencyOrgID: u.OrgID, Status: domain.SolicitationDraft, CreatedBy: u.ID, CreatedAt: now.UTC()}
	if err := s.applyTerms(&sol, t, now); err != nil {
		return sol, err
	}
	if u.OrgID == "" {
		return domain.Solicitation{}, domain.Errorf(domain.ErrForbidden, "your user belongs to no agency: recreate it with `modeltender users add --org AGENCY`")
	}
	return sol, s.Store.CreateSolicitation(ctx, sol)
}

// EditDraft validates and stores new terms for a draft of the officer's
// agency. After publication only an amendment changes a solicitation.
func (s *Service) EditDraft(ctx context.Context, u domain.User, id string, t Terms) (domain.Solicitation, error) {
	sol, err := s.AgencySolicitation(ctx, u, id)
	if err != nil {
		return sol, err
	}
	now := s.Now()
	if err := s.applyTerms(&sol, t, now); err != nil {
		return sol, err
	}
	// The new terms and their audit row commit together or not at all.
	return sol, s.Store.UpdateDraft(ctx, sol, auditEvent(u, "solicitation.edited", "solicitation", sol.ID, sol.ID, now,
		map[string]any{"deadline": sol.Deadline, "risk_tier": sol.RiskTier, "weights": sol.Weights, "use_cases": sol.UseCases}))
}

// applyTerms validates t and sets the terms it names on sol, with defaults
// for the optional ones: what drafting and editing have in common.
func (s *Service) applyTerms(sol *domain.Solicitation, t Terms, now time.Time) error {
	deadline, fields := s.Validate(t, now)
	if len(fields) > 0 {
		return domain.InvalidFields("the solicitation is not valid; see errors", fields)
	}
	sol.Weights, sol.StandstillDays, sol.AmendmentNoticeDays = domain.DefaultWeights, 10, 3
	if t.Weights != nil {
		sol.Weights = *t.Weights
	}
	if t.StandstillDays != nil {
		sol.StandstillDays = *t.StandstillDays
	}
	if t.AmendmentNoticeDays != nil {
		sol.AmendmentNoticeDays = *t.AmendmentNoticeDays
	}
	sol.Title, sol.Description, sol.RiskTier = strings.TrimSpace(t.Title), t.Description, domain.RiskTier(t.RiskTier)
	sol.Deadline, sol.ExpectedMonthlyUsers, sol.MinimumOpennessClass = deadline.UTC(), *t.ExpectedMonthlyUsers, t.MinimumOpennessClass
	sol.OpennessPoints, sol.EnquiryPeriodDays = t.OpennessPoints, t.EnquiryPeriodDays
	sol.UseCases = nonNil(slices.Clone(t.UseCases))
	sol.LargeLanguageModel, sol.RequireOSAID, sol.OSAIDPreferencePoints = t.LargeLanguageModel, t.RequireOSAID, 0
	if t.OSAIDPreferencePoints != nil {
		sol.OSAIDPreferencePoints = *t.OSAIDPreferencePoints
	}
	sol.Packs = slices.Compact(slices.Clone(t.Packs))
	if len(sol.Packs) == 0 {
		sol.Packs = policies.DefaultsFor(s.Packs, sol.RiskTier, sol.LargeLanguageModel)
	}
	return nil
}

// packIDs lists the policy packs of this process's bundle.
func (s *Service) packIDs() []string {
	ids := make([]string, len(s.Packs))
	for i, p := range s.Packs {
		ids[i] = p.ID
	}
	return ids
}

// unknownPacks are the ids the bundle has no pack for.
func (s *Service) unknownPacks(ids []string) []string {
	known := s.packIDs()
	var unknown []string
	for _, id := range ids {
		if !slices.Contains(known, id) {
			unknown = append(unknown, id)
		}
	}
	return unknown
}

// PolicyPacks is the catalogue of policy packs a solicitation may apply,
// with their sources, effective dates and what each asks of vendors.
func (s *Service) PolicyPacks() []policies.Pack { return s.Packs }

// Solicitations lists the solicitations u may see.
func (s *Service) Solicitations(ctx context.Context, u domain.User) ([]domain.Solicitation, error) {
	if err := s.Authorize(ctx, u, "solicitation:read"); err != nil {
		return nil, err
	}
	sols, err := s.Store.Solicitations(ctx)
	if err != nil {
		return nil, err
	}
	visible := sols[:0]
	for _, sol := range sols {
		if canSee(u, sol) {
			visible = append(visible, sol)
		}
	}
	return visible, nil
}

// canSee holds u to the table's terms (internal/visibility): a draft only
// the agency that drafts it sees.
func canSee(u domain.User, sol domain.Solicitation) bool {
	return sees(u, sol, "", visibility.Terms)
}

// Solicitation loads a solicitation u may see.
func (s *Service) Solicitation(ctx context.Context, u domain.User, id string) (domain.Solicitation, error) {
	if err := s.Authorize(ctx, u, "solicitation:read"); err != nil {
		return domain.Solicitation{}, err
	}
	return s.visibleSolicitation(ctx, u, id)
}

func (s *Service) visibleSolicitation(ctx context.Context, u domain.User, id string) (domain.Solicitation, error) {
	sol, err := s.Store.Solicitation(ctx, id)
	if err != nil {
		return sol, err
	}
	if !canSee(u, sol) {
		return sol, domain.Errorf(domain.ErrNotFound, "no solicitation %s", sol.ID)
	}
	return sol, nil
}

// AgencySolicitation loads a solicitation of the officer's own agency: the
// ones its officers may edit, publish and run.
func (s *Service) AgencySolicitation(ctx context.Context, u domain.User, id string) (domain.Solicitation, error) {
	if err := s.Authorize(ctx, u, "solicitation:create"); err != nil {
		return domain.Solicitation{}, err
	}
	return s.issuedSolicitation(ctx, u, id, "solicitation:edit")
}

// issuedSolicitation loads a solicitation for a change u makes as agency
// staff, refusing staff of any agency but the issuing one before anything
// is sent or written; permission names the change for the refusal.
func (s *Service) issuedSolicitation(ctx context.Context, u domain.User, id, permission string) (domain.Solicitation, error) {
	sol, err := s.Store.Solicitation(ctx, id)
	if err != nil {
		return sol, err
	}
	return sol, requireIssuingAgency(u, sol, permission)
}

// requireIssuingAgency refuses a change to sol by agency staff (or a user
// of no vendor) of any agency but the one that issued it; vendors act on
// every agency's solicitations. The workflow's validators refuse the same.
func requireIssuingAgency(u domain.User, sol domain.Solicitation, permission string) error {
	if visibility.VendorSide(u) || (u.OrgID != "" && u.OrgID == sol.AgencyOrgID) {
		return nil
	}
	return domain.Errorf(domain.ErrForbidden, "solicitation %s belongs to another agency: only an officer of the agency that issued it (%s) may %s",
		sol.ID, sol.AgencyOrgID, agencyChange(permission))
}

// agencyChange says what a permission lets the issuing agency's officer do.
func agencyChange(permission string) string {
	switch permission {
	case "solicitation:edit":
		return "edit it"
	case "solicitation:publish":
		return "publish it"
	case "solicitation:cancel":
		return "cancel it"
	case "solicitation:amend":
		return "amend it"
	case "question:answer":
		return "answer its questions"
	case "award:recommend":
		return "score its candidates, recommend, and act on its awards"
	case "protest:decide":
		return "decide its protests"
	case "task:assign":
		return "assign reviewers to its tasks or approve them with an exception"
	}
	return strings.ReplaceAll(permission, ":", " ") + " on it"
}

// Publish freezes the criteria and the policy revision and starts the
// solicitation's workflow; if the workflow cannot start, nothing stays published.
func (s *Service) Publish(ctx context.Context, u domain.User, id string) (domain.Solicitation, error) {
	if err := s.Authorize(ctx, u, "solicitation:publish"); err != nil {
		return domain.Solicitation{}, err
	}
	sol, err := s.issuedSolicitation(ctx, u, id, "solicitation:publish")
	if err != nil {
		return sol, err
	}
	if sol.Status != domain.SolicitationDraft {
		return sol, domain.Errorf(domain.ErrConflict, "solicitation %s is not a draft: it is already %s, published on %s", sol.ID, sol.Status, publishedOn(sol))
	}
	now := s.Now()
	if !sol.Deadline.After(now) {
		return sol, domain.Errorf(domain.ErrDeadlinePassed, "the deadline %s has already passed: edit the draft with a later deadline, then publish", sol.Deadline.Format(time.RFC3339))
	}
	if unknown := s.unknownPacks(sol.Packs); len(unknown) > 0 {
		return sol, domain.Errorf(domain.ErrConflict, "the draft names policy packs the current policy bundle does not have (%s): edit the draft's packs, then publish", strings.Join(unknown, ", "))
	}
	revision := s.Policies.Revision()
	// The publication and its audit row commit together; if the workflow
	// cannot start, its reversal and the row that says so do too.
	if err := s.Store.MarkPublished(ctx, sol.ID, revision, now.UTC(), auditEvent(u, "solicitation.published", "solicitation", sol.ID, sol.ID, now,
		map[string]any{"policy_revision": revision, "deadline": sol.Deadline, "risk_tier": sol.RiskTier, "use_cases": sol.UseCases, "packs": sol.Packs})); err != nil {
		return sol, err
	}
	sol.Status, sol.PolicyRevision = domain.SolicitationPublished, revision
	_, err = s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        contract.SolicitationWorkflowID(sol.ID),
		TaskQueue: s.TaskQueue,
	}, contract.SolicitationWorkflow, contract.SolicitationInput{
		SolicitationID: sol.ID, AgencyOrgID: sol.AgencyOrgID, Criteria: sol.Criteria(), Deadline: sol.Deadline,
		Weights: sol.Weights, StandstillDays: sol.StandstillDays, AmendmentNoticeDays: sol.AmendmentNoticeDays,
		EnquiryEnd: enquiryEnd(sol, now),
	})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		// A fresh context: the request's may be what failed the start.
		revertCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if rerr := s.Store.RevertPublished(revertCtx, sol.ID, auditEvent(u, "solicitation.publication-reverted", "solicitation", sol.ID, sol.ID, s.Now(),
			map[string]any{"reason": "the solicitation workflow could not be started"})); rerr != nil {
			s.Log.Error("revert publication", "solicitation", sol.ID, "error", rerr)
		}
		return sol, &domain.Error{Kind: domain.ErrUnavailable, Message: "could not start the solicitation workflow; nothing was published, try again", Err: err}
	}
	return s.Store.Solicitation(ctx, sol.ID)
}

func publishedOn(sol domain.Solicitation) string {
	if sol.PublishedAt == nil {
		return "an earlier date"
	}
	return sol.PublishedAt.Format(time.RFC3339)
}

// enquiryEnd is when questions close: the enquiry period after publication,
// or the zero time when questions stay open until the deadline.
func enquiryEnd(sol domain.Solicitation, publishedAt time.Time) time.Time {
	if sol.EnquiryPeriodDays == nil {
		return time.Time{}
	}
	return publishedAt.UTC().Add(domain.Days(*sol.EnquiryPeriodDays))
}

// running sends an update to the workflow of a solicitation u may see, once
// permission is checked; afterClose refuses it while bids are sealed.
func (s *Service) running(ctx context.Context, u domain.User, permission, solicitationID string, afterClose bool, name string, arg, out any) error {
	if err := s.Authorize(ctx, u, permission); err != nil {
		return err
	}
	sol, err := s.visibleSolicitation(ctx, u, solicitationID)
	if err != nil {
		return err
	}
	if err := requireIssuingAgency(u, sol, permission); err != nil {
		return err
	}
	if afterClose && !Closed(sol) {
		return domain.Errorf(domain.ErrConflict, "solicitation %s is %s: this step comes after the deadline (%s), once bids are opened", sol.ID, sol.Status, sol.Deadline.Format(time.RFC3339))
	}
	return s.update(ctx, contract.SolicitationWorkflowID(sol.ID), name, arg, out)
}

// Cancel cancels a solicitation before award and returns it as it now stands.
func (s *Service) Cancel(ctx context.Context, u domain.User, solicitationID, reason string) (domain.Solicitation, error) {
	if err := required(map[string]string{"reason": reason}); err != nil {
		return domain.Solicitation{}, err
	}
	if err := s.running(ctx, u, "solicitation:cancel", solicitationID, false, contract.CancelUpdate,
		contract.CancelRequest{Actor: actor(u), Reason: reason}, nil); err != nil {
		return domain.Solicitation{}, err
	}
	return s.Store.Solicitation(ctx, solicitationID)
}

// Amendment is an officer's change to a published solicitation; NewDeadline
// (RFC 3339) moves the deadline, "" keeps it. AdoptCurrentRevision makes
// the solicitation's candidates judged under the policy revision this
// service runs instead of the one frozen at publication.
type Amendment struct {
	Description          string `json:"description"`
	NewDeadline          string `json:"new_deadline"`
	AdoptCurrentRevision bool   `json:"adopt_current_revision,omitempty"`
}

// Amend publishes an amendment; every bid must then be confirmed or revised.
func (s *Service) Amend(ctx context.Context, u domain.User, solicitationID string, a Amendment) (domain.Amendment, error) {
	var out domain.Amendment
	if err := required(map[string]string{"description": a.Description}); err != nil {
		return out, err
	}
	req := contract.AmendRequest{Actor: actor(u), ID: domain.NewID("amd"), Description: a.Description}
	if a.NewDeadline != "" {
		d, err := time.Parse(time.RFC3339, a.NewDeadline)
		if err != nil {
			return out, domain.InvalidFields("the amendment is not valid", []domain.FieldError{{Field: "new_deadline",
				Message: "is not an RFC 3339 time: write it like 2026-12-31T17:00:00Z"}})
		}
		req.NewDeadline = &d
	}
	if a.AdoptCurrentRevision {
		req.AdoptRevision = s.Policies.Revision()
	}
	return out, s.running(ctx, u, "solicitation:amend", solicitationID, false, contract.AmendUpdate, req, &out)
}

// Amendments lists a solicitation's amendments.
func (s *Service) Amendments(ctx context.Context, u domain.User, solicitationID string) ([]domain.Amendment, error) {
	sol, err := s.Solicitation(ctx, u, solicitationID)
	if err != nil {
		return nil, err
	}
	list, err := s.Store.Amendments(ctx, sol.ID)
	return nonNil(list), err
}

// Ask is a vendor's question on a published solicitation.
func (s *Service) Ask(ctx context.Context, u domain.User, solicitationID, question string) (domain.Question, error) {
	var out domain.Question
	if err := required(map[string]string{"question": question}); err != nil {
		return out, err
	}
	return out, s.running(ctx, u, "question:ask", solicitationID, false, contract.AskQuestionUpdate,
		contract.QuestionRequest{Actor: actor(u), ID: domain.NewID("qst"), Question: question}, &out)
}

// Answer is the officer's answer to a question, published to every vendor.
func (s *Service) Answer(ctx context.Context, u domain.User, solicitationID, questionID, answer string) (domain.Question, error) {
	var out domain.Question
	if err := required(map[string]string{"answer": answer}); err != nil {
		return out, err
	}
	return out, s.running(ctx, u, "question:answer", solicitationID, false, contract.AnswerQuestionUpdate,
		contract.AnswerRequest{Actor: actor(u), QuestionID: questionID, Answer: answer}, &out)
}

// Questions publishes the questions and answers to everyone who can see the
// solicitation, without naming who asked.
func (s *Service) Questions(ctx context.Context, u domain.User, solicitationID string) ([]domain.Question, error) {
	sol, err := s.Solicitation(ctx, u, solicitationID)
	if err != nil {
		return nil, err
	}
	qs, err := s.Store.Questions(ctx, sol.ID)
	for i := range qs {
		qs[i] = qs[i].Anonymised()
	}
	return nonNil(qs), err
}

// Closed says whether a solicitation's bids are open to the agency: its
// deadline passed and it was not cancelled before (internal/visibility).
func Closed(sol domain.Solicitation) bool {
	return visibility.Opened(visibility.PhaseOf(sol))
}
