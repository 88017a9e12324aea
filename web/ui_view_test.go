package web

import (
	"bytes"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/tender"
)

func rankingRow(rank int, id, name string, b map[string]float64) tender.RankingRow {
	total := 0.0
	for _, p := range b {
		total += p
	}
	r := tender.RankingRow{RankedCandidate: domain.RankedCandidate{Rank: rank, CandidateID: id, Name: name, Total: total, Breakdown: b}, Vendor: "V"}
	for _, c := range criteria {
		r.ScoreParts = append(r.ScoreParts, tender.ScorePart{Criterion: c, Points: b[c]})
	}
	return r
}

// Each bar is the ranking's total, split into its criteria: the segments
// add up to the total's length, in the ranking's order.
func TestRankingChartStacksTheBreakdown(t *testing.T) {
	rows := []tender.RankingRow{
		rankingRow(1, "c1", "llama", map[string]float64{"openness": 0, "safety": 30, "price": 10, "fit": 20}),
		rankingRow(2, "c2", "granite", map[string]float64{"openness": 12.5, "safety": 30, "price": 5.25, "fit": 0}),
	}
	ch := newRankingChart(rows)
	if len(ch.Bars) != 2 || ch.Bars[0].Name != "llama" || ch.Bars[1].Name != "granite" {
		t.Fatalf("bars %+v, want the ranking's order", ch.Bars)
	}
	for i, b := range ch.Bars {
		width := 0.0
		for _, s := range b.Segments {
			width += s.Width
			if s.Width <= 0 {
				t.Errorf("%s: an empty %s segment is drawn", b.Name, s.Criterion)
			}
		}
		if got, want := width/chartScale, rows[i].Total; got < want-1e-9 || got > want+1e-9 {
			t.Errorf("%s: segments add up to %.4f points, the total is %.4f", b.Name, got, want)
		}
		if b.TotalX < chartLeft+width {
			t.Errorf("%s: the total is written over the bar", b.Name)
		}
	}
	if !strings.Contains(ch.Summary, "rank 1, llama from V, 60.00 points (openness 0.00, safety 30.00, price 10.00, fit 20.00)") {
		t.Errorf("the text alternative misses the first bar: %s", ch.Summary)
	}
	if ch.Height <= ch.Bars[1].Y+24 {
		t.Errorf("chart height %d cuts off the last bar at y %d", ch.Height, ch.Bars[1].Y)
	}
}

// The board shows the ranking's numbers and nothing else as a total; the
// disqualified candidate is apart, with its reason, and has no bar.
func TestBoardRendersTheRankingNumbers(t *testing.T) {
	s := &Server{pages: parsePages()}
	qualified := tender.CandidateStatus{ID: "c1", Name: "llama", Vendor: "V", Outcome: "qualified", Done: true}
	olmo := tender.CandidateStatus{ID: "c3", Name: "olmo", Vendor: "W", Outcome: "disqualified", Done: true,
		Reason: "Red-team report is missing", Points: ptr(37.5)}
	b := tender.BoardPage{CandidateSet: tender.CandidateSet{Sol: domain.Solicitation{ID: "sol", Title: "T"},
		Candidates: []tender.CandidateStatus{qualified, olmo}}, ShowRanking: true,
		Ranking: []tender.RankingRow{rankingRow(1, "c1", "llama", map[string]float64{"openness": 0, "safety": 30, "price": 10, "fit": 20})}}
	var buf bytes.Buffer
	if err := s.pages["board"].ExecuteTemplate(&buf, "layout", page{Data: newBoardView(b)}); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	totals := regexp.MustCompile(`data-total="([^"]+)"`).FindAllStringSubmatch(html, -1)
	if len(totals) != 1 || totals[0][1] != "60.00" {
		t.Fatalf("board totals %v, want the ranking's 60.00 only", totals)
	}
	for _, want := range []string{">60.00<", "Disqualified, not ranked", "olmo</a> from W: Red-team report is missing", "Legend"} {
		if !strings.Contains(html, want) {
			t.Errorf("the board does not show %q", want)
		}
	}
	if strings.Contains(html, "37.5") {
		t.Errorf("the board shows the disqualified candidate's openness points as a score")
	}
}

