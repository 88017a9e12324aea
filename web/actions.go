package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/client"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/manifest"
)

// updateWorkflow sends an update to a running workflow, waits for its result
// and explains a workflow that has already finished.
func (s *Server) updateWorkflow(ctx context.Context, workflowID, name string, arg, out any) error {
	handle, err := s.deps.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, out)
	}
	if isNotFound(err) {
		return domain.Errorf(domain.ErrConflict, "%s has finished and accepts no more changes", workflowID)
	}
	return err
}

func actor(u domain.User) contract.Actor {
	return contract.Actor{UserID: u.ID, Role: u.Role, OrgID: u.OrgID}
}

// required names each empty field of a request.
func required(fields map[string]string) error {
	var errs []domain.FieldError
	for name, value := range fields {
		if strings.TrimSpace(value) == "" {
			errs = append(errs, domain.FieldError{Field: name, Message: "is required"})
		}
	}
	if len(errs) > 0 {
		return domain.InvalidFields("the request is missing required fields; see errors", errs)
	}
	return nil
}

func validPrice(p *domain.Money) error {
	if p == nil {
		return nil
	}
	if p.Amount <= 0 || len(p.Currency) != 3 || strings.ToUpper(p.Currency) != p.Currency {
		return domain.InvalidFields("the price is not valid", []domain.FieldError{{Field: "price",
			Message: "give a positive amount and an ISO 4217 currency code, e.g. {\"amount\": 120000, \"currency\": \"USD\"}"}})
	}
	return nil
}

// ---- actions on a running solicitation -------------------------------------

// solicitationAction is the shape every action on a running solicitation
// shares: the caller's permission, a JSON body with required fields, the
// solicitation (after close only, for awards and protests), and the update
// the body becomes.
type solicitationAction[B, R any] struct {
	permission string
	afterClose bool
	required   func(B) map[string]string
	update     func(u domain.User, body B) (name string, arg any, err error)
	status     int
	// reply, when set, is the response instead of the update's result.
	reply func(ctx context.Context, solicitationID string) (any, error)
}

func (a solicitationAction[B, R]) handle(s *Server, c echo.Context) error {
	u, err := s.authorize(c, a.permission)
	if err != nil {
		return err
	}
	var body B
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	out, err := a.perform(c.Request().Context(), s, u, c.Param("id"), body)
	if err != nil {
		return err
	}
	if a.reply == nil {
		return c.JSON(a.status, out)
	}
	reply, err := a.reply(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(a.status, reply)
}

// perform is the action without its encoding, for a user the caller has
// authorized for a.permission: the API decodes the body from JSON, the web
// UI from a form, and both perform it here.
func (a solicitationAction[B, R]) perform(ctx context.Context, s *Server, u domain.User, solicitationID string, body B) (R, error) {
	var out R
	if err := required(a.required(body)); err != nil {
		return out, err
	}
	sol, err := s.visibleSolicitation(ctx, u, solicitationID)
	if a.afterClose && err == nil {
		err = requireClosed(sol)
	}
	if err != nil {
		return out, err
	}
	name, arg, err := a.update(u, body)
	if err != nil {
		return out, err
	}
	return out, s.updateWorkflow(ctx, contract.SolicitationWorkflowID(sol.ID), name, arg, &out)
}

// solicitationList serves a list the store keeps for a solicitation.
func solicitationList[T any](s *Server, c echo.Context, afterClose bool, key string, load func(context.Context, string) ([]T, error)) error {
	if _, err := s.authorize(c, "solicitation:read"); err != nil {
		return err
	}
	sol, err := s.solicitation(c)
	if afterClose && err == nil {
		err = requireClosed(sol)
	}
	if err != nil {
		return err
	}
	items, err := load(c.Request().Context(), sol.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"solicitation_id": sol.ID, key: nonNilSlice(items)})
}

type questionBody struct {
	Question string `json:"question"`
}

func (s *Server) askQuestion(c echo.Context) error { return askAction.handle(s, c) }

var askAction = solicitationAction[questionBody, domain.Question]{
	permission: "question:ask", status: http.StatusCreated,
	required: func(b questionBody) map[string]string { return map[string]string{"question": b.Question} },
	update: func(u domain.User, b questionBody) (string, any, error) {
		return contract.AskQuestionUpdate, contract.QuestionRequest{Actor: actor(u), ID: domain.NewID("qst"), Question: b.Question}, nil
	},
}

type answerBody struct {
	Answer string `json:"answer"`
}

