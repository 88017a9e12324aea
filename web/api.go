package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/inputguard"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/internal/tender"
	"github.com/modeltender/modeltender/web/openapi"
)

// The JSON API: each handler decodes the request, calls the use case in
// internal/tender and encodes its answer; errors become problem+json in
// errorHandler.

func (s *Server) openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", openapi.Document)
}

func (s *Server) manifestSchema(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/schema+json", manifest.SchemaJSON)
}

func (s *Server) me(c echo.Context) error { return c.JSON(http.StatusOK, userOf(c)) }

func (s *Server) listUseCases(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"use_cases": s.svc.Licenses.UseCases()})
}

func (s *Server) listPolicyPacks(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"packs": s.svc.PolicyPacks()})
}

func (s *Server) solicitationRequirements(c echo.Context, u domain.User) (tender.Requirements, error) {
	return s.svc.Requirements(c.Request().Context(), u, c.Param("id"))
}

// decodeJSON reads a JSON body strictly: only as application/json (415
// otherwise), every string held to the text rules and its field's length
// (inputguard.CheckJSON, 422 naming each field), then unknown fields and
// trailing data are errors that say where the problem is.
func decodeJSON(c echo.Context, v any) error {
	return decodeJSONChecked(c, v, inputguard.CheckJSON)
}

// decodeJSONChecked is decodeJSON with the text check a body is held to.
func decodeJSONChecked(c echo.Context, v any, check func(body []byte, path string) error) error {
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
	if err := check(body, ""); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return domain.Errorf(domain.ErrMalformed, "the request body is not valid JSON for this endpoint: %s", inputguard.DescribeJSONError(body, err))
	}
	if dec.More() {
		return domain.Errorf(domain.ErrMalformed, "the request body has data after the JSON object: send exactly one object")
	}
	return nil
}

// handle is the shape of every JSON handler with a body: decode B, call the
// use case with the signed-in user and the request's context, reply with
// status and the result.
func handle[B, R any](status int, call func(c echo.Context, u domain.User, body B) (R, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		var body B
		if err := decodeJSON(c, &body); err != nil {
			return err
		}
		out, err := call(c, userOf(c), body)
		if err != nil {
			return err
		}
		return c.JSON(status, out)
	}
}

