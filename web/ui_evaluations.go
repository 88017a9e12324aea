package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// boardPage is the officer's view after close: every candidate of every bid
// with its pipeline and the ranking chart, refreshed by htmx while
// evaluations run.
func (s *Server) boardPage(c echo.Context) error {
	b, err := s.svc.Board(c.Request().Context(), userOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "board", "Evaluation board: "+b.Sol.Title, newBoardView(b))
}