// Findings that differ only in their component are one group naming them all.
func TestFindingsGroupByRuleAndLicense(t *testing.T) {
	warn := func(comp string) domain.Finding {
		return domain.Finding{Rule: "license.acceptable-use", Severity: domain.SeverityWarn, Message: comp + ": Llama 3.1 forbids a list of uses",
			Evidence: domain.Evidence{Component: comp, Clause: "LicenseRef-Llama-3.1-Community acceptable_use_policy", Quote: "You agree"}, Source: "Llama 3.1 (policies/data/licenses/llama-3.1.txt)"}
	}
	info := domain.Finding{Rule: "openness.class", Severity: domain.SeverityInfo, Message: "no class"}
	g := splitFindings([]domain.Finding{warn("weights"), warn("Model card"), info, warn("Inference code"), warn("weights")})
	if len(g.Act) != 1 || len(g.Info) != 1 {
		t.Fatalf("groups %+v, want one warning and one note", g)
	}
	w := g.Act[0]
	if w.Message != "Llama 3.1 forbids a list of uses" || !slices.Equal(w.Components, []string{"weights", "Model card", "Inference code"}) {
		t.Fatalf("group %q on %v, want the message once on three components", w.Message, w.Components)
	}
	if link := licenseLink(w.Source, w.Evidence.Clause); link != "/licenses/LicenseRef-Llama-3.1-Community#clause-acceptable_use_policy" {
		t.Fatalf("clause link %q", link)
	}
}

// The timeline spreads the events over the line in time order.
func TestTimelinePlacesEvents(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := newTimeline([]tender.TimelineEvent{{Label: "Published", At: t0}, {Label: "Questions close", At: t0.Add(24 * time.Hour)}, {Label: "Deadline", At: t0.Add(4 * 24 * time.Hour)}})
	if v.Events[0].X != 2 || v.Events[1].X != 26 || v.Events[2].X != 98 {
		t.Fatalf("positions %+v", v.Events)
	}
}

func ptr[T any](v T) *T { return &v }

// Form errors drop the schema's jargon and locations.
func TestErrorsInUsersWords(t *testing.T) {
	for in, want := range map[string]string{
		"the bid was not accepted: 2 problem(s) in its manifests, listed field by field (the manifest schema is at /api/v1/schemas/manifest.json); fix them and submit again": "the bid was not accepted: 2 problems in its manifests, listed field by field; fix them and submit again",
		"pasted manifest: missing property 'weights'":          "pasted manifest: “weights” is missing",
		"pasted manifest, field name: got number, want string": "pasted manifest, field name: must be text, not a number",
	} {
		if got := inUsersWords(in); got != want {
			t.Errorf("inUsersWords(%q) = %q, want %q", in, got, want)
		}
	}
}

