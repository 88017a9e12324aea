package web

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
)

// Views turn the read models into what a page shows: the stage stepper, the
// openness badge and the score chart.

// candidateView is one candidate's evaluation as the pages show it.
type candidateView struct {
	ID, Name, Vendor, BidID string
	Outcome                 string // qualified | disqualified | "" while in evaluation
	Score                   *float64
	ScoreText               string
	Steps                   []stepView
	Findings                []domain.Finding
	Openness                opennessView
	Done                    bool
}

type stepView struct {
	Label, Status, StatusText string
	Complete, Current         bool
}

var stageLabels = map[domain.Stage]string{
	domain.StageIntake: "Intake", domain.StageLicense: "License", domain.StagePolicy: "Policy",
	domain.StageClarification: "Clarification", domain.StageApproval: "Approval", domain.StageOutcome: "Outcome",
}

var statusText = map[domain.StageStatus]string{
	domain.StagePending: "not started", domain.StageRunning: "running", domain.StageWaiting: "waiting for a reviewer",
	domain.StagePassed: "passed", domain.StageFailed: "failed", domain.StageSkipped: "skipped", domain.StageCompleted: "done",
}

// newCandidateView builds the view of a candidate; ev is nil before the
// solicitation closes, when every stage is still to come.
func newCandidateView(c domain.Candidate, vendor string, ev *store.EvaluationView) candidateView {
	v := candidateView{ID: c.ID, Name: c.Name, Vendor: vendor, BidID: c.BidID, Openness: newOpennessView(c.Manifest, nil)}
	byStage := map[domain.Stage]store.StageView{}
	if ev != nil {
		for _, st := range ev.Stages {
			byStage[st.Stage] = st
		}
		if ev.Outcome != nil {
			v.Outcome, v.Done = string(*ev.Outcome), true
		}
		if ev.Score != nil {
			v.Score, v.ScoreText = ev.Score, fmt.Sprintf("%.1f", *ev.Score)
		}
		v.Openness = newOpennessView(c.Manifest, byStage[domain.StagePolicy].Detail)
	}
	current := false
	for _, stage := range domain.Stages {
		st, ok := byStage[stage]
		status := domain.StagePending
		if ok {
			status = st.Status
		}
		step := stepView{Label: cmp.Or(stageLabels[stage], string(stage)), Status: string(status), StatusText: cmp.Or(statusText[status], string(status))}
		switch status {
		case domain.StagePassed, domain.StageCompleted, domain.StageSkipped:
			step.Complete = true
		case domain.StageRunning, domain.StageWaiting, domain.StageFailed:
			step.Current = !current
			current = true
		}
		v.Steps = append(v.Steps, step)
		v.Findings = append(v.Findings, st.Findings...)
	}
	// The outcome stage repeats the findings that decided it; show each once,
	// the ones that disqualify first.
	v.Findings = dedupeFindings(v.Findings)
	slices.SortStableFunc(v.Findings, func(a, b domain.Finding) int { return severityRank[a.Severity] - severityRank[b.Severity] })
	return v
}

var severityRank = map[domain.Severity]int{domain.SeverityDeny: 0, domain.SeverityWarn: 1, domain.SeverityInfo: 2}

func dedupeFindings(fs []domain.Finding) []domain.Finding {
	seen := map[domain.Finding]bool{}
	out := fs[:0:0]
	for _, f := range fs {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// opennessView is the openness badge: the MOF class the policy assigned
// (when the policy stage records one) and the components the manifest
// releases under a license.
type opennessView struct {
	Class       string
	Open, Total int
	Missing     []string
}

func newOpennessView(m domain.Manifest, policyDetail map[string]any) opennessView {
	v := opennessView{Total: len(domain.MOFComponents)}
	if class, ok := policyDetail["openness_class"].(string); ok {
		v.Class = class
	}
	open := map[string]bool{}
	if m.Weights.License != "" {
		open["Model parameters (Final)"] = true
	}
	for _, c := range m.Components {
		if c.Included && c.License != "" {
			open[c.Name] = true
		}
	}
	for _, name := range domain.MOFComponents {
		if open[name] {
			v.Open++
		} else {
			v.Missing = append(v.Missing, name)
		}
	}
	return v
}

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

func newScoreChart(cands []candidateView) scoreChart {
	scored := slices.DeleteFunc(slices.Clone(cands), func(c candidateView) bool { return c.Score == nil })
	slices.SortStableFunc(scored, func(a, b candidateView) int {
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
