package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/inputguard"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/web/openapi"
	"github.com/modeltender/modeltender/workflows"
)

func (s *Server) openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", openapi.Document)
}

func (s *Server) manifestSchema(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/schema+json", manifest.SchemaJSON)
}

func (s *Server) me(c echo.Context) error { return c.JSON(http.StatusOK, userOf(c)) }

func (s *Server) listUseCases(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"use_cases": s.deps.Licenses.UseCases()})
}

// decodeJSON reads a JSON body strictly: only as application/json (415
// otherwise), every string held to the text rules and its field's length
// (inputguard.CheckJSON, 422 naming each field), then unknown fields and
// trailing data are errors that say where the problem is.
func decodeJSON(c echo.Context, v any) error {
	if err := inputguard.RequireJSON(c.Request().Header.Get(echo.HeaderContentType)); err != nil {
		return err
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return domain.Errorf(domain.ErrMalformed, "the request body is empty: send a JSON object (Content-Type: application/json)")
	}
	if err := inputguard.CheckJSON(body, ""); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return domain.Errorf(domain.ErrMalformed, "the request body is not valid JSON for this endpoint: %s", describeJSONError(body, err))
	}
	if dec.More() {
		return domain.Errorf(domain.ErrMalformed, "the request body has data after the JSON object: send exactly one object")
	}
	return nil
}

func describeJSONError(body []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := 1, 1
		for i := 0; i < len(body) && int64(i) < se.Offset-1; i++ {
			if body[i] == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return fmt.Sprintf("line %d, column %d: %s", line, col, se.Error())
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be a %s, not a JSON %s", te.Field, te.Type.String(), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early: check that every { and [ is closed"
	}
	return err.Error()
}

// solicitationRequest is the body of POST /solicitations and of PATCH
// /solicitations/{id}, which replaces a draft's terms.
type solicitationRequest struct {
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
	// price, summing to 1), the standstill after award approval and the
	// least notice vendors keep after an amendment, in days.
	Weights             *domain.ScoringWeights `json:"weights"`
	StandstillDays      *float64               `json:"standstill_days"`
	AmendmentNoticeDays *float64               `json:"amendment_notice_days"`
	// OpennessPoints are the preference points per MOF class (default I 30, II 20, III 10).
	OpennessPoints *domain.PreferencePoints `json:"openness_preference_points"`
	// EnquiryPeriodDays closes questions that many days after publication.
	EnquiryPeriodDays *float64 `json:"enquiry_period_days"`
}

