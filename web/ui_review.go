package web

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/internal/tender"
)

type inboxItem struct {
	domain.Task
	Overdue bool
}

// inboxPage lists a reviewer's open tasks, soonest due first (tasks without
// a due time after them, oldest first), overdue ones marked.
func (s *Server) inboxPage(c echo.Context) error {
	u, err := s.authorize(c, "task:list")
	if err != nil {
		return err
	}
	tasks, err := s.store.OpenTasksFor(c.Request().Context(), u)
	if err != nil {
		return err
	}
	slices.SortStableFunc(tasks, func(a, b domain.Task) int {
		switch {
		case a.DueAt != nil && b.DueAt != nil && !a.DueAt.Equal(*b.DueAt):
			return a.DueAt.Compare(*b.DueAt)
		case a.DueAt != nil && b.DueAt == nil:
			return -1
		case a.DueAt == nil && b.DueAt != nil:
			return 1
		}
		return a.CreatedAt.Compare(b.CreatedAt)
	})
	now := s.svc.Now()
	items := make([]inboxItem, 0, len(tasks))
	for _, t := range tasks {
		items = append(items, inboxItem{Task: t, Overdue: t.DueAt != nil && t.DueAt.Before(now)})
	}
	return s.render(c, http.StatusOK, "tasks", "Review inbox", items)
}

// decisionForm is the decision form as the reviewer filled it in.
type decisionForm struct {
	Verdict, ReasonCode, Comment string
	Errors                       fieldErrors
	Summary                      string
}

type reasonCodes struct{ Approve, Reject []string }

type taskView struct {
	Task      domain.Task
	Decisions []domain.Decision
	Reasons   reasonCodes
	Overdue   bool
	CanDecide bool
	Form      decisionForm
	// CanClarify: the reviewer may ask the vendor about a candidate (not
	// about an award); Clarify is that form as filled in when refused.
	CanClarify bool
	Clarify    actionForm
	// Award is the recommendation an award-approval task asks about.
	Award *awardRow
	// Sol is the solicitation the task serves and Uses its declared
	// intended uses: what license use restrictions are judged against.
	Sol  domain.Solicitation
	Uses []string
}

func (s *Server) taskPage(c echo.Context) error {
	return s.renderTask(c, http.StatusOK, decisionForm{}, actionForm{})
}

func (s *Server) renderTask(c echo.Context, status int, form decisionForm, clarify actionForm) error {
	u := userOf(c)
	ctx := c.Request().Context()
	t, decisions, err := s.svc.Task(ctx, u, c.Param("id"))
	if err != nil {
		return err
	}
	canDecide, err := s.svc.Allowed(ctx, u, "task:decide")
	if err != nil {
		return err
	}
	sol, err := s.store.Solicitation(ctx, t.SolicitationID)
	if err != nil {
		return err
	}
	decidedByMe := slices.ContainsFunc(decisions, func(d domain.Decision) bool { return d.ReviewerID == u.ID })
	v := taskView{
		Task: t, Decisions: decisions, Form: form, Clarify: clarify, Sol: sol,
		Reasons:   reasonCodes{Approve: domain.ReasonCodes[domain.VerdictApprove], Reject: domain.ReasonCodes[domain.VerdictReject]},
		Overdue:   t.DueAt != nil && t.DueAt.Before(s.svc.Now()),
		CanDecide: canDecide && t.Status == domain.TaskOpen && !decidedByMe,
	}
	for _, id := range sol.UseCases {
		v.Uses = append(v.Uses, s.svc.Licenses.UseCaseTitle(id))
	}
	v.CanClarify = v.CanDecide && t.Kind != domain.TaskAwardApproval
	if t.Kind == domain.TaskAwardApproval {
		if v.Award, err = s.recommendation(c, sol, t); err != nil {
			return err
		}
	}
	return s.render(c, status, "task", t.Title, v)
}

// recommendation is the award an award-approval task on sol is about, with
// the candidate's place in the ranking.
func (s *Server) recommendation(c echo.Context, sol domain.Solicitation, t domain.Task) (*awardRow, error) {
	awards, err := s.store.Awards(c.Request().Context(), sol.ID)
	if err != nil {
		return nil, err
	}
	// The newest recommendation of this candidate is the one under review.
	var award *domain.Award
	for i := range awards {
		if awards[i].CandidateID == t.CandidateID {
			award = &awards[i]
		}
	}
	if award == nil {
		return nil, nil
	}
	ranking, err := s.rankingRows(c, sol)
	if err != nil {
		return nil, err
	}
	row := newAwardRow(*award, ranking)
	return &row, nil
}

// clarifyForm asks the vendor a question through the same update as
// POST /api/v1/tasks/{id}/clarification.
func (s *Server) clarifyForm(c echo.Context) error {
	f := newActionForm(c, "clarify", "", "question", "answer_within_hours")
	hours, err := strconv.Atoi(cmp.Or(f.Values["answer_within_hours"], "0"))
	if err != nil || hours < 0 {
		f.Errors = fieldErrors{"answer_within_hours": {ID: "answer_within_hours", Message: "give a whole number of hours, or leave it empty for the default"}}
		f.Summary = "the clarification request is not valid"
		return s.renderTask(c, http.StatusUnprocessableEntity, decisionForm{}, f)
	}
	if _, err := s.svc.AskClarification(c.Request().Context(), userOf(c), c.Param("id"), f.Values["question"], time.Duration(hours)*time.Hour); err != nil {
		if err := f.refuse(err); err != nil {
			return err
		}
		return s.renderTask(c, http.StatusUnprocessableEntity, decisionForm{}, f)
	}
	return c.Redirect(http.StatusSeeOther, "/tasks?flash=clarification-asked")
}

