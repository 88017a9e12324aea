package tender

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/internal/visibility"
)

// CandidateStatus is one candidate's evaluation as the pages show it: where
// its pipeline stands, its findings (each once, those that disqualify
// first), its score and its openness.
type CandidateStatus struct {
	ID, Name, Vendor, BidID string
	Outcome                 string // qualified | disqualified | "" while in evaluation
	Score                   *float64
	ScoreText               string
	Steps                   []Step
	Findings                []domain.Finding
	Openness                OpennessBadge
	Done                    bool
}

// Step is one stage of a candidate's pipeline.
type Step struct {
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

// NewCandidateStatus builds a candidate's status; ev is nil before the
// solicitation closes, when every stage is still to come.
func NewCandidateStatus(c domain.Candidate, vendor string, ev *store.EvaluationView) CandidateStatus {
	v := CandidateStatus{ID: c.ID, Name: c.Name, Vendor: vendor, BidID: c.BidID, Openness: newOpennessBadge(c.Manifest, nil)}
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
		v.Openness = newOpennessBadge(c.Manifest, byStage[domain.StagePolicy].Detail)
	}
	current := false
	for _, stage := range domain.Stages {
		st, ok := byStage[stage]
		status := domain.StagePending
		if ok {
			status = st.Status
		}
		step := Step{Label: cmp.Or(stageLabels[stage], string(stage)), Status: string(status), StatusText: cmp.Or(statusText[status], string(status))}
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

// OpennessBadge is the openness a page shows of a candidate: the MOF class
// the policy assigned (when the policy stage records one) and the
// components the manifest releases under a license.
type OpennessBadge struct {
	Class       string
	Open, Total int
	Missing     []string
}

func newOpennessBadge(m domain.Manifest, policyDetail map[string]any) OpennessBadge {
	v := OpennessBadge{Total: len(domain.MOFComponents)}
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

// CandidateSet is a set of candidates with their pipelines; Live says whether
// some are still in evaluation, so a page keeps refreshing.
type CandidateSet struct {
	Sol        domain.Solicitation
	BidID      string
	Candidates []CandidateStatus
	Live       bool
}

func (s *Service) candidateStatuses(ctx context.Context, b domain.Bid, vendor string) ([]CandidateStatus, error) {
	evals, err := s.Store.EvaluationsForBid(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	byCandidate := map[string]*store.EvaluationView{}
	for i := range evals {
		byCandidate[evals[i].CandidateID] = &evals[i]
	}
	var out []CandidateStatus
	for _, c := range b.Candidates {
		out = append(out, NewCandidateStatus(c, vendor, byCandidate[c.ID]))
	}
	return out, nil
}

func live(cands []CandidateStatus) bool {
	return slices.ContainsFunc(cands, func(c CandidateStatus) bool { return !c.Done })
}

// Board is every candidate of every bid with its pipeline, for the agency
// once the solicitation has closed.
func (s *Service) Board(ctx context.Context, u domain.User, solicitationID string) (CandidateSet, error) {
	if err := s.Authorize(ctx, u, "evaluation:read"); err != nil {
		return CandidateSet{}, err
	}
	if u.Role == domain.RoleVendor {
		return CandidateSet{}, domain.Errorf(domain.ErrForbidden, "the evaluation board shows every vendor's bid: vendors see their own bids on the solicitation page")
	}
	sol, err := s.Solicitation(ctx, u, solicitationID)
	if err != nil {
		return CandidateSet{}, err
	}
	if !Closed(sol) {
		return CandidateSet{}, domain.Errorf(domain.ErrForbidden, "bids on %q are sealed until the deadline (%s); the board opens when the solicitation closes", sol.Title, sol.Deadline.UTC().Format("2 Jan 2006 15:04 MST"))
	}
	bids, err := s.Store.BidsForSolicitation(ctx, sol.ID, "")
	if err != nil {
		return CandidateSet{}, err
	}
	v := CandidateSet{Sol: sol}
	for _, summary := range bids {
		if !sees(u, sol, summary.VendorOrgID, visibility.Candidates) {
			continue
		}
		b, err := s.Store.Bid(ctx, summary.ID)
		if err != nil {
			return CandidateSet{}, err
		}
		cands, err := s.candidateStatuses(ctx, b, summary.VendorName)
		if err != nil {
			return CandidateSet{}, err
		}
		v.Candidates = append(v.Candidates, cands...)
	}
	v.Live = live(v.Candidates)
	return v, nil
}

// RankingRow is a qualified candidate in the comparison table.
type RankingRow struct {
	domain.RankedCandidate
	Evidence
	Vendor     string
	ScoreParts []ScorePart
}

// ScorePart is one criterion's weighted points in a candidate's total.
type ScorePart struct {
	Criterion string
	Points    float64
}

// Evidence is what a candidate's evaluation found, as the comparison table
// shows it: the policy stage's MOF class, openness preference points and
// safety-evidence warnings, and the license stage's findings by severity.
type Evidence struct {
	MOFClass                              string
	OpennessPoints                        string // "" when the policy stage recorded none
	SafetyChecked                         bool
	SafetyWarnings                        int
	LicenseChecked                        bool
	LicenseDeny, LicenseWarn, LicenseInfo int
}

func newEvidence(ev store.EvaluationView) Evidence {
	e := Evidence{MOFClass: "not determined"}
	for _, st := range ev.Stages {
		switch st.Stage {
		case domain.StagePolicy:
			e.MOFClass = cmp.Or(mofClass(st.Detail), "not determined")
			if points, ok := st.Detail["score"].(float64); ok {
				e.OpennessPoints = strconv.FormatFloat(points, 'f', -1, 64)
			}
			e.SafetyChecked = true
			for _, f := range st.Findings {
				if strings.HasPrefix(f.Rule, "safety.") && f.Severity == domain.SeverityWarn {
					e.SafetyWarnings++
				}
			}
		case domain.StageLicense:
			e.LicenseChecked = true
			for _, f := range st.Findings {
				switch f.Severity {
				case domain.SeverityDeny:
					e.LicenseDeny++
				case domain.SeverityWarn:
					e.LicenseWarn++
				case domain.SeverityInfo:
					e.LicenseInfo++
				}
			}
		}
	}
	return e
}

// mofClass is the Model Openness Framework class the policy stage recorded:
// openness_class, or the class inside the openness result; "" when neither.
func mofClass(detail map[string]any) string {
	if class, ok := detail["openness_class"].(string); ok && class != "" {
		return class
	}
	if o, ok := detail["openness"].(map[string]any); ok {
		if class, ok := o["class"].(string); ok {
			return class
		}
	}
	return ""
}

// rankingRows is the comparison table of qualified candidates, best first,
// with each one's vendor and what its evaluation found. The caller has
// checked that the solicitation is closed and u may read the ranking.
func (s *Service) rankingRows(ctx context.Context, sol domain.Solicitation) ([]RankingRow, error) {
	ranking, err := s.Store.Ranking(ctx, sol.ID)
	if err != nil || len(ranking) == 0 {
		return nil, err
	}
	bids, err := s.Store.BidsForSolicitation(ctx, sol.ID, "")
	if err != nil {
		return nil, err
	}
	vendors := map[string]string{}
	for _, b := range bids {
		vendors[b.VendorOrgID] = b.VendorName
	}
	evidence := map[string]Evidence{}
	read := map[string]bool{} // bids whose evaluations are read
	for _, r := range ranking {
		if read[r.BidID] {
			continue
		}
		read[r.BidID] = true
		evals, err := s.Store.EvaluationsForBid(ctx, r.BidID)
		if err != nil {
			return nil, err
		}
		for _, ev := range evals {
			evidence[ev.CandidateID] = newEvidence(ev)
		}
	}
	rows := make([]RankingRow, 0, len(ranking))
	for _, r := range ranking {
		row := RankingRow{RankedCandidate: r, Vendor: cmp.Or(vendors[r.VendorOrgID], r.VendorOrgID), Evidence: evidence[r.CandidateID]}
		row.MOFClass = cmp.Or(row.MOFClass, "not determined")
		for _, criterion := range []string{"openness", "safety", "price", "fit"} {
			row.ScoreParts = append(row.ScoreParts, ScorePart{Criterion: criterion, Points: r.Breakdown[criterion]})
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// AwardRow is an award recommendation with its candidate's place in the ranking.
type AwardRow struct {
	domain.Award
	Candidate, Vendor string
	Total             float64
	Rank              int
}

func newAwardRow(a domain.Award, ranking []RankingRow) AwardRow {
	row := AwardRow{Award: a, Candidate: a.CandidateID}
	if i := slices.IndexFunc(ranking, func(r RankingRow) bool { return r.CandidateID == a.CandidateID }); i >= 0 {
		row.Candidate, row.Vendor, row.Total, row.Rank = ranking[i].Name, ranking[i].Vendor, ranking[i].Total, ranking[i].Rank
	}
	return row
}