// validate checks the request; checkUses names what is wrong with its use
// cases (licensing.Analyzer.CheckUseCases).
func (r solicitationRequest) validate(now time.Time, checkUses func([]string) []string) (time.Time, []domain.FieldError) {
	var errs []domain.FieldError
	if strings.TrimSpace(r.Title) == "" {
		errs = append(errs, domain.FieldError{Field: "title", Message: "is required: name what the agency is buying"})
	}
	if r.RiskTier != string(domain.RiskStandard) && r.RiskTier != string(domain.RiskHighImpact) {
		errs = append(errs, domain.FieldError{Field: "risk_tier", Message: fmt.Sprintf("%q is not a risk tier: use \"standard\" or \"high-impact\"", r.RiskTier)})
	}
	deadline, err := time.Parse(time.RFC3339, r.Deadline)
	switch {
	case err != nil:
		errs = append(errs, domain.FieldError{Field: "deadline", Message: fmt.Sprintf("%q is not an RFC 3339 time: write it like 2026-12-31T17:00:00Z", r.Deadline)})
	case !deadline.After(now):
		errs = append(errs, domain.FieldError{Field: "deadline", Message: "is in the past: choose a time after now"})
	}
	if r.ExpectedMonthlyUsers == nil || *r.ExpectedMonthlyUsers < 0 {
		errs = append(errs, domain.FieldError{Field: "expected_monthly_users", Message: "is required and must be 0 or more: license user caps are checked against it"})
	}
	switch r.MinimumOpennessClass {
	case "", "I", "II", "III":
	default:
		errs = append(errs, domain.FieldError{Field: "minimum_openness_class", Message: fmt.Sprintf("%q is not a Model Openness Framework class: use \"I\", \"II\" or \"III\", or leave it out", r.MinimumOpennessClass)})
	}
	for _, problem := range checkUses(r.UseCases) {
		errs = append(errs, domain.FieldError{Field: "use_cases", Message: problem})
	}
	if w := r.Weights; w != nil {
		if sum := w.Openness + w.Safety + w.Price + w.Fit; w.Openness < 0 || w.Safety < 0 || w.Price < 0 || w.Fit < 0 || sum < 0.999 || sum > 1.001 {
			errs = append(errs, domain.FieldError{Field: "weights", Message: fmt.Sprintf("openness, safety, price and fit must be 0 or more and sum to 1 (they sum to %.3f)", sum)})
		}
	}
	if p := r.OpennessPoints; p != nil && (p.ClassI < p.ClassII || p.ClassII < p.ClassIII || p.ClassIII < 0) {
		errs = append(errs, domain.FieldError{Field: "openness_preference_points", Message: "points must not decrease from class III to class I, and not be negative"})
	}
	if d := r.EnquiryPeriodDays; d != nil && (*d <= 0 || !deadline.After(now.Add(domain.Days(*d)))) {
		errs = append(errs, domain.FieldError{Field: "enquiry_period_days", Message: "must be more than 0 and end before the deadline; leave it out to take questions until the deadline"})
	}
	if r.StandstillDays != nil && (*r.StandstillDays < 0 || *r.StandstillDays > 60) {
		errs = append(errs, domain.FieldError{Field: "standstill_days", Message: "must be between 0 and 60 days"})
	}
	if r.AmendmentNoticeDays != nil && (*r.AmendmentNoticeDays < 0 || *r.AmendmentNoticeDays > 60) {
		errs = append(errs, domain.FieldError{Field: "amendment_notice_days", Message: "must be between 0 and 60 days"})
	}
	return deadline, errs
}

// enquiryEnd is when questions close: the enquiry period after publication,
// or the zero time when questions stay open until the deadline.
func enquiryEnd(sol domain.Solicitation, publishedAt time.Time) time.Time {
	if sol.EnquiryPeriodDays == nil {
		return time.Time{}
	}
	return publishedAt.UTC().Add(domain.Days(*sol.EnquiryPeriodDays))
}

// lifecycle returns the request's lifecycle settings with defaults filled in.
func (r solicitationRequest) lifecycle() (domain.ScoringWeights, float64, float64) {
	weights, standstill, notice := domain.DefaultWeights, 10.0, 3.0
	if r.Weights != nil {
		weights = *r.Weights
	}
	if r.StandstillDays != nil {
		standstill = *r.StandstillDays
	}
	if r.AmendmentNoticeDays != nil {
		notice = *r.AmendmentNoticeDays
	}
	return weights, standstill, notice
}

func (s *Server) createSolicitation(c echo.Context) error {
	return s.saveSolicitation(c, http.StatusCreated, s.draftSolicitation)
}

func (s *Server) updateSolicitation(c echo.Context) error {
	return s.saveSolicitation(c, http.StatusOK, func(ctx context.Context, u domain.User, req solicitationRequest) (domain.Solicitation, error) {
		return s.editDraft(ctx, u, c.Param("id"), req)
	})
}

// saveSolicitation decodes a solicitation request and drafts or edits with it.
func (s *Server) saveSolicitation(c echo.Context, status int, save func(context.Context, domain.User, solicitationRequest) (domain.Solicitation, error)) error {
	u, err := s.authorize(c, "solicitation:create")
	if err != nil {
		return err
	}
	var req solicitationRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	sol, err := save(c.Request().Context(), u, req)
	if err != nil {
		return err
	}
	return c.JSON(status, sol)
}

