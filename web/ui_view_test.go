package web

import (
	"testing"

	"github.com/modeltender/modeltender/internal/tender"
)

// The chart groups candidates by openness class, most open first, and
// orders each group by score; unscored candidates are left out.
func TestScoreChartGroupsByClassThenScore(t *testing.T) {
	score := func(f float64) *float64 { return &f }
	cand := func(name, class string, s *float64) tender.CandidateStatus {
		return tender.CandidateStatus{Name: name, Score: s, Openness: tender.OpennessBadge{Class: class}}
	}
	chart := newScoreChart([]tender.CandidateStatus{
		cand("closed-a", "", score(70)),
		cand("iii-low", "III", score(40)),
		cand("ii", "II", score(55)),
		cand("iii-high", "III", score(60)),
		cand("pending", "I", nil),
	})
	var got []string
	for _, g := range chart.Groups {
		got = append(got, g.Label)
		for _, b := range g.Bars {
			got = append(got, b.Name)
		}
	}
	want := []string{"MOF class II", "ii", "MOF class III", "iii-high", "iii-low", "No MOF class", "closed-a"}
	if len(got) != len(want) {
		t.Fatalf("chart rows %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("chart rows %v, want %v", got, want)
		}
	}
	last := chart.Groups[len(chart.Groups)-1].Bars[0]
	if chart.Height < last.Y+24 {
		t.Fatalf("chart height %d cuts off the last bar at y %d", chart.Height, last.Y)
	}
	if chart.Groups[1].Bars[0].Width <= chart.Groups[1].Bars[1].Width {
		t.Fatalf("bar widths do not follow scores: %+v", chart.Groups[1].Bars)
	}
}