func (s *Server) answerQuestion(c echo.Context) error {
	return answerAction(c.Param("qid")).handle(s, c)
}

func answerAction(questionID string) solicitationAction[answerBody, domain.Question] {
	return solicitationAction[answerBody, domain.Question]{
		permission: "question:answer", status: http.StatusOK,
		required: func(b answerBody) map[string]string { return map[string]string{"answer": b.Answer} },
		update: func(u domain.User, b answerBody) (string, any, error) {
			return contract.AnswerQuestionUpdate, contract.AnswerRequest{Actor: actor(u), QuestionID: questionID, Answer: b.Answer}, nil
		},
	}
}

type amendBody struct {
	Description string `json:"description"`
	NewDeadline string `json:"new_deadline"`
}

func (s *Server) amendSolicitation(c echo.Context) error { return amendAction.handle(s, c) }

var amendAction = solicitationAction[amendBody, domain.Amendment]{
	permission: "solicitation:amend", status: http.StatusCreated,
	required: func(b amendBody) map[string]string { return map[string]string{"description": b.Description} },
	update: func(u domain.User, b amendBody) (string, any, error) {
		am := contract.AmendRequest{Actor: actor(u), ID: domain.NewID("amd"), Description: b.Description}
		if b.NewDeadline != "" {
			d, err := time.Parse(time.RFC3339, b.NewDeadline)
			if err != nil {
				return "", nil, domain.InvalidFields("the amendment is not valid", []domain.FieldError{{Field: "new_deadline",
					Message: "is not an RFC 3339 time: write it like 2026-12-31T17:00:00Z"}})
			}
			am.NewDeadline = &d
		}
		return contract.AmendUpdate, am, nil
	},
}

func (s *Server) listAmendments(c echo.Context) error {
	return solicitationList(s, c, false, "amendments", s.deps.Store.Amendments)
}

type cancelBody struct {
	Reason string `json:"reason"`
}

func (s *Server) cancelSolicitation(c echo.Context) error {
	a := cancelAction
	a.reply = func(ctx context.Context, id string) (any, error) { return s.deps.Store.Solicitation(ctx, id) }
	return a.handle(s, c)
}

var cancelAction = solicitationAction[cancelBody, struct{}]{
	permission: "solicitation:cancel", status: http.StatusOK,
	required: func(b cancelBody) map[string]string { return map[string]string{"reason": b.Reason} },
	update: func(u domain.User, b cancelBody) (string, any, error) {
		return contract.CancelUpdate, contract.CancelRequest{Actor: actor(u), Reason: b.Reason}, nil
	},
}

type awardBody struct {
	CandidateID string `json:"candidate_id"`
	Rationale   string `json:"rationale"`
}

func (s *Server) recommendAward(c echo.Context) error { return recommendAction.handle(s, c) }

var recommendAction = solicitationAction[awardBody, domain.Award]{
	permission: "award:recommend", afterClose: true, status: http.StatusCreated,
	required: func(b awardBody) map[string]string {
		return map[string]string{"candidate_id": b.CandidateID, "rationale": b.Rationale}
	},
	update: func(u domain.User, b awardBody) (string, any, error) {
		return contract.RecommendAwardUpdate, contract.RecommendRequest{Actor: actor(u), AwardID: domain.NewID("awd"),
			CandidateID: b.CandidateID, Rationale: b.Rationale}, nil
	},
}

type fitBody struct {
	CandidateID string   `json:"candidate_id"`
	Score       *float64 `json:"score"`
	Note        string   `json:"note"`
}

func (s *Server) scoreFit(c echo.Context) error { return fitAction.handle(s, c) }

// fitAction records the officer's fit score of a qualified candidate; the
// answer is the new ranking.
var fitAction = solicitationAction[fitBody, []domain.RankedCandidate]{
	permission: "award:recommend", afterClose: true, status: http.StatusOK,
	required: func(b fitBody) map[string]string {
		return map[string]string{"candidate_id": b.CandidateID, "note": b.Note}
	},
	update: func(u domain.User, b fitBody) (string, any, error) {
		if b.Score == nil {
			return "", nil, domain.InvalidFields("the fit score is missing", []domain.FieldError{{Field: "score", Message: "give a score from 0 to 100"}})
		}
		return contract.ScoreFitUpdate, contract.FitRequest{Actor: actor(u), CandidateID: b.CandidateID, Score: *b.Score, Note: b.Note}, nil
	},
}

func (s *Server) listAwards(c echo.Context) error {
	return solicitationList(s, c, true, "awards", s.deps.Store.Awards)
}