// draftSolicitation validates and stores a new draft; the API and the web
// form both create solicitations through it.
func (s *Server) draftSolicitation(ctx context.Context, u domain.User, req solicitationRequest) (domain.Solicitation, error) {
	now := s.deps.Now()
	sol := domain.Solicitation{ID: domain.NewID("sol"), AgencyOrgID: u.OrgID, Status: domain.SolicitationDraft, CreatedBy: u.ID, CreatedAt: now.UTC()}
	if err := s.applyTerms(&sol, req, now); err != nil {
		return sol, err
	}
	if u.OrgID == "" {
		return domain.Solicitation{}, domain.Errorf(domain.ErrForbidden, "your user belongs to no agency: recreate it with `modeltender users add --org AGENCY`")
	}
	if err := s.deps.Store.CreateSolicitation(ctx, sol); err != nil {
		return sol, err
	}
	return sol, nil
}

// editDraft validates and stores new terms for a draft of the officer's
// agency; the API and the web form both edit through it. After publication
// only an amendment changes a solicitation.
func (s *Server) editDraft(ctx context.Context, u domain.User, id string, req solicitationRequest) (domain.Solicitation, error) {
	sol, err := s.agencySolicitation(ctx, u, id)
	if err != nil {
		return sol, err
	}
	now := s.deps.Now()
	if err := s.applyTerms(&sol, req, now); err != nil {
		return sol, err
	}
	if err := s.deps.Store.UpdateDraft(ctx, sol); err != nil {
		return sol, err
	}
	if err := s.deps.Store.AppendAudit(ctx, auditEvent(u, "solicitation.edited", "solicitation", sol.ID, sol.ID, now,
		map[string]any{"deadline": sol.Deadline, "risk_tier": sol.RiskTier, "weights": sol.Weights, "use_cases": sol.UseCases})); err != nil {
		return sol, err
	}
	return sol, nil
}

// applyTerms validates a request and sets the terms it names on sol, with
// defaults for the optional ones: what drafting and editing have in common.
func (s *Server) applyTerms(sol *domain.Solicitation, req solicitationRequest, now time.Time) error {
	deadline, fields := req.validate(now, s.deps.Licenses.CheckUseCases)
	if len(fields) > 0 {
		return domain.InvalidFields("the solicitation is not valid; see errors", fields)
	}
	weights, standstill, notice := req.lifecycle()
	sol.Title, sol.Description, sol.RiskTier = strings.TrimSpace(req.Title), req.Description, domain.RiskTier(req.RiskTier)
	sol.Deadline, sol.ExpectedMonthlyUsers, sol.MinimumOpennessClass = deadline.UTC(), *req.ExpectedMonthlyUsers, req.MinimumOpennessClass
	sol.Weights, sol.StandstillDays, sol.AmendmentNoticeDays = weights, standstill, notice
	sol.OpennessPoints, sol.EnquiryPeriodDays = req.OpennessPoints, req.EnquiryPeriodDays
	sol.UseCases = slices.Clone(req.UseCases)
	if sol.UseCases == nil {
		sol.UseCases = []string{}
	}
	return nil
}

func (s *Server) listSolicitations(c echo.Context) error {
	if _, err := s.authorize(c, "solicitation:read"); err != nil {
		return err
	}
	sols, err := s.deps.Store.Solicitations(c.Request().Context())
	if err != nil {
		return err
	}
	visible := sols[:0]
	for _, sol := range sols {
		if s.canSee(userOf(c), sol) {
			visible = append(visible, sol)
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"solicitations": visible})
}

// canSee hides drafts from everyone but the agency that drafts them.
func (s *Server) canSee(u domain.User, sol domain.Solicitation) bool {
	return sol.Status != domain.SolicitationDraft || u.OrgID == sol.AgencyOrgID
}

