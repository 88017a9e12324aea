package tender

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/check"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/licensing"
	"github.com/modeltender/modeltender/policies"
)

// fieldsOf are the fields an invalid-input error names, sorted.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	requireKind(t, err, domain.ErrInvalid)
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("not a domain error: %v", err)
	}
	var out []string
	for _, f := range de.Fields {
		out = append(out, f.Field)
	}
	slices.Sort(out)
	return out
}

// A report of a violating output and a vendor's change notice name every
// problem at once, before anything is looked up or sent.
func TestReportAndNoticeNameEveryProblem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	_, err := w.svc.ReportOutput(ctx, w.officer, "awd_none", OutputReport{Severity: "apocalyptic", OccurredAt: "last Tuesday",
		Prompt: strings.Repeat("p", maxReportText+1)})
	if got, want := fieldsOf(t, err), []string{"description", "occurred_at", "prompt", "severity"}; !slices.Equal(got, want) {
		t.Fatalf("report refused at %v, want %v: %v", got, want, err)
	}
	_, err = w.svc.NotifyChange(ctx, w.sellerA, "awd_none", ChangeNotice{WeightsDigest: "md5:abc"})
	if got, want := fieldsOf(t, err), []string{"description", "weights_digest"}; !slices.Equal(got, want) {
		t.Fatalf("notice refused at %v, want %v: %v", got, want, err)
	}
	_, err = w.svc.NotifyChange(ctx, w.sellerA, "awd_none", ChangeNotice{})
	if got, want := fieldsOf(t, err), []string{"description", "version"}; !slices.Equal(got, want) {
		t.Fatalf("empty notice refused at %v, want %v: %v", got, want, err)
	}
	// Valid ones go on to find the award, which does not exist.
	_, err = w.svc.ReportOutput(ctx, w.officer, "awd_none", OutputReport{Description: "partisan answer", Severity: "high", OccurredAt: "2026-12-01"})
	requireKind(t, err, domain.ErrNotFound)
	w.requireNothingSent(t, 0)
}

// The review task's title carries the report's gist: severity, why, when,
// the output and its prompt, cut to a title's length.
func TestReportSummary(t *testing.T) {
	t.Parallel()
	r := OutputReport{Description: " took a side on a ballot measure ", Severity: "high", OccurredAt: "2026-12-01T14:30:00Z",
		Output: "Vote yes on 12.", Prompt: "Summarise measure 12."}
	want := "high severity: took a side on a ballot measure (on 2026-12-01T14:30:00Z); output: “Vote yes on 12.”; prompt: “Summarise measure 12.”"
	if got := r.summary(); got != want {
		t.Fatalf("summary %q, want %q", got, want)
	}
	if got := (OutputReport{Description: "why"}).summary(); got != "why" {
		t.Fatalf("a bare report's summary is %q", got)
	}
	long := OutputReport{Description: "why", Output: strings.Repeat("o", 1000)}.summary()
	if n := len([]rune(long)); n != maxReportTitle || !strings.HasSuffix(long, "…") {
		t.Fatalf("a long report's summary has %d characters, want %d ending in …", n, maxReportTitle)
	}
}

// The officer's page offers to adopt the running policy revision only when
// the solicitation is judged under another one, and only to the officer
// who may amend it.
func TestSolicitationPageOffersTheRunningRevision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	sol := w.published(t)
	p, err := w.svc.SolicitationPage(ctx, w.officer, sol.ID)
	requireNoError(t, err)
	if p.RunningRevision != "" {
		t.Fatalf("the page offers revision %s, which the solicitation already runs", p.RunningRevision)
	}
	// An amendment recorded as adopting another revision leaves the
	// solicitation judged under it, as one from an older bundle would
	// (whose rules, here, are this bundle's under another name).
	w.svc.Check = check.New(everyRevision{check.Fixed{Engine: w.svc.Policies, Analyzer: w.svc.Licenses, PackCatalogue: w.svc.Packs}})
	requireNoError(t, w.st.Amend(ctx, domain.Amendment{ID: "amd_older", SolicitationID: sol.ID, Seq: 1, Description: "older rules",
		PreviousDeadline: sol.Deadline, NewDeadline: sol.Deadline, AmendedBy: w.officer.ID, AmendedAt: *w.now, AdoptedRevision: "sha256:older"}))
	p, err = w.svc.SolicitationPage(ctx, w.officer, sol.ID)
	requireNoError(t, err)
	if p.RunningRevision != w.svc.Policies.Revision() {
		t.Fatalf("the officer is offered %q, want the running revision %s", p.RunningRevision, w.svc.Policies.Revision())
	}
	v, err := w.svc.SolicitationPage(ctx, w.sellerA, sol.ID)
	requireNoError(t, err)
	if v.RunningRevision != "" {
		t.Fatal("a vendor is offered to adopt a revision")
	}
}

// everyRevision serves one bundle's rules under any revision.
type everyRevision struct{ check.Fixed }

func (e everyRevision) For(ctx context.Context, _ string) (*policies.Engine, *licensing.Analyzer, error) {
	return e.Fixed.For(ctx, "")
}

func (e everyRevision) Packs(ctx context.Context, _ string) ([]policies.Pack, error) {
	return e.Fixed.Packs(ctx, "")
}
