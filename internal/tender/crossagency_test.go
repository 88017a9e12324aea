package tender

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// Every use case that changes a solicitation refuses an officer of another
// agency itself, naming who may act, before anything is sent to the
// workflow or written (the workflow's validators refuse it too).
func TestOtherAgencyChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newReview(t)
	draft, err := r.svc.Draft(ctx, r.officer, terms())
	requireNoError(t, err)
	award := domain.Award{ID: "awd_1", SolicitationID: r.sol.ID, BidID: r.bid.ID, CandidateID: r.bid.Candidates[0].ID,
		Status: domain.AwardAwarded, Rationale: "best value", RecommendedBy: r.officer.ID, RecommendedAt: t0}
	requireNoError(t, r.st.InsertAward(ctx, award))
	score := 80.0
	edited := terms()
	edited.Title = "Taken over"
	cases := map[string]func(u domain.User) error{
		"edit a draft": func(u domain.User) error { _, err := r.svc.EditDraft(ctx, u, draft.ID, edited); return err },
		"publish":      func(u domain.User) error { _, err := r.svc.Publish(ctx, u, draft.ID); return err },
		"amend": func(u domain.User) error {
			_, err := r.svc.Amend(ctx, u, r.sol.ID, Amendment{Description: "not mine"})
			return err
		},
		"cancel": func(u domain.User) error { _, err := r.svc.Cancel(ctx, u, r.sol.ID, "not mine"); return err },
		"answer": func(u domain.User) error { _, err := r.svc.Answer(ctx, u, r.sol.ID, "qst_1", "yes"); return err },
		"score fit": func(u domain.User) error {
			_, err := r.svc.ScoreFit(ctx, u, r.sol.ID, FitScore{CandidateID: r.bid.Candidates[0].ID, Score: &score, Note: "n"})
			return err
		},
		"recommend": func(u domain.User) error {
			_, err := r.svc.RecommendAward(ctx, u, r.sol.ID, Recommendation{CandidateID: r.bid.Candidates[0].ID, Rationale: "r"})
			return err
		},
		"decide a protest": func(u domain.User) error {
			_, err := r.svc.DecideProtest(ctx, u, r.sol.ID, "prt_1", ProtestDecision{Outcome: "dismissed", Decision: "d"})
			return err
		},
		"assign a reviewer": func(u domain.User) error {
			_, err := r.svc.AssignReviewer(ctx, u, r.task.ID, r.otherReviewer.ID)
			return err
		},
		"approve with an exception": func(u domain.User) error {
			_, err := r.svc.ApproveWithException(ctx, u, r.task.ID, "none left")
			return err
		},
		"report an output": func(u domain.User) error {
			_, err := r.svc.ReportOutput(ctx, u, award.ID, OutputReport{Description: "leaked data"})
			return err
		},
		"check a delivery": func(u domain.User) error {
			_, err := r.svc.CheckDelivery(ctx, u, award.ID, DeliveryCheck{Files: map[string]string{"model.safetensors": "00"}})
			return err
		},
	}
	started := len(r.temporal.starts)
	for name, change := range cases {
		requireRefusalAs(t, name, change(r.otherOfficer), "only an officer of the agency that issued it")
	}
	// Another agency's reviewer acts on a task only once assigned to it.
	_, err = r.svc.Decide(ctx, r.otherReviewer, r.task.ID, approve)
	requireRefusalAs(t, "decide a task", err, "the issuing agency's")
	_, err = r.svc.AskClarification(ctx, r.otherReviewer, r.task.ID, "why?", time.Hour)
	requireRefusalAs(t, "ask a clarification", err, "the issuing agency's")
	r.requireNothingSent(t, 0)
	if len(r.temporal.starts) != started {
		t.Errorf("another agency's officer started %d workflows", len(r.temporal.starts)-started)
	}
	if got, _ := r.st.Solicitation(ctx, draft.ID); got.Title != draft.Title || got.Status != domain.SolicitationDraft {
		t.Errorf("another agency's officer changed the draft: %+v", got)
	}
	if trail, _ := r.st.AuditTrail(ctx, draft.ID); len(trail) != 0 {
		t.Errorf("another agency's refused changes were audited: %+v", trail)
	}
}

func requireRefusalAs(t *testing.T, name string, err error, says string) {
	t.Helper()
	if domain.KindOf(err) != domain.ErrForbidden || err == nil || !strings.Contains(err.Error(), says) {
		t.Errorf("%s by another agency's staff: %v, want forbidden saying %q", name, err, says)
	}
}

// failAudit makes PostgreSQL refuse every audit row of action in the
// world's database, as a full disk or a dropped connection would mid-write.
func (w *world) failAudit(t *testing.T, action string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, w.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		`CREATE OR REPLACE FUNCTION test_fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.action = ANY (TG_ARGV) THEN RAISE EXCEPTION 'audit row % refused by the test', NEW.action; END IF;
			RETURN NEW;
		END $$`,
		`CREATE TRIGGER "test_fail_` + action + `" BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_fail_audit('` + action + `')`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
}

// A use case's write and its audit row commit together: when the row
// cannot be written, the edit, the publication and the declaration are
// not there either, and no workflow starts.
func TestWritesCommitWithTheirAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	d, err := w.svc.Draft(ctx, w.officer, terms())
	requireNoError(t, err)
	w.failAudit(t, "solicitation.edited")
	edited := terms()
	edited.Title = "Edited"
	_, err = w.svc.EditDraft(ctx, w.officer, d.ID, edited)
	requireRefusal(t, err, domain.KindOf(err), "refused by the test")
	if got, _ := w.st.Solicitation(ctx, d.ID); got.Title != d.Title {
		t.Errorf("the edit stands without its audit row: %q", got.Title)
	}

	w2 := newWorld(t)
	d2, err := w2.svc.Draft(ctx, w2.officer, terms())
	requireNoError(t, err)
	w2.failAudit(t, "solicitation.published")
	_, err = w2.svc.Publish(ctx, w2.officer, d2.ID)
	requireRefusal(t, err, domain.KindOf(err), "refused by the test")
	if got, _ := w2.st.Solicitation(ctx, d2.ID); got.Status != domain.SolicitationDraft || got.PolicyRevision != "" {
		t.Errorf("the publication stands without its audit row: %+v", got)
	}
	if len(w2.temporal.starts) != 0 {
		t.Error("a workflow started for a publication that was not written")
	}

	w2.failAudit(t, "conflict.declared")
	_, err = w2.svc.DeclareConflict(ctx, w2.reviewer, w2.vendorA.ID, "former employer")
	requireRefusal(t, err, domain.KindOf(err), "refused by the test")
	if got, err := w2.st.Conflicts(ctx, w2.reviewer.ID); err != nil || len(got) != 0 {
		t.Errorf("the conflict stands without its audit row: %v %v", got, err)
	}
}