type conflictsView struct {
	Declared      []store.DeclaredConflict
	Organisations []domain.Organisation
	Form          actionForm
}

func (s *Server) conflictsPage(c echo.Context) error {
	return s.renderConflicts(c, http.StatusOK, actionForm{})
}

// renderConflicts shows a reviewer's declared conflicts of interest and the
// form to declare one with a vendor organisation that has bid.
func (s *Server) renderConflicts(c echo.Context, status int, form actionForm) error {
	u, err := s.authorize(c, "conflict:declare")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	v := conflictsView{Form: form}
	if v.Declared, err = s.store.DeclaredConflicts(ctx, u.ID); err != nil {
		return err
	}
	orgs, err := s.store.BiddingOrganisations(ctx)
	if err != nil {
		return err
	}
	for _, o := range orgs {
		if !slices.ContainsFunc(v.Declared, func(d store.DeclaredConflict) bool { return d.Organisation.ID == o.ID }) {
			v.Organisations = append(v.Organisations, o)
		}
	}
	return s.render(c, status, "conflicts", "Conflicts of interest", v)
}

func (s *Server) declareForm(c echo.Context) error {
	f := newActionForm(c, "declare", "", "organisation_id", "reason")
	if _, err := s.svc.DeclareConflict(c.Request().Context(), userOf(c), f.Values["organisation_id"], f.Values["reason"]); err != nil {
		if err := f.refuse(err); err != nil {
			return err
		}
		return s.renderConflicts(c, http.StatusUnprocessableEntity, f)
	}
	return c.Redirect(http.StatusSeeOther, "/conflicts?flash=conflict-declared")
}

// decideForm posts a decision through the same Temporal update as
// POST /api/v1/tasks/{id}/decision.
func (s *Server) decideForm(c echo.Context) error {
	form := decisionForm{Verdict: c.FormValue("verdict"), ReasonCode: c.FormValue("reason_code"), Comment: strings.TrimSpace(c.FormValue("comment"))}
	_, err := s.svc.Decide(c.Request().Context(), userOf(c), c.Param("id"), tender.Verdict{
		Verdict: form.Verdict, ReasonCode: form.ReasonCode, Comment: form.Comment, FindingsHash: c.FormValue("findings_hash"),
	})
	if err != nil {
		if form.Errors, form.Summary, err = formErrors(err); err != nil {
			return err
		}
		return s.renderTask(c, http.StatusUnprocessableEntity, form, actionForm{})
	}
	return c.Redirect(http.StatusSeeOther, "/tasks?flash=decided")
}

type auditView struct {
	Sol     domain.Solicitation
	Chain   store.ChainStatus
	Events  []auditRow
	Actions []string
	Action  string
	Query   string
	Total   int
}

type auditRow struct {
	store.AuditEvent
	PolicyRevision string
	Summary        string
}

// auditPage shows a solicitation's audit trail, filtered by action and by
// free text over actor, subject and details.
func (s *Server) auditPage(c echo.Context) error {
	t, err := s.svc.AuditTrail(c.Request().Context(), userOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	sol, events := t.Solicitation, t.Events
	v := auditView{Sol: sol, Chain: t.Chain, Action: c.QueryParam("action"), Query: strings.TrimSpace(c.QueryParam("q")), Total: len(events)}
	for _, e := range events {
		if !slices.Contains(v.Actions, e.Action) {
			v.Actions = append(v.Actions, e.Action)
		}
		row := auditRow{AuditEvent: e, Summary: auditSummary(e.Detail)}
		row.PolicyRevision, _ = e.Detail["policy_revision"].(string)
		if v.Action != "" && e.Action != v.Action {
			continue
		}
		if v.Query != "" && !strings.Contains(strings.ToLower(e.Actor+" "+e.SubjectType+" "+e.SubjectID+" "+row.Summary), strings.ToLower(v.Query)) {
			continue
		}
		v.Events = append(v.Events, row)
	}
	slices.Sort(v.Actions)
	return s.render(c, http.StatusOK, "audit", "Audit trail: "+sol.Title, v)
}

// auditSummary is the one-line gist of an event's details.
func auditSummary(d map[string]any) string {
	var parts []string
	for _, k := range []string{"stage", "status", "kind", "verdict", "reason_code", "comment", "outcome", "score", "findings_hash", "deadline"} {
		if v, ok := d[k]; ok && v != nil && v != "" {
			parts = append(parts, k+": "+fmtDetail(v))
		}
	}
	return strings.Join(parts, " · ")
}

func fmtDetail(v any) string {
	switch x := v.(type) {
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.UTC().Format("2 Jan 2006 15:04 MST")
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
