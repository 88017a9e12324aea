// Package tender is modeltender's use cases: one exported method per thing a
// person does in a procurement (draft, publish, amend, ask, bid, revise,
// decide, clarify, recommend, protest, ...). Each takes the acting user and
// a typed command, checks who may do it, applies the sealed-bid rules, and
// either writes the store or sends the running workflow an update. The JSON
// API and the web UI both call it, so a handler only decodes, calls and
// encodes. The automated candidate check itself lives in internal/check.
package tender

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/modeltender/modeltender/internal/check"
	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/licensing"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/internal/visibility"
	"github.com/modeltender/modeltender/policies"
)

// Service runs the use cases. Its fields are set once at start.
type Service struct {
	Store    *store.Store
	Temporal client.Client
	// Policies decides who may do what (policies/authz) and names the
	// revision a solicitation freezes at publication.
	Policies *policies.Engine
	// Licenses is the current knowledge base: the use-case taxonomy drafts
	// are written against.
	Licenses *licensing.Analyzer
	// Packs is the catalogue of policy packs of the same bundle.
	Packs     []policies.Pack
	Check     *check.Checker
	TaskQueue string
	Now       func() time.Time
	Log       *slog.Logger
}

// Allowed reports whether u may take action: a read permission
// ("bid:read", "audit:read"...) from the authorization table
// (internal/visibility), by role and organisation; any other action by
// role from policies/authz.
func (s *Service) Allowed(ctx context.Context, u domain.User, action string) (bool, error) {
	if f, ok := visibility.ReadAction(action); ok {
		return visibility.UserSees(u, f), nil
	}
	return s.Policies.Allow(ctx, u.Role, action)
}

// Authorize refuses u unless its role may take action, telling it which
// role may.
func (s *Service) Authorize(ctx context.Context, u domain.User, action string) error {
	if f, ok := visibility.ReadAction(action); ok && !visibility.UserSees(u, f) {
		return visibility.Forbidden(u, f)
	}
	ok, err := s.Allowed(ctx, u, action)
	if err != nil {
		return err
	}
	if !ok {
		return domain.Errorf(domain.ErrForbidden, "as %s you may not %s: %s", article(string(u.Role)), strings.ReplaceAll(action, ":", " "), whoMay(action))
	}
	return nil
}

func article(role string) string {
	if role == "" {
		return "a user without a role"
	}
	if strings.ContainsRune("aeiou", rune(role[0])) {
		return "an " + role
	}
	return "a " + role
}

// whoMay tells the caller which role an action needs.
func whoMay(action string) string {
	switch {
	case strings.HasPrefix(action, "solicitation:") && action != "solicitation:read":
		return "sign in as a procurement officer"
	case action == "bid:submit":
		return "sign in as a vendor user"
	case strings.HasPrefix(action, "task:"):
		return "sign in as a compliance reviewer"
	case action == "user:create":
		return "ask an admin"
	}
	return "ask an admin for the right role"
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// update sends a workflow an update, waits for its result and turns what
// Temporal says into domain errors: a validator's rejection keeps its kind,
// a finished workflow is a conflict.
//
// An update whose workflow task failed before the workflow accepted it was
// never applied; it is sent again, under the same update id so Temporal
// applies it at most once, a few times before the caller is told to retry.
func (s *Service) update(ctx context.Context, workflowID, name string, arg, out any) error {
	opts := client.UpdateWorkflowOptions{
		UpdateID: domain.NewID("upd"), WorkflowID: workflowID, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	}
	var err error
	for attempt := 1; ; attempt++ {
		var handle client.WorkflowUpdateHandle
		handle, err = s.Temporal.UpdateWorkflow(ctx, opts)
		if err == nil {
			err = handle.Get(ctx, out)
		}
		var notReady *serviceerror.WorkflowNotReady
		if !errors.As(err, &notReady) || attempt == updateAttempts || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
	}
	if isNotFound(err) {
		return &domain.Error{Kind: domain.ErrConflict, Message: workflowID + " has finished and accepts no more changes", Err: errFinished}
	}
	return fromWorkflow(err)
}

// updateAttempts bounds how often update sends one update.
const updateAttempts = 3

// errFinished marks an update sent to a workflow that has already finished.
var errFinished = errors.New("workflow finished")

// fromWorkflow turns an error from Temporal into a domain error where it has
// a meaning for the user.
func fromWorkflow(err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return de
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && domain.KnownKind(domain.ErrorKind(appErr.Type())) {
		return &domain.Error{Kind: domain.ErrorKind(appErr.Type()), Message: appErr.Message()}
	}
	var unavailable *serviceerror.Unavailable
	var notReady *serviceerror.WorkflowNotReady
	if errors.As(err, &unavailable) || errors.As(err, &notReady) {
		return &domain.Error{Kind: domain.ErrUnavailable, Message: "the workflow service is unavailable; try again shortly", Err: err}
	}
	return err
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}

func actor(u domain.User) contract.Actor {
	return contract.Actor{UserID: u.ID, Role: u.Role, OrgID: u.OrgID}
}

// required names each empty field of a command.
func required(fields map[string]string) error {
	var errs []domain.FieldError
	for name, value := range fields {
		if strings.TrimSpace(value) == "" {
			errs = append(errs, domain.FieldError{Field: name, Message: "is required"})
		}
	}
	if len(errs) > 0 {
		return domain.InvalidFields("required fields are missing; see errors", errs)
	}
	return nil
}

// auditEvent is an audit entry for an action a user took.
func auditEvent(u domain.User, action, subjectType, subjectID, solicitationID string, at time.Time, detail map[string]any) store.AuditEvent {
	return store.AuditEvent{
		Key: fmt.Sprintf("%s/%s/%s/%d", action, subjectType, subjectID, at.UnixNano()),
		At:  at, Actor: u.ID, Action: action, SubjectType: subjectType, SubjectID: subjectID,
		SolicitationID: solicitationID, Detail: detail,
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