type protestBody struct {
	Grounds string `json:"grounds"`
}

func (s *Server) fileProtest(c echo.Context) error { return protestAction.handle(s, c) }

var protestAction = solicitationAction[protestBody, domain.Protest]{
	permission: "protest:file", afterClose: true, status: http.StatusCreated,
	required: func(b protestBody) map[string]string { return map[string]string{"grounds": b.Grounds} },
	update: func(u domain.User, b protestBody) (string, any, error) {
		return contract.FileProtestUpdate, contract.ProtestRequest{Actor: actor(u), ID: domain.NewID("prt"), Grounds: b.Grounds}, nil
	},
}

type resolutionBody struct {
	Outcome  string `json:"outcome"`
	Decision string `json:"decision"`
}

func (s *Server) resolveProtest(c echo.Context) error {
	return resolveAction(c.Param("pid")).handle(s, c)
}

func resolveAction(protestID string) solicitationAction[resolutionBody, domain.Protest] {
	return solicitationAction[resolutionBody, domain.Protest]{
		permission: "protest:decide", afterClose: true, status: http.StatusOK,
		required: func(b resolutionBody) map[string]string {
			return map[string]string{"outcome": b.Outcome, "decision": b.Decision}
		},
		update: func(u domain.User, b resolutionBody) (string, any, error) {
			return contract.ResolveProtestUpdate, contract.ResolveProtestRequest{Actor: actor(u), ProtestID: protestID,
				Outcome: b.Outcome, Decision: b.Decision}, nil
		},
	}
}

// ---- Q&A ----------------------------------------------------------------------

// listQuestions publishes the questions and answers to everyone who can see
// the solicitation, without naming who asked.
func (s *Server) listQuestions(c echo.Context) error {
	return solicitationList(s, c, false, "questions", func(ctx context.Context, id string) ([]domain.Question, error) {
		qs, err := s.deps.Store.Questions(ctx, id)
		for i := range qs {
			qs[i] = qs[i].Anonymised()
		}
		return qs, err
	})
}

// ---- amendments and cancellation -------------------------------------------

// ---- bids: revise, withdraw, confirm, pre-check ----------------------------

// ownBid loads a bid of the caller's own organisation.
func (s *Server) ownBid(ctx context.Context, u domain.User, id string) (domain.Bid, error) {
	if err := requireVendorOrg(u); err != nil {
		return domain.Bid{}, err
	}
	b, err := s.deps.Store.Bid(ctx, id)
	if err != nil {
		return b, err
	}
	if b.VendorOrgID != u.OrgID {
		return b, domain.Errorf(domain.ErrNotFound, "no bid %s", b.ID)
	}
	return b, nil
}

func (s *Server) reviseBid(c echo.Context) error {
	u, err := s.authorize(c, "bid:submit")
	if err != nil {
		return err
	}
	var req bidRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	bid, parsed, res, err := s.revise(c.Request().Context(), u, c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"bid": submittedResponse(bid, parsed), "prechecks": res.Prechecks})
}

// revise replaces the candidates of a vendor's own bid before the deadline;
// the API and the bid page both revise through it.
func (s *Server) revise(ctx context.Context, u domain.User, bidID string, req bidRequest) (domain.Bid, []manifest.Candidate, contract.BidResult, error) {
	var res contract.BidResult
	parsed, err := s.parseBid(req)
	if err != nil {
		return domain.Bid{}, nil, res, err
	}
	if err := validPrice(req.Price); err != nil {
		return domain.Bid{}, nil, res, err
	}
	old, err := s.ownBid(ctx, u, bidID)
	if err != nil {
		return domain.Bid{}, nil, res, err
	}
	now := s.deps.Now().UTC()
	bid := domain.Bid{ID: old.ID, SolicitationID: old.SolicitationID, VendorOrgID: u.OrgID, SubmittedBy: u.ID,
		SubmittedAt: now, Revision: old.Revision + 1, Price: req.Price}
	bid.Candidates = newCandidates(bid.ID, parsed)
	err = s.updateWorkflow(ctx, contract.SolicitationWorkflowID(old.SolicitationID), contract.ReviseBidUpdate,
		contract.SubmitBidRequest{Bid: bid, SubmitterRole: u.Role}, &res)
	return bid, parsed, res, err
}

func (s *Server) withdrawBid(c echo.Context) error {
	return s.bidAction(c, contract.WithdrawBidUpdate)
}
func (s *Server) confirmBid(c echo.Context) error { return s.bidAction(c, contract.ConfirmBidUpdate) }