// solicitation loads the solicitation named by the :id path parameter, if the caller may see it.
func (s *Server) solicitation(c echo.Context) (domain.Solicitation, error) {
	return s.visibleSolicitation(c.Request().Context(), userOf(c), c.Param("id"))
}

func (s *Server) visibleSolicitation(ctx context.Context, u domain.User, id string) (domain.Solicitation, error) {
	sol, err := s.deps.Store.Solicitation(ctx, id)
	if err != nil {
		return sol, err
	}
	if !s.canSee(u, sol) {
		return sol, domain.Errorf(domain.ErrNotFound, "no solicitation %s", sol.ID)
	}
	return sol, nil
}

// agencySolicitation loads a solicitation of the user's own agency: the ones
// its officers may edit, publish and run.
func (s *Server) agencySolicitation(ctx context.Context, u domain.User, id string) (domain.Solicitation, error) {
	sol, err := s.visibleSolicitation(ctx, u, id)
	if err != nil {
		return sol, err
	}
	if sol.AgencyOrgID != u.OrgID {
		return sol, domain.Errorf(domain.ErrForbidden, "solicitation %s belongs to another agency", sol.ID)
	}
	return sol, nil
}

func (s *Server) getSolicitation(c echo.Context) error {
	if _, err := s.authorize(c, "solicitation:read"); err != nil {
		return err
	}
	sol, err := s.solicitation(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sol)
}

func (s *Server) publishSolicitation(c echo.Context) error {
	u, err := s.authorize(c, "solicitation:publish")
	if err != nil {
		return err
	}
	published, err := s.publish(c.Request().Context(), u, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, published)
}

// publish freezes the criteria and the policy revision and starts the
// solicitation's workflow; the API and the web UI both publish through it.
func (s *Server) publish(ctx context.Context, u domain.User, id string) (domain.Solicitation, error) {
	sol, err := s.agencySolicitation(ctx, u, id)
	if err != nil {
		return sol, err
	}
	now := s.deps.Now()
	if !sol.Deadline.After(now) {
		return sol, domain.Errorf(domain.ErrDeadlinePassed, "the deadline %s has already passed: create a new solicitation with a later deadline", sol.Deadline.Format(time.RFC3339))
	}
	revision := s.deps.Policies.Revision()
	if err := s.deps.Store.MarkPublished(ctx, sol.ID, revision, now.UTC()); err != nil {
		return sol, err
	}
	sol.Status, sol.PolicyRevision = domain.SolicitationPublished, revision
	_, err = s.deps.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        workflows.SolicitationWorkflowID(sol.ID),
		TaskQueue: s.deps.TaskQueue,
	}, workflows.SolicitationWorkflow, workflows.SolicitationInput{
		SolicitationID: sol.ID, AgencyOrgID: sol.AgencyOrgID, Criteria: sol.Criteria(), Deadline: sol.Deadline,
		Weights: sol.Weights, StandstillDays: sol.StandstillDays, AmendmentNoticeDays: sol.AmendmentNoticeDays,
		EnquiryEnd: enquiryEnd(sol, now),
	})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		if rerr := s.deps.Store.RevertPublished(ctx, sol.ID); rerr != nil {
			s.deps.Log.Error("revert publication", "solicitation", sol.ID, "error", rerr)
		}
		return sol, &domain.Error{Kind: domain.ErrUnavailable, Message: "could not start the solicitation workflow; nothing was published, try again", Err: err}
	}
	if err := s.deps.Store.AppendAudit(ctx, auditEvent(u, "solicitation.published", "solicitation", sol.ID, sol.ID, now,
		map[string]any{"policy_revision": revision, "deadline": sol.Deadline, "risk_tier": sol.RiskTier, "use_cases": sol.UseCases})); err != nil {
		return sol, err
	}
	return s.deps.Store.Solicitation(ctx, sol.ID)
}
