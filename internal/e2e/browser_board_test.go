package e2e

import (
	"fmt"
	"net/http"

	"github.com/chromedp/chromedp"

	"github.com/modeltender/modeltender/internal/domain"
)

// boardAgreesWithRanking reads every number the evaluation board and the
// solicitation page's comparison table show for each ranked candidate and
// checks each against the ranking API: the total and the points of each
// criterion, to the cent. The OCDS notice publishes no scores (see package
// ocds), so it has no number to compare.
func (s *stack) boardAgreesWithRanking(officer *session, solicitationID string) {
	s.t.Helper()
	var api struct {
		Ranking []domain.RankedCandidate `json:"ranking"`
	}
	s.must(http.StatusOK, "officer", "GET", "/api/v1/solicitations/"+solicitationID+"/ranking", nil).decode(s.t, &api)
	if len(api.Ranking) == 0 {
		s.t.Fatal("the ranking API ranks nobody; nothing to compare")
	}
	read := func(rows string) map[string]map[string]string {
		return get(officer, "read the ranked numbers", chromedp.Evaluate[map[string]map[string]string](fmt.Sprintf(`Object.fromEntries(
			[...document.querySelectorAll(%s)].map(tr => [tr.dataset.candidate, Object.fromEntries([
				['total', tr.querySelector('[data-total]').dataset.total],
				...[...tr.querySelectorAll('[data-criterion]')].map(td => [td.dataset.criterion, td.textContent.trim()])])]))`, jsString(rows))))
	}
	officer.open("/solicitations/"+solicitationID+"/board", "officer-board-ranked")
	shown := map[string]map[string]map[string]string{"the board": read("#board-ranking tr[data-candidate]")}
	if bars := get(officer, "count the chart's bars", chromedp.Evaluate[int](`document.querySelectorAll('svg.mt-chart g.mt-chart-bar').length`)); bars != len(api.Ranking) {
		s.t.Fatalf("the board's chart draws %d bars for %d ranked candidates", bars, len(api.Ranking))
	}
	officer.open("/solicitations/"+solicitationID, "officer-ranking-compared")
	shown["the solicitation page"] = read("#ranking tr[data-candidate]")
	for where, rows := range shown {
		if len(rows) != len(api.Ranking) {
			s.t.Fatalf("%s shows %d ranked candidates, the ranking API %d", where, len(rows), len(api.Ranking))
		}
		for _, r := range api.Ranking {
			row := rows[r.CandidateID]
			if row["total"] != fmt.Sprintf("%.2f", r.Total) {
				s.t.Errorf("%s gives %s a total of %q, the ranking API %.2f", where, r.Name, row["total"], r.Total)
			}
			for _, c := range []string{"openness", "safety", "price", "fit"} {
				if row[c] != fmt.Sprintf("%.2f", r.Breakdown[c]) {
					s.t.Errorf("%s gives %s %q %s points, the ranking API %.2f", where, r.Name, row[c], c, r.Breakdown[c])
				}
			}
		}
	}
}