func (s *Server) bidAction(c echo.Context, update string) error {
	u, err := s.authorize(c, "bid:submit")
	if err != nil {
		return err
	}
	b, err := s.changeBid(c.Request().Context(), u, c.Param("id"), update)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": b.ID, "status": b.Status, "revision": b.Revision})
}

// changeBid withdraws or confirms a vendor's own bid (update names which)
// and returns the bid as it now stands; the API and the bid page share it.
func (s *Server) changeBid(ctx context.Context, u domain.User, bidID, update string) (domain.Bid, error) {
	b, err := s.ownBid(ctx, u, bidID)
	if err != nil {
		return b, err
	}
	if err := s.updateWorkflow(ctx, contract.SolicitationWorkflowID(b.SolicitationID), update,
		contract.BidAction{Actor: actor(u), BidID: b.ID}, nil); err != nil {
		return b, err
	}
	return s.deps.Store.Bid(ctx, b.ID)
}

// precheck shows a vendor the automated checks of its own bid.
func (s *Server) precheck(c echo.Context) error {
	u, err := s.authorize(c, "bid:submit")
	if err != nil {
		return err
	}
	b, err := s.ownBid(c.Request().Context(), u, c.Param("id"))
	if err != nil {
		return err
	}
	checks, err := s.deps.Store.Prechecks(c.Request().Context(), b.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"bid_id": b.ID, "prechecks": nonNilSlice(checks)})
}

// ---- clarifications and conflicts of interest --------------------------------

func (s *Server) requestClarification(c echo.Context) error {
	u, err := s.authorize(c, "task:decide")
	if err != nil {
		return err
	}
	var req struct {
		Question          string `json:"question"`
		AnswerWithinHours int    `json:"answer_within_hours"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	out, err := s.askVendor(c.Request().Context(), u, c.Param("id"), req.Question, time.Duration(req.AnswerWithinHours)*time.Hour)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// askVendor sends a reviewer's clarification request on a task to the
// candidate's evaluation; the API and the task page both ask through it.
func (s *Server) askVendor(ctx context.Context, u domain.User, taskID, question string, within time.Duration) (domain.Clarification, error) {
	var out domain.Clarification
	if err := required(map[string]string{"question": question}); err != nil {
		return out, err
	}
	t, err := s.reviewableTask(ctx, u, taskID)
	if err != nil {
		return out, err
	}
	if t.Kind == domain.TaskAwardApproval {
		return out, domain.Errorf(domain.ErrConflict, "clarifications are asked on a candidate's evaluation, not on an award approval")
	}
	conflicts, err := s.deps.Store.Conflicts(ctx, u.ID)
	if err != nil {
		return out, err
	}
	err = s.updateWorkflow(ctx, t.WorkflowID, contract.RequestClarificationUpdate, contract.ClarificationRequest{
		ClarificationID: domain.NewID("clr"), TaskID: t.ID, ReviewerID: u.ID, ReviewerRole: u.Role, ReviewerOrgID: u.OrgID,
		Conflicts: conflicts, Question: question, AnswerWithin: within,
	}, &out)
	return out, err
}

func (s *Server) listClarifications(c echo.Context) error {
	if _, err := s.authorize(c, "bid:read"); err != nil {
		return err
	}
	b, err := s.visibleBid(c)
	if err != nil {
		return err
	}
	cl, err := s.deps.Store.Clarifications(c.Request().Context(), b.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"bid_id": b.ID, "clarifications": nonNilSlice(cl)})
}

func (s *Server) answerClarification(c echo.Context) error {
	u, err := s.authorize(c, "bid:submit")
	if err != nil {
		return err
	}
	var req struct {
		Answer   string          `json:"answer"`
		Manifest json.RawMessage `json:"manifest"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	amended, err := s.answerVendor(c.Request().Context(), u, c.Param("id"), req.Answer, req.Manifest)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"clarification_id": c.Param("id"), "answered": true, "amended_manifest": amended})
}

