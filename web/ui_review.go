package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
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
	tasks, err := s.deps.Store.OpenTasksFor(c.Request().Context(), u)
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
	now := s.deps.Now()
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
}

func (s *Server) taskPage(c echo.Context) error {
	return s.renderTask(c, http.StatusOK, decisionForm{})
}

func (s *Server) renderTask(c echo.Context, status int, form decisionForm) error {
	u, err := s.authorize(c, "task:list")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := s.reviewableTask(ctx, u, c.Param("id"))
	if err != nil {
		return err
	}
	decisions, err := s.deps.Store.Decisions(ctx, t.ID)
	if err != nil {
		return err
	}
	canDecide, err := s.deps.Policies.Allow(ctx, u.Role, "task:decide")
	if err != nil {
		return err
	}
	decidedByMe := slices.ContainsFunc(decisions, func(d domain.Decision) bool { return d.ReviewerID == u.ID })
	return s.render(c, status, "task", t.Title, taskView{
		Task: t, Decisions: decisions, Form: form,
		Reasons:   reasonCodes{Approve: domain.ReasonCodes[domain.VerdictApprove], Reject: domain.ReasonCodes[domain.VerdictReject]},
		Overdue:   t.DueAt != nil && t.DueAt.Before(s.deps.Now()),
		CanDecide: canDecide && t.Status == domain.TaskOpen && !decidedByMe,
	})
}

// decideForm posts a decision through the same Temporal update as
// POST /api/v1/tasks/{id}/decision.
func (s *Server) decideForm(c echo.Context) error {
	u, err := s.authorize(c, "task:decide")
	if err != nil {
		return err
	}
	form := decisionForm{Verdict: c.FormValue("verdict"), ReasonCode: c.FormValue("reason_code"), Comment: strings.TrimSpace(c.FormValue("comment"))}
	_, err = s.decide(c.Request().Context(), u, c.Param("id"), decisionRequest{
		Verdict: form.Verdict, ReasonCode: form.ReasonCode, Comment: form.Comment, FindingsHash: c.FormValue("findings_hash"),
	})
	if err != nil {
		if form.Errors, form.Summary, err = formErrors(err); err != nil {
			return err
		}
		return s.renderTask(c, http.StatusUnprocessableEntity, form)
	}
	return c.Redirect(http.StatusSeeOther, "/tasks?flash=decided")
}

type auditView struct {
	Sol     domain.Solicitation
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
	if _, err := s.authorize(c, "audit:read"); err != nil {
		return err
	}
	sol, err := s.solicitation(c)
	if err != nil {
		return err
	}
	events, err := s.deps.Store.AuditTrail(c.Request().Context(), sol.ID)
	if err != nil {
		return err
	}
	v := auditView{Sol: sol, Action: c.QueryParam("action"), Query: strings.TrimSpace(c.QueryParam("q")), Total: len(events)}
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
