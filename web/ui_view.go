package web

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/tender"
)

// The board's ranking chart, the solicitation's timeline and the grouping
// of findings, drawn from the read models of internal/tender. Charts are
// server-rendered SVG: each has a text alternative, and the numbers it
// draws are also in a table beside it.

// rankingChart is a horizontal stacked bar per ranked candidate: its total
// out of 100, split into the points each criterion gave. The numbers are
// the ranking's, unrounded further, so the board and the ranking agree.
type rankingChart struct {
	Width, Height, AxisY int
	Ticks                []chartTick
	Bars                 []rankingBar
	Summary              string   // what the chart shows, for screen readers
	Criteria             []string // in the order of the bars' segments and the table's columns
}

type chartTick struct {
	X     float64
	Label string
}

type rankingBar struct {
	tender.RankingRow
	Y, TextY  int // the bar's top and its name's baseline, above it
	TotalY    int
	Segments  []chartSegment
	TotalX    float64
	TotalText string
}

type chartSegment struct {
	Criterion   string
	X, Width    float64
	Points      string
	Description string
}

// criteria are the ranking's criteria in the order the bars stack them;
// each has its own fill (see app.css .mt-seg--*) and legend entry.
var criteria = []string{"openness", "safety", "price", "fit"}

// The chart is 400 units wide so that on a phone its text is about the
// page's size: each candidate's name sits above its bar.
const (
	chartWidth = 400
	chartLeft  = 10.0
	chartScale = 3.2 // units per point: 100 points are 320
	chartRow   = 52
)

func newRankingChart(rows []tender.RankingRow) rankingChart {
	ch := rankingChart{Criteria: criteria}
	var summary []string
	for i, r := range rows {
		y := i*chartRow + 22
		bar := rankingBar{RankingRow: r, Y: y, TextY: y - 6, TotalY: y + 17, TotalText: fmt.Sprintf("%.2f", r.Total)}
		x := chartLeft
		var parts []string
		for _, c := range criteria {
			p := r.Breakdown[c]
			parts = append(parts, fmt.Sprintf("%s %.2f", c, p))
			if p <= 0 {
				continue
			}
			w := p * chartScale
			bar.Segments = append(bar.Segments, chartSegment{Criterion: c, X: x, Width: w, Points: fmt.Sprintf("%.2f", p),
				Description: fmt.Sprintf("%s: %.2f points", c, p)})
			x += w
		}
		bar.TotalX = x + 6
		ch.Bars = append(ch.Bars, bar)
		summary = append(summary, fmt.Sprintf("rank %d, %s from %s, %.2f points (%s)", r.Rank, r.Name, r.Vendor, r.Total, strings.Join(parts, ", ")))
	}
	ch.AxisY = len(rows)*chartRow + 4
	ch.Height = ch.AxisY + 24
	ch.Width = chartWidth
	for p := 0; p <= 100; p += 25 {
		ch.Ticks = append(ch.Ticks, chartTick{X: chartLeft + float64(p)*chartScale, Label: fmt.Sprint(p)})
	}
	ch.Summary = "Ranking totals out of 100 points, each split by criterion: " + strings.Join(summary, "; ") + "."
	return ch
}

// boardView is the evaluation board with its chart and the candidates
// sorted by where they stand: ranked, qualified but not yet ranked, still
// in evaluation, and disqualified (each with its reason).
type boardView struct {
	tender.BoardPage
	Chart                           rankingChart
	Unranked, Pending, Disqualified []tender.CandidateStatus
}

func newBoardView(b tender.BoardPage) boardView {
	v := boardView{BoardPage: b, Chart: newRankingChart(b.Ranking)}
	for _, c := range b.Candidates {
		switch {
		case c.Outcome == string(domain.OutcomeDisqualified):
			v.Disqualified = append(v.Disqualified, c)
		case c.Outcome == "":
			v.Pending = append(v.Pending, c)
		case !slices.ContainsFunc(b.Ranking, func(r tender.RankingRow) bool { return r.CandidateID == c.ID }):
			v.Unranked = append(v.Unranked, c)
		}
	}
	return v
}

// timelineView places a solicitation's events on a line in time order,
// for an SVG that only draws them (aria-hidden) beside the list that
// states them; past events are filled, planned ones hollow.
type timelineView struct {
	Events []timelinePoint
}

type timelinePoint struct {
	tender.TimelineEvent
	X float64 // 2..98, per cent of the line
}

func newTimeline(events []tender.TimelineEvent) timelineView {
	var v timelineView
	if len(events) == 0 {
		return v
	}
	first, last := events[0].At, events[0].At
	for _, e := range events {
		if e.At.Before(first) {
			first = e.At
		}
		if e.At.After(last) {
			last = e.At
		}
	}
	span := last.Sub(first)
	for _, e := range events {
		x := 50.0
		if span > 0 {
			x = 2 + 96*float64(e.At.Sub(first))/float64(span)
		}
		v.Events = append(v.Events, timelinePoint{TimelineEvent: e, X: x})
	}
	return v
}

// findingGroups are findings as a page lists them, each rule and message
// once with the components it applies to: what disqualifies or warns
// first, in full; the informational ones folded away, so that they do not
// bury the ones to act on.
type findingGroups struct {
	Act, Info []tender.FindingGroup
}

func splitFindings(fs []domain.Finding) findingGroups {
	var g findingGroups
	for _, f := range tender.GroupFindings(fs) {
		if f.Severity == domain.SeverityInfo {
			g.Info = append(g.Info, f)
		} else {
			g.Act = append(g.Act, f)
		}
	}
	return g
}