// answerVendor sends a vendor's answer to a clarification request, with an
// amended manifest when one is given, and says whether one was; the API and
// the bid page both answer through it.
func (s *Server) answerVendor(ctx context.Context, u domain.User, clarificationID, answer string, amended json.RawMessage) (bool, error) {
	if err := required(map[string]string{"answer": answer}); err != nil {
		return false, err
	}
	cl, err := s.deps.Store.Clarification(ctx, clarificationID)
	if err != nil {
		return false, err
	}
	if cl.VendorOrgID != u.OrgID {
		return false, domain.Errorf(domain.ErrNotFound, "no clarification %s", cl.ID)
	}
	reply := contract.ClarificationReply{ClarificationID: cl.ID, VendorUserID: u.ID, VendorRole: u.Role, VendorOrgID: u.OrgID, Answer: answer}
	if len(amended) > 0 {
		c, fields := checkCandidate(amended, "manifest")
		if len(fields) > 0 {
			return false, domain.InvalidFields(fmt.Sprintf("the amended manifest was not accepted: %d problem(s) (see errors; the manifest schema is at /api/v1/schemas/manifest.json); fix them and answer again", len(fields)), fields)
		}
		reply.Manifest = &c.Manifest
	}
	t, err := s.deps.Store.Task(ctx, cl.TaskID)
	if err != nil {
		return false, err
	}
	return reply.Manifest != nil, s.updateWorkflow(ctx, t.WorkflowID, contract.AnswerClarificationUpdate, reply, nil)
}

func (s *Server) declareConflict(c echo.Context) error {
	u, err := s.authorize(c, "conflict:declare")
	if err != nil {
		return err
	}
	var req struct {
		OrganisationID string `json:"organisation_id"`
		Reason         string `json:"reason"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	org, err := s.declare(c.Request().Context(), u, req.OrganisationID, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"reviewer_id": u.ID, "organisation_id": org.ID, "organisation": org.Name, "reason": req.Reason})
}

// declare records a reviewer's conflict of interest with an organisation;
// the API and the conflicts page both declare through it.
func (s *Server) declare(ctx context.Context, u domain.User, orgID, reason string) (domain.Organisation, error) {
	if err := required(map[string]string{"organisation_id": orgID, "reason": reason}); err != nil {
		return domain.Organisation{}, err
	}
	org, err := s.deps.Store.Organisation(ctx, orgID)
	if err != nil {
		return org, err
	}
	now := s.deps.Now().UTC()
	if err := s.deps.Store.DeclareConflict(ctx, u.ID, org.ID, reason, now); err != nil {
		return org, err
	}
	return org, s.deps.Store.AppendAudit(ctx, auditEvent(u, "conflict.declared", "organisation", org.ID, "", now,
		map[string]any{"reason": reason}))
}

// ---- ranking, award, protests, notice ----------------------------------------

// closedSolicitation loads a solicitation whose bids are open to the agency.
func (s *Server) closedSolicitation(c echo.Context) (domain.Solicitation, error) {
	sol, err := s.solicitation(c)
	if err != nil {
		return sol, err
	}
	return sol, requireClosed(sol)
}

func requireClosed(sol domain.Solicitation) error {
	if !closed(sol) {
		return domain.Errorf(domain.ErrConflict, "solicitation %s is %s: ranking and awards come after the deadline (%s)", sol.ID, sol.Status, sol.Deadline.Format(time.RFC3339))
	}
	return nil
}

// closed says whether a solicitation's bids are open to the agency.
func closed(sol domain.Solicitation) bool {
	return sol.Status != domain.SolicitationDraft && !sol.Status.AcceptsBids()
}

func (s *Server) ranking(c echo.Context) error {
	if _, err := s.authorize(c, "ranking:read"); err != nil {
		return err
	}
	sol, err := s.closedSolicitation(c)
	if err != nil {
		return err
	}
	r, err := s.deps.Store.Ranking(c.Request().Context(), sol.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"solicitation_id": sol.ID, "weights": sol.Weights, "ranking": nonNilSlice(r)})
}

// listProtests shows the agency every protest and a vendor its own.
func (s *Server) listProtests(c echo.Context) error {
	u, err := s.authorize(c, "protest:read")
	if err != nil {
		return err
	}
	sol, err := s.closedSolicitation(c)
	if err != nil {
		return err
	}
	ps, err := s.deps.Store.Protests(c.Request().Context(), sol.ID)
	if err != nil {
		return err
	}
	visible := make([]domain.Protest, 0, len(ps))
	for _, p := range ps {
		if u.Role != domain.RoleVendor || p.VendorOrgID == u.OrgID {
			visible = append(visible, p)
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"solicitation_id": sol.ID, "protests": visible})
}

// ocdsNotice serves the latest published open-contracting release package;
// it is public, like the notice it is.
func (s *Server) ocdsNotice(c echo.Context) error {
	doc, err := s.deps.Store.LatestNotice(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/json", doc)
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