// plain is the shape of every JSON handler without a request body.
func plain[R any](call func(c echo.Context, u domain.User) (R, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		out, err := call(c, userOf(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}
}

// ---- solicitations --------------------------------------------------------------

func (s *Server) createSolicitation(c echo.Context, u domain.User, t tender.Terms) (domain.Solicitation, error) {
	return s.svc.Draft(c.Request().Context(), u, t)
}

func (s *Server) updateSolicitation(c echo.Context, u domain.User, t tender.Terms) (domain.Solicitation, error) {
	return s.svc.EditDraft(c.Request().Context(), u, c.Param("id"), t)
}

func (s *Server) listSolicitations(c echo.Context, u domain.User) (any, error) {
	sols, err := s.svc.Solicitations(c.Request().Context(), u)
	return map[string]any{"solicitations": sols}, err
}

func (s *Server) getSolicitation(c echo.Context, u domain.User) (domain.Solicitation, error) {
	return s.svc.Solicitation(c.Request().Context(), u, c.Param("id"))
}

func (s *Server) publishSolicitation(c echo.Context, u domain.User) (domain.Solicitation, error) {
	return s.svc.Publish(c.Request().Context(), u, c.Param("id"))
}

type cancelBody struct {
	Reason string `json:"reason"`
}

func (s *Server) cancelSolicitation(c echo.Context, u domain.User, b cancelBody) (domain.Solicitation, error) {
	return s.svc.Cancel(c.Request().Context(), u, c.Param("id"), b.Reason)
}

func (s *Server) amendSolicitation(c echo.Context, u domain.User, a tender.Amendment) (domain.Amendment, error) {
	return s.svc.Amend(c.Request().Context(), u, c.Param("id"), a)
}

func (s *Server) listAmendments(c echo.Context, u domain.User) (any, error) {
	list, err := s.svc.Amendments(c.Request().Context(), u, c.Param("id"))
	return map[string]any{"solicitation_id": c.Param("id"), "amendments": list}, err
}

type questionBody struct {
	Question string `json:"question"`
}

func (s *Server) askQuestion(c echo.Context, u domain.User, b questionBody) (domain.Question, error) {
	return s.svc.Ask(c.Request().Context(), u, c.Param("id"), b.Question)
}

type answerBody struct {
	Answer string `json:"answer"`
}

func (s *Server) answerQuestion(c echo.Context, u domain.User, b answerBody) (domain.Question, error) {
	return s.svc.Answer(c.Request().Context(), u, c.Param("id"), c.Param("qid"), b.Answer)
}

func (s *Server) listQuestions(c echo.Context, u domain.User) (any, error) {
	qs, err := s.svc.Questions(c.Request().Context(), u, c.Param("id"))
	return map[string]any{"solicitation_id": c.Param("id"), "questions": qs}, err
}

// ---- ranking, award, protests, notice ------------------------------------------

func (s *Server) ranking(c echo.Context, u domain.User) (any, error) {
	sol, r, err := s.svc.Ranking(c.Request().Context(), u, c.Param("id"))
	return map[string]any{"solicitation_id": sol.ID, "weights": sol.Weights, "ranking": r}, err
}

func (s *Server) scoreFit(c echo.Context, u domain.User, f tender.FitScore) ([]domain.RankedCandidate, error) {
	return s.svc.ScoreFit(c.Request().Context(), u, c.Param("id"), f)
}

func (s *Server) recommendAward(c echo.Context, u domain.User, r tender.Recommendation) (domain.Award, error) {
	return s.svc.RecommendAward(c.Request().Context(), u, c.Param("id"), r)
}

func (s *Server) listAwards(c echo.Context, u domain.User) (any, error) {
	awards, err := s.svc.Awards(c.Request().Context(), u, c.Param("id"))
	return map[string]any{"solicitation_id": c.Param("id"), "awards": awards}, err
}

type protestBody struct {
	Grounds string `json:"grounds"`
}

func (s *Server) fileProtest(c echo.Context, u domain.User, b protestBody) (domain.Protest, error) {
	return s.svc.Protest(c.Request().Context(), u, c.Param("id"), b.Grounds)
}

func (s *Server) resolveProtest(c echo.Context, u domain.User, d tender.ProtestDecision) (domain.Protest, error) {
	return s.svc.DecideProtest(c.Request().Context(), u, c.Param("id"), c.Param("pid"), d)
}

func (s *Server) listProtests(c echo.Context, u domain.User) (any, error) {
	ps, err := s.svc.Protests(c.Request().Context(), u, c.Param("id"))
	return map[string]any{"solicitation_id": c.Param("id"), "protests": ps}, err
}

// ocdsNotice serves the latest published open-contracting release package;
// it is public, like the notice it is.
func (s *Server) ocdsNotice(c echo.Context) error {
	doc, err := s.svc.Notice(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/json", doc)
}

// ---- tasks, clarifications, conflicts, audit -------------------------------------

func (s *Server) listTasks(c echo.Context, u domain.User) (any, error) {
	tasks, err := s.svc.Tasks(c.Request().Context(), u)
	return map[string]any{"tasks": tasks}, err
}

func (s *Server) getTask(c echo.Context, u domain.User) (any, error) {
	t, decisions, err := s.svc.Task(c.Request().Context(), u, c.Param("id"))
	return map[string]any{"task": t, "decisions": decisions}, err
}

func (s *Server) decideTask(c echo.Context, u domain.User, v tender.Verdict) (any, error) {
	v.IdempotencyKey = c.Request().Header.Get(idempotencyKey)
	return s.svc.Decide(c.Request().Context(), u, c.Param("id"), v)
}

// idempotencyKey is the header a client sets so that a retry after a
// dropped connection gets the original answer instead of a second action.
const idempotencyKey = "Idempotency-Key"

type assignmentBody struct {
	ReviewerID string `json:"reviewer_id"`
}

func (s *Server) assignReviewer(c echo.Context, u domain.User, b assignmentBody) (any, error) {
	return s.svc.AssignReviewer(c.Request().Context(), u, c.Param("id"), b.ReviewerID)
}

type exceptionBody struct {
	Reason string `json:"reason"`
}

func (s *Server) approveWithException(c echo.Context, u domain.User, b exceptionBody) (any, error) {
	return s.svc.ApproveWithException(c.Request().Context(), u, c.Param("id"), b.Reason)
}

func (s *Server) withdrawConflict(c echo.Context, u domain.User, b exceptionBody) (any, error) {
	err := s.svc.WithdrawConflict(c.Request().Context(), u, c.Param("org"), b.Reason)
	return map[string]any{"reviewer_id": u.ID, "organisation_id": c.Param("org"), "withdrawn": true, "reason": b.Reason}, err
}

type clarificationBody struct {
	Question          string `json:"question"`
	AnswerWithinHours int    `json:"answer_within_hours"`
}

func (s *Server) requestClarification(c echo.Context, u domain.User, b clarificationBody) (domain.Clarification, error) {
	return s.svc.AskClarification(c.Request().Context(), u, c.Param("id"), b.Question, time.Duration(b.AnswerWithinHours)*time.Hour)
}

func (s *Server) answerClarification(c echo.Context, u domain.User, a tender.ClarificationAnswer) (any, error) {
	amended, err := s.svc.AnswerClarification(c.Request().Context(), u, c.Param("id"), a)
	return map[string]any{"clarification_id": c.Param("id"), "answered": true, "amended_manifest": amended}, err
}

type conflictBody struct {
	OrganisationID string `json:"organisation_id"`
	Reason         string `json:"reason"`
}

func (s *Server) declareConflict(c echo.Context, u domain.User, b conflictBody) (any, error) {
	org, err := s.svc.DeclareConflict(c.Request().Context(), u, b.OrganisationID, b.Reason)
	return map[string]any{"reviewer_id": u.ID, "organisation_id": org.ID, "organisation": org.Name, "reason": b.Reason}, err
}

func (s *Server) auditTrail(c echo.Context, u domain.User) (any, error) {
	t, err := s.svc.AuditTrail(c.Request().Context(), u, c.Param("id"))
	return map[string]any{"solicitation_id": t.Solicitation.ID, "events": t.Events, "chain": t.Chain}, err
}
