package tender

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/internal/visibility"
	"github.com/modeltender/modeltender/policies"
)

// CandidateStatus is one candidate's evaluation as the pages show it: where
// its pipeline stands, its findings (each once, those that disqualify
// first), the one or two that decided its outcome, and its openness.
type CandidateStatus struct {
	ID, Name, Vendor, BidID string
	Outcome                 string // qualified | disqualified | "" while in evaluation
	// Points are the openness preference points the policy gave; they are
	// one input of the ranking's total, not the total.
	Points   *float64
	Steps    []Step
	Findings []domain.Finding
	// Deciding are the findings, grouped, that decided a disqualification
	// (at most two); Reason is the first of them in one line.
	Deciding []FindingGroup
	Reason   string
	Openness OpennessBadge
	Done     bool
	// BaseModels are the models the candidate derives from, whose license
	// duties it inherits (the license review's lineage).
	BaseModels []domain.BaseModel
	// Signature is the verdict on the candidate's model signature (signing.go).
	Signature *ModelSignature
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
	v := CandidateStatus{ID: c.ID, Name: c.Name, Vendor: vendor, BidID: c.BidID, Openness: newOpennessBadge(c.Manifest, nil, false),
		BaseModels: c.Manifest.BaseModels}
	byStage := map[domain.Stage]store.StageView{}
	if ev != nil {
		for _, st := range ev.Stages {
			byStage[st.Stage] = st
		}
		if ev.Outcome != nil {
			v.Outcome, v.Done = string(*ev.Outcome), true
		}
		v.Points = ev.Score
		v.Openness = newOpennessBadge(c.Manifest, byStage[domain.StagePolicy].Detail, v.Done)
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
	v.Signature = SignatureOf(v.Findings)
	slices.SortStableFunc(v.Findings, func(a, b domain.Finding) int { return severityRank[a.Severity] - severityRank[b.Severity] })
	if v.Outcome == string(domain.OutcomeDisqualified) {
		v.Deciding = decidingFindings(v.Findings, byStage)
		if len(v.Deciding) > 0 {
			v.Reason = v.Deciding[0].Line()
		} else {
			v.Reason = "a reviewer rejected it"
		}
	}
	return v
}

// decidingFindings are the one or two findings that disqualified a
// candidate: its denials, or, when a reviewer rejected it, the warnings the
// reviewer was asked to judge at the stage that failed.
func decidingFindings(fs []domain.Finding, byStage map[domain.Stage]store.StageView) []FindingGroup {
	groups := GroupFindings(fs)
	var out []FindingGroup
	for _, sev := range []domain.Severity{domain.SeverityDeny, domain.SeverityWarn} {
		for _, g := range groups {
			if g.Severity == sev && len(out) < 2 {
				out = append(out, g)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	for _, stage := range domain.Stages {
		if st := byStage[stage]; st.Status == domain.StageFailed && len(st.Findings) > 0 {
			return GroupFindings(st.Findings)[:1]
		}
	}
	return nil
}

// FindingGroup is one finding as a page lists it: the same rule, severity,
// clause and message once, with every component it applies to (the same
// Llama warning on three components is one group naming three).
type FindingGroup struct {
	domain.Finding
	Components []string
}

// Line is the group's message with its components, in one line.
func (g FindingGroup) Line() string {
	if len(g.Components) == 0 || (len(g.Components) == 1 && strings.Contains(g.Message, g.Components[0])) {
		return g.Message
	}
	return g.Message + " (" + strings.Join(g.Components, ", ") + ")"
}

// GroupFindings merges findings that differ only in the component they
// are about, in first-seen order. A license finding's message starts with
// its component ("weights: ..."); the group's message drops it, as the
// group lists its components.
func GroupFindings(fs []domain.Finding) []FindingGroup {
	var out []FindingGroup
	index := map[domain.Finding]int{}
	for _, f := range fs {
		key := f
		comp := f.Evidence.Component
		if comp != "" {
			key.Message = strings.TrimPrefix(f.Message, comp+": ")
			key.Evidence.Component = ""
		}
		if i, ok := index[key]; ok {
			if comp != "" && !slices.Contains(out[i].Components, comp) {
				out[i].Components = append(out[i].Components, comp)
			}
			continue
		}
		index[key] = len(out)
		g := FindingGroup{Finding: key}
		if comp != "" {
			g.Components = []string{comp}
		}
		out = append(out, g)
	}
	return out
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

// OpennessBadge is the openness a page shows of a candidate: the Model
// Openness Framework class the policy assigned (when the policy stage
// records one), the 17 components as a grid by the class that first
// requires them, and the Open Source AI Definition verdict.
type OpennessBadge struct {
	Class string
	// Judged: the policy stage recorded the openness, so Class == "" means
	// the candidate reached no class; otherwise it is not determined yet.
	Judged bool
	// Final: the evaluation is over, so a missing class is final.
	Final       bool
	Open, Total int
	Missing     []string
	Tiers       []MOFTier
	// NoClassReason says what keeps a judged candidate below Class III.
	NoClassReason string
	OSAID         *domain.OSAID
}

// MOFTier is the components a class adds to the less demanding one.
type MOFTier struct {
	Class      string // "III", "II", "I"
	Components []MOFCell
}

// MOFCell is one component of a candidate: open (listed under an open
// license), not-open (listed without one), missing (not listed), or
// listed (included in the manifest, its license not judged yet).
type MOFCell struct {
	Name, Status, License string
	Required              bool
}

// Label is the cell's status in words.
func (c MOFCell) Label() string {
	switch c.Status {
	case "open":
		return "included, open license"
	case "not-open":
		return "included, not under an open license"
	case "listed":
		return "included, license not judged yet"
	}
	return "missing"
}

// mofComponent is a component of the framework and the most open class
// that requires it (1 is Class I).
type mofComponent struct {
	Name     string `json:"name"`
	Class    int    `json:"class"`
	Required bool   `json:"required"`
}

// mofComponents are the framework's components as the policies vendor them.
var mofComponents = sync.OnceValue(func() []mofComponent {
	var doc struct {
		Components []mofComponent `json:"components"`
	}
	raw, err := fs.ReadFile(policies.Data(), "mof_components.json")
	if err == nil {
		err = json.Unmarshal(raw, &doc)
	}
	if err != nil || len(doc.Components) == 0 {
		panic(fmt.Sprintf("the embedded mof_components.json is unreadable: %v", err)) // embedded at build time
	}
	return doc.Components
})

var classNames = map[int]string{1: "I", 2: "II", 3: "III"}

func newOpennessBadge(m domain.Manifest, policyDetail map[string]any, final bool) OpennessBadge {
	v := OpennessBadge{Total: len(domain.MOFComponents), Final: final}
	status := map[string]domain.ComponentOpenness{}
	if o, ok := decodeOpenness(policyDetail); ok {
		v.Judged = true
		if o.Class != nil {
			v.Class = *o.Class
		}
		for _, c := range o.Components {
			st := c.Status
			if st != "open" {
				st = "not-open"
			}
			status[c.Component] = domain.ComponentOpenness{Component: c.Component, License: c.License, Status: st}
		}
		v.OSAID = &o.OSAID
		if v.Class == "" {
			v.NoClassReason = classGaps(o.Classes["III"])
		}
	} else {
		if class := mofClass(policyDetail); class != "" {
			v.Class, v.Judged = class, true
		}
		if m.Weights.License != "" {
			status["Model parameters (Final)"] = domain.ComponentOpenness{License: m.Weights.License, Status: "listed"}
		}
		for _, c := range m.Components {
			if c.Included && c.License != "" {
				status[c.Name] = domain.ComponentOpenness{License: c.License, Status: "listed"}
			}
		}
	}
	for _, k := range []int{3, 2, 1} {
		tier := MOFTier{Class: classNames[k]}
		for _, c := range mofComponents() {
			if c.Class != k {
				continue
			}
			cell := MOFCell{Name: c.Name, Status: cmp.Or(status[c.Name].Status, "missing"), License: status[c.Name].License, Required: c.Required}
			tier.Components = append(tier.Components, cell)
			if cell.Status == "open" || cell.Status == "listed" {
				v.Open++
			} else {
				v.Missing = append(v.Missing, c.Name)
			}
		}
		v.Tiers = append(v.Tiers, tier)
	}
	return v
}

// decodeOpenness reads the openness the policy stage recorded.
func decodeOpenness(detail map[string]any) (domain.Openness, bool) {
	var o domain.Openness
	raw, ok := detail["openness"]
	if !ok || raw == nil {
		return o, false
	}
	b, err := json.Marshal(raw)
	if err != nil || json.Unmarshal(b, &o) != nil {
		return o, false
	}
	return o, true
}

// classGaps says in words what Class III still lacks.
func classGaps(g domain.ClassGaps) string {
	var parts []string
	if len(g.Missing) > 0 {
		parts = append(parts, "missing "+strings.Join(g.Missing, ", "))
	}
	if len(g.NotOpen) > 0 {
		var names []string
		for _, c := range g.NotOpen {
			names = append(names, c.Component+" ("+cmp.Or(c.License, "no license")+")")
		}
		parts = append(parts, "not under an open license: "+strings.Join(names, ", "))
	}
	if len(parts) == 0 {
		return "Class III's requirements are not met"
	}
	return "Class III needs every one of its components under an open license; " + strings.Join(parts, "; ")
}

// CandidateSet is a set of candidates with their pipelines; Live says whether
// some are still in evaluation, so a page keeps refreshing.
type CandidateSet struct {
	Sol        domain.Solicitation
	BidID      string
	Candidates []CandidateStatus
	Live       bool
}

// Tally counts the candidates by outcome in words: "1 qualified, 1
// disqualified, 1 in evaluation".
func (cs CandidateSet) Tally() string {
	n := map[string]int{}
	for _, c := range cs.Candidates {
		n[cmp.Or(c.Outcome, "in evaluation")]++
	}
	var parts []string
	for _, k := range []string{"qualified", "disqualified", "in evaluation"} {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[k], k))
		}
	}
	return strings.Join(parts, ", ")
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

// BoardPage is the evaluation board: every candidate of every bid with its
// pipeline, and the ranking of the qualified ones (the same rows, with the
// same numbers, as the solicitation page's comparison table and the
// ranking API).
type BoardPage struct {
	CandidateSet
	Ranking     []RankingRow
	ShowRanking bool
}

// Board gathers the evaluation board for u.
func (s *Service) Board(ctx context.Context, u domain.User, solicitationID string) (BoardPage, error) {
	set, err := s.boardCandidates(ctx, u, solicitationID)
	if err != nil {
		return BoardPage{}, err
	}
	v := BoardPage{CandidateSet: set}
	if v.ShowRanking = sees(u, set.Sol, "", visibility.Ranking); !v.ShowRanking {
		return v, nil
	}
	v.Ranking, err = s.rankingRows(ctx, set.Sol)
	return v, err
}

// boardCandidates is every candidate of every bid with its pipeline, for
// the agency once the solicitation has closed.
func (s *Service) boardCandidates(ctx context.Context, u domain.User, solicitationID string) (CandidateSet, error) {
	if err := s.Authorize(ctx, u, "evaluation:read"); err != nil {
		return CandidateSet{}, err
	}
	if visibility.VendorSide(u) {
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
		if !seesBid(u, sol, summary.VendorOrgID, summary.Status, visibility.Candidates) {
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
			e.MOFClass = mofClass(st.Detail)
			if e.MOFClass == "" {
				// A finished policy check that assigned no class is below Class III.
				e.MOFClass = "not determined"
				if st.Status == domain.StagePassed || st.Status == domain.StageFailed {
					e.MOFClass = "none"
				}
			}
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
