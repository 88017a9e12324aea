package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
)

func (s *Server) listTasks(c echo.Context) error {
	u, err := s.authorize(c, "task:list")
	if err != nil {
		return err
	}
	tasks, err := s.deps.Store.OpenTasksFor(c.Request().Context(), u)
	if err != nil {
		return err
	}
	if tasks == nil {
		tasks = []domain.Task{}
	}
	return c.JSON(http.StatusOK, map[string]any{"tasks": tasks})
}

// task loads the task named by the :id path parameter, if the caller may work on it.
func (s *Server) task(c echo.Context, u domain.User) (domain.Task, error) {
	return s.reviewableTask(c.Request().Context(), u, c.Param("id"))
}

// reviewableTask loads a task, refusing a reviewer from the bidding organisation.
func (s *Server) reviewableTask(ctx context.Context, u domain.User, id string) (domain.Task, error) {
	t, err := s.deps.Store.Task(ctx, id)
	if err != nil {
		return t, err
	}
	if u.OrgID != "" && (u.OrgID == t.VendorOrgID || slices.Contains(t.ExcludedOrgIDs, u.OrgID)) {
		return t, domain.Errorf(domain.ErrConflictOfInt, "task %s is on a bid from your own organisation: another reviewer must decide it", t.ID)
	}
	return t, nil
}

func (s *Server) getTask(c echo.Context) error {
	u, err := s.authorize(c, "task:list")
	if err != nil {
		return err
	}
	t, err := s.task(c, u)
	if err != nil {
		return err
	}
	decisions, err := s.deps.Store.Decisions(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"task": t, "decisions": nonNilSlice(decisions)})
}

// decisionRequest is the body of POST /tasks/{id}/decision.
type decisionRequest struct {
	Verdict      string `json:"verdict"`
	ReasonCode   string `json:"reason_code"`
	Comment      string `json:"comment"`
	FindingsHash string `json:"findings_hash"`
}

func (r decisionRequest) validate() []domain.FieldError {
	v := domain.Verdict(r.Verdict)
	if v != domain.VerdictApprove && v != domain.VerdictReject {
		return []domain.FieldError{{Field: "verdict", Message: fmt.Sprintf("%q is not a verdict: use \"approve\" or \"reject\"", r.Verdict)}}
	}
	if !domain.ValidReason(v, r.ReasonCode) {
		return []domain.FieldError{{Field: "reason_code", Message: fmt.Sprintf("%q is not a reason code for %s: use one of %v", r.ReasonCode, v, domain.ReasonCodes[v])}}
	}
	if v == domain.VerdictReject && r.Comment == "" {
		return []domain.FieldError{{Field: "comment", Message: "a rejection needs a comment that tells the vendor why"}}
	}
	return nil
}

func (s *Server) decideTask(c echo.Context) error {
	u, err := s.authorize(c, "task:decide")
	if err != nil {
		return err
	}
	var req decisionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	res, err := s.decide(c.Request().Context(), u, c.Param("id"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// decide sends the reviewer's decision to the evaluation workflow as an
// update, whose validator refuses a wrong role, a closed task, a duplicate
// decision or a reviewer from the bidding organisation before anything is
// written. The API and the web task page both decide through it.
func (s *Server) decide(ctx context.Context, u domain.User, taskID string, req decisionRequest) (contract.DecisionResult, error) {
	var res contract.DecisionResult
	if fields := req.validate(); len(fields) > 0 {
		return res, domain.InvalidFields("the decision is not valid; see errors", fields)
	}
	t, err := s.reviewableTask(ctx, u, taskID)
	if err != nil {
		return res, err
	}
	if t.Status != domain.TaskOpen {
		return res, domain.Errorf(domain.ErrConflict, "task %s is already %s: a decision is used once; see GET /api/v1/tasks/%s", t.ID, t.Status, t.ID)
	}
	conflicts, err := s.deps.Store.Conflicts(ctx, u.ID)
	if err != nil {
		return res, err
	}
	handle, err := s.deps.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: t.WorkflowID,
		UpdateName: contract.DecideUpdate,
		Args: []any{domain.Decision{
			TaskID: t.ID, ReviewerID: u.ID, ReviewerRole: u.Role, ReviewerOrgID: u.OrgID, ReviewerConflicts: conflicts,
			Verdict: domain.Verdict(req.Verdict), ReasonCode: req.ReasonCode, Comment: req.Comment, FindingsHash: req.FindingsHash,
		}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, &res)
	}
	if err != nil {
		if isNotFound(err) {
			return res, domain.Errorf(domain.ErrConflict, "task %s is no longer open: its evaluation has finished", t.ID)
		}
		return res, err
	}
	return res, nil
}

// trail loads the audit trail of the solicitation in the path, for auditors;
// the API and the audit page both read it through here.
func (s *Server) trail(c echo.Context) (domain.Solicitation, []store.AuditEvent, error) {
	if _, err := s.authorize(c, "audit:read"); err != nil {
		return domain.Solicitation{}, nil, err
	}
	sol, err := s.solicitation(c)
	if err != nil {
		return sol, nil, err
	}
	events, err := s.deps.Store.AuditTrail(c.Request().Context(), sol.ID)
	return sol, events, err
}

func (s *Server) auditTrail(c echo.Context) error {
	sol, events, err := s.trail(c)
	if err != nil {
		return err
	}
	if events == nil {
		events = []store.AuditEvent{}
	}
	return c.JSON(http.StatusOK, map[string]any{"solicitation_id": sol.ID, "events": events})
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}

// auditEvent is an audit entry for an action a user took through the API.
func auditEvent(u domain.User, action, subjectType, subjectID, solicitationID string, at time.Time, detail map[string]any) store.AuditEvent {
	return store.AuditEvent{
		Key: fmt.Sprintf("%s/%s/%s/%d", action, subjectType, subjectID, at.UnixNano()),
		At:  at, Actor: u.ID, Action: action, SubjectType: subjectType, SubjectID: subjectID,
		SolicitationID: solicitationID, Detail: detail,
	}
}
