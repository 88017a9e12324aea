package web

import (
	"cmp"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/tender"
)

// inboxPage lists the open tasks the user may see, soonest due first.
func (s *Server) inboxPage(c echo.Context) error {
	items, err := s.svc.Inbox(c.Request().Context(), userOf(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "tasks", "Review inbox", items)
}

// decisionForm is the decision form as the reviewer filled it in.
type decisionForm struct {
	Verdict, ReasonCode, Comment string
	Errors                       fieldErrors
	Summary                      string
}

// taskView is a task's page with the decision or clarification form as
// the reviewer filled it in when it was refused.
type taskView struct {
	tender.TaskPage
	Form    decisionForm
	Clarify actionForm
}

func (s *Server) taskPage(c echo.Context) error {
	return s.renderTask(c, http.StatusOK, decisionForm{}, actionForm{})
}

func (s *Server) renderTask(c echo.Context, status int, form decisionForm, clarify actionForm) error {
	p, err := s.svc.TaskPage(c.Request().Context(), userOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return s.render(c, status, "task", p.Task.Title, taskView{TaskPage: p, Form: form, Clarify: clarify})
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

// assignForm adds an eligible reviewer to a task, through the same update
// as POST /api/v1/tasks/{id}/assignments.
func (s *Server) assignForm(c echo.Context) error {
	f := newActionForm(c, "assign", "", "reviewer_id")
	return s.manageTask(c, f, "reviewer-assigned", func() error {
		_, err := s.svc.AssignReviewer(c.Request().Context(), userOf(c), c.Param("id"), f.Values["reviewer_id"])
		return err
	})
}

// exceptionForm approves a task no eligible reviewer is left for, with the
// officer's documented reason, as POST /api/v1/tasks/{id}/exception does.
func (s *Server) exceptionForm(c echo.Context) error {
	f := newActionForm(c, "exception", "", "reason")
	return s.manageTask(c, f, "exception-recorded", func() error {
		_, err := s.svc.ApproveWithException(c.Request().Context(), userOf(c), c.Param("id"), f.Values["reason"])
		return err
	})
}

// manageTask performs an officer's action on a task: back to the task with
// a notice, or the task page again with the form and its errors.
func (s *Server) manageTask(c echo.Context, f actionForm, flash string, perform func() error) error {
	if err := perform(); err != nil {
		if err := f.refuse(err); err != nil {
			return err
		}
		return s.renderTask(c, http.StatusUnprocessableEntity, decisionForm{}, f)
	}
	return c.Redirect(http.StatusSeeOther, "/tasks/"+c.Param("id")+"?flash="+flash)
}

type conflictsView struct {
	tender.Conflicts
	Form actionForm
}

func (s *Server) conflictsPage(c echo.Context) error {
	return s.renderConflicts(c, http.StatusOK, actionForm{})
}

// renderConflicts shows a reviewer's declared conflicts of interest and the
// form to declare one with a vendor organisation that has bid.
func (s *Server) renderConflicts(c echo.Context, status int, form actionForm) error {
	v, err := s.svc.Conflicts(c.Request().Context(), userOf(c))
	if err != nil {
		return err
	}
	return s.render(c, status, "conflicts", "Conflicts of interest", conflictsView{Conflicts: v, Form: form})
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

// withdrawConflictForm withdraws a declared conflict of interest, with the
// reason the audit trail keeps.
func (s *Server) withdrawConflictForm(c echo.Context) error {
	f := newActionForm(c, "withdraw", c.Param("org"), "reason")
	if err := s.svc.WithdrawConflict(c.Request().Context(), userOf(c), c.Param("org"), f.Values["reason"]); err != nil {
		if err := f.refuse(err); err != nil {
			return err
		}
		return s.renderConflicts(c, http.StatusUnprocessableEntity, f)
	}
	return c.Redirect(http.StatusSeeOther, "/conflicts?flash=conflict-withdrawn")
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
		if fe, ok := form.Errors["reason_code"]; ok {
			fe.Message = reasonMessage(form.Verdict, form.ReasonCode)
			form.Errors["reason_code"] = fe
		}
		return s.renderTask(c, http.StatusUnprocessableEntity, form, actionForm{})
	}
	return c.Redirect(http.StatusSeeOther, "/tasks?flash=decided")
}

// auditPage shows a solicitation's audit trail, filtered by action and by
// free text over actor, subject and details.
func (s *Server) auditPage(c echo.Context) error {
	p, err := s.svc.AuditPage(c.Request().Context(), userOf(c), c.Param("id"), c.QueryParam("action"), c.QueryParam("q"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "audit", "Audit trail: "+p.Sol.Title, p)
}

// reasonMessage is the reason field's error in the form's words: the page
// lists reasons by label, grouped by the verdict they go with.
func reasonMessage(verdict, code string) string {
	group := map[string]string{"approve": "“When approving”", "reject": "“When rejecting”"}[verdict]
	switch {
	case group == "":
		return "choose the verdict first, then a reason listed under it"
	case code == "":
		return "choose one of the reasons listed under " + group
	}
	return fmt.Sprintf("“%s” does not go with this verdict: choose one of the reasons listed under %s", cmp.Or(tender.ReasonLabels[code], code), group)
}
