package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/tender"
)

// boardView is the evaluation board: the candidates and their score chart.
type boardView struct {
	tender.CandidateSet
	Chart scoreChart
}

// boardPage is the officer's view after close: every candidate of every bid
// with its pipeline, refreshed by htmx while evaluations run.
func (s *Server) boardPage(c echo.Context) error {
	b, err := s.svc.Board(c.Request().Context(), userOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "board", "Evaluation board: "+b.Sol.Title, boardView{CandidateSet: b, Chart: newScoreChart(b.Candidates)})
}