// A solicitation that closed without bids tells its officer what to do
// next, and its timeline lists the dates in order.
func TestClosedWithoutBidsHasANextStep(t *testing.T) {
	s := &Server{pages: parsePages()}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := solicitationView{SolicitationPage: tender.SolicitationPage{
		Sol:      domain.Solicitation{ID: "sol", Title: "T", Status: domain.SolicitationEvaluated, Deadline: t0.Add(48 * time.Hour), PublishedAt: &t0},
		CanBoard: true, NoBids: true, Lifecycle: tender.Lifecycle{CanCancel: true},
		Timeline: []tender.TimelineEvent{{Kind: "published", Label: "Published", At: t0, Past: true}, {Kind: "deadline", Label: "Deadline", At: t0.Add(48 * time.Hour), Past: true}},
	}}
	var buf bytes.Buffer
	if err := s.pages["solicitation"].ExecuteTemplate(&buf, "layout", page{Data: v}); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{"No bids: close it with no award", `href="#cancel"`, `id="cancel"`, "Timeline", `datetime="2026-01-03T00:00:00Z"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	if strings.Contains(html, "Open the evaluation board") {
		t.Errorf("the page offers an empty evaluation board")
	}
}

// The reviewer's task page names people and reasons in words, and links a
// quoted clause to the license text; the license page marks the quote.
func TestTaskAndLicensePagesUseWords(t *testing.T) {
	s := &Server{pages: parsePages()}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	warn := domain.Finding{Rule: "license.user-cap", Severity: domain.SeverityWarn, Message: "weights: Llama 3.1 caps users",
		Evidence: domain.Evidence{Component: "weights", Clause: "LicenseRef-Llama-3.1-Community mau_cap", Quote: "700 million"},
		Source:   "Llama 3.1 Community License (policies/data/licenses/llama-3.1.txt)"}
	v := taskView{TaskPage: tender.TaskPage{
		Task:      domain.Task{ID: "tsk", Title: "Approve", Kind: domain.TaskComplianceApproval, CreatedAt: t0, Findings: []domain.Finding{warn}},
		Decisions: []domain.Decision{{ReviewerID: "usr_1", Verdict: domain.VerdictApprove, ReasonCode: "accepted-for-intended-use", DecidedAt: t0}},
		Names:     map[string]string{"usr_1": "reviewer1@example.test"},
	}}
	var buf bytes.Buffer
	if err := s.pages["task"].ExecuteTemplate(&buf, "layout", page{Data: v}); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{"Compliance approval", "reviewer1@example.test", "Accepted for the intended use", `href="/licenses/LicenseRef-Llama-3.1-Community#clause-mau_cap"`, "Applies to"} {
		if !strings.Contains(html, want) {
			t.Errorf("the task page does not show %q", want)
		}
	}
	if strings.Contains(html, "usr_1") {
		t.Errorf("the task page shows a user id")
	}
	lic := tender.LicenseText{ID: "L", Name: "License", Texts: []tender.LicenseDocument{{File: "licenses/l.txt", Passages: []tender.LicensePassage{
		{Text: "Before. "}, {Text: "700 million", Clauses: []string{"mau_cap", "commercial_use"}, Anchors: []string{"mau_cap"}}, {Text: " After."}}}}}
	buf.Reset()
	if err := s.pages["license"].ExecuteTemplate(&buf, "layout", page{Data: lic}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<span id="clause-mau_cap" class="mt-anchor"></span><mark class="mt-quote">700 million</mark>`) {
		t.Errorf("the license page does not anchor the quote:\n%s", buf.String())
	}
}

// A derived candidate's pipeline names the models it derives from, whose
// license duties the review weighed.
func TestPipelineNamesTheLineage(t *testing.T) {
	c := tender.CandidateStatus{Name: "fine-tune", BaseModels: []domain.BaseModel{{Name: "meta-llama/Llama-3.1-8B", Relation: "finetune"}}}
	var out bytes.Buffer
	if err := parsePages()["board"].ExecuteTemplate(&out, "pipeline", c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Derived from <code>meta-llama/Llama-3.1-8B</code> (finetune)") {
		t.Errorf("the pipeline does not name the base model:\n%s", out.String())
	}
}

// A form's own problems come first and the service's on the same field are
// left out, since they would repeat them about the raw text.
func TestUnreadableReportsEachFieldOnce(t *testing.T) {
	own := []domain.FieldError{{Field: "weights", Message: "each weight must be a number such as 0.25"}}
	rest := []domain.FieldError{{Field: "weights", Message: "must add up to 1"}, {Field: "title", Message: "is required"}}
	de := asDomainError(unreadable("not valid", own, rest))
	want := []domain.FieldError{own[0], rest[1]}
	if de.Kind != domain.ErrInvalid || !reflect.DeepEqual(de.Fields, want) {
		t.Fatalf("got %s %+v, want invalid %+v", de.Kind, de.Fields, want)
	}
	if len(rest) != 2 {
		t.Error("unreadable changed the service's list")
	}
}
