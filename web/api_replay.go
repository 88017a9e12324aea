package web

import (
	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/auditlog"
	"github.com/modeltender/modeltender/internal/domain"
)

// replayEvaluation re-runs a recorded evaluation for an auditor, as
// `modeltender audit replay` does: 200 with same true or the differences.
func (s *Server) replayEvaluation(c echo.Context, u domain.User) (auditlog.Replay, error) {
	return s.svc.ReplayEvaluation(c.Request().Context(), u, c.Param("id"))
}
