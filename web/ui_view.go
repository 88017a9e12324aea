package web

import (
	"cmp"
	"slices"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/tender"
)

// The score chart and the grouping of findings, drawn from the read
// models of internal/tender.

// scoreChart is a horizontal bar chart of candidates grouped by Model
// Openness Framework class (I, II, III, then none yet) and by score within a
// class, drawn as SVG by the template; the board's table carries the same
// numbers as text.
type scoreChart struct {
	Height int
	Groups []chartGroup
}

type chartGroup struct {
	Label string // "MOF class I", ..., "No MOF class"
	Y     int    // baseline of the group's heading
	Bars  []scoreBar
}

type scoreBar struct {
	Name, Outcome, ScoreText string
	Y, TextY, Width, LabelX  int
}

const (
	chartBarLeft  = 220
	chartBarWidth = 320
	chartRow      = 34
	chartHeading  = 26
)

// chartClasses orders the groups: the most open class first.
var chartClasses = []string{"I", "II", "III", ""}

func newScoreChart(cands []tender.CandidateStatus) scoreChart {
	scored := slices.DeleteFunc(slices.Clone(cands), func(c tender.CandidateStatus) bool { return c.Score == nil })
	slices.SortStableFunc(scored, func(a, b tender.CandidateStatus) int {
		return cmp.Or(cmp.Compare(slices.Index(chartClasses, a.Openness.Class), slices.Index(chartClasses, b.Openness.Class)),
			cmp.Compare(*b.Score, *a.Score), strings.Compare(a.Name, b.Name))
	})
	top := 100.0
	for _, c := range scored {
		top = max(top, *c.Score)
	}
	var chart scoreChart
	y := 0
	for _, c := range scored {
		label := "No MOF class"
		if c.Openness.Class != "" {
			label = "MOF class " + c.Openness.Class
		}
		if n := len(chart.Groups); n == 0 || chart.Groups[n-1].Label != label {
			y += chartHeading
			chart.Groups = append(chart.Groups, chartGroup{Label: label, Y: y - 6})
		}
		outcome := c.Outcome
		if outcome == "" {
			outcome = "pending"
		}
		w := int(max(0, *c.Score) / top * chartBarWidth)
		g := &chart.Groups[len(chart.Groups)-1]
		g.Bars = append(g.Bars, scoreBar{
			Name: c.Name, Outcome: outcome, ScoreText: c.ScoreText,
			Y: y + 5, TextY: y + 24, Width: w, LabelX: chartBarLeft + w + 6,
		})
		y += chartRow
	}
	chart.Height = max(chartRow, y+10)
	return chart
}

// findingGroups are findings as a page lists them: what disqualifies or
// warns first, in full; the informational ones folded away, so that they do
// not bury the ones to act on.
type findingGroups struct {
	Act, Info []domain.Finding
}

func splitFindings(fs []domain.Finding) findingGroups {
	var g findingGroups
	for _, f := range fs {
		if f.Severity == domain.SeverityInfo {
			g.Info = append(g.Info, f)
		} else {
			g.Act = append(g.Act, f)
		}
	}
	return g
}
