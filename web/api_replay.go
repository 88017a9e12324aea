package web

import (
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/auditlog"
	"github.com/modeltender/modeltender/internal/domain"
)

// replayEvaluation re-runs a recorded evaluation for an auditor, as
// `modeltender audit replay` does: 200 with same true or the differences.
func (s *Server) replayEvaluation(c echo.Context, u domain.User) (auditlog.Replay, error) {
	ctx := c.Request().Context()
	if err := s.svc.Authorize(ctx, u, "audit:read"); err != nil {
		return auditlog.Replay{}, err
	}
	r, err := auditlog.ReplayDecision(ctx, s.store, s.svc.Check, c.Param("id"))
	if errors.Is(err, auditlog.ErrRulesUnavailable) {
		return r, &domain.Error{Kind: domain.ErrUnavailable, Message: err.Error() + "; restore the bundle of that revision and try again", Err: err}
	}
	if err != nil {
		return r, err
	}
	// The evaluation's solicitation must be one u may see.
	_, err = s.svc.Solicitation(ctx, u, r.SolicitationID)
	return r, err
}
