package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// failAudit makes PostgreSQL refuse every audit row of action from now on,
// as a full disk or a dropped connection would in the middle of a write.
func failAudit(t *testing.T, st *Store, action string) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`CREATE OR REPLACE FUNCTION test_fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.action = TG_ARGV[0] THEN RAISE EXCEPTION 'audit row % refused by the test', NEW.action; END IF;
			RETURN NEW;
		END $$`,
		`CREATE TRIGGER "test_fail_` + action + `" BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_fail_audit('` + action + `')`,
	} {
		if _, err := st.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
}

func actions(t *testing.T, st *Store, solicitationID string) []string {
	t.Helper()
	events, err := st.AuditTrail(context.Background(), solicitationID)
	requireNoError(t, err)
	var out []string
	for _, e := range events {
		out = append(out, e.Action)
	}
	return out
}

// A draft's new terms and their audit row commit together: when the row
// cannot be written, the terms stay as they were.
func TestUpdateDraftIsAtomicWithItsAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	d := m.draft(t, "sol_d", at)
	edited := d
	edited.Title = "Renamed"
	requireNoError(t, m.st.UpdateDraft(ctx, edited, editEvent(d.ID, 1)))
	if got := actions(t, m.st, d.ID); !slices.Contains(got, "solicitation.edited") {
		t.Fatalf("the edit was not audited: %v", got)
	}

	failAudit(t, m.st, "solicitation.edited")
	edited.Title = "Renamed again"
	requireFails(t, m.st.UpdateDraft(ctx, edited, editEvent(d.ID, 2)), "refused by the test")
	if got, _ := m.st.Solicitation(ctx, d.ID); got.Title != "Renamed" {
		t.Errorf("the title is %q though its audit row failed, want it unchanged", got.Title)
	}
}

// Publication and its reversal each commit with their audit row or not at
// all, so the trail never says published of a draft, nor the reverse.
func TestPublicationIsAtomicWithItsAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	d := m.draft(t, "sol_d", at)
	failAudit(t, m.st, "solicitation.published")
	requireFails(t, m.st.MarkPublished(ctx, d.ID, "rev-a", at.Add(time.Hour), statusEvent(d.ID, "published")), "refused by the test")
	if got, _ := m.st.Solicitation(ctx, d.ID); got.Status != domain.SolicitationDraft || got.PolicyRevision != "" || got.PublishedAt != nil {
		t.Errorf("published %+v though its audit row failed", got)
	}
	if got := actions(t, m.st, d.ID); slices.Contains(got, "solicitation.published") {
		t.Errorf("audited a publication that did not happen: %v", got)
	}

	other := m.draft(t, "sol_e", at)
	requireNoError(t, m.st.MarkPublished(ctx, other.ID, "rev-a", at.Add(time.Hour), AuditEvent{Key: "pub/" + other.ID, At: at,
		Actor: "usr_officer", Action: "solicitation.publish", SubjectType: "solicitation", SubjectID: other.ID, SolicitationID: other.ID}))
	requireFails(t, m.st.RevertPublished(ctx, other.ID, statusEvent(other.ID, "published")), "refused by the test")
	if got, _ := m.st.Solicitation(ctx, other.ID); got.Status != domain.SolicitationPublished {
		t.Errorf("reverted to %s though its audit row failed, want it still published", got.Status)
	}
	requireNoError(t, m.st.RevertPublished(ctx, other.ID, statusEvent(other.ID, "publication-reverted")))
	if got := actions(t, m.st, other.ID); !slices.Equal(got, []string{"solicitation.publish", "solicitation.publication-reverted"}) {
		t.Errorf("trail %v, want the publication and its reversal", got)
	}
}

// A declared conflict and its audit row commit together.
func TestDeclareConflictIsAtomicWithItsAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	failAudit(t, m.st, "conflict.declared")
	requireFails(t, m.st.DeclareConflict(ctx, m.reviewer.ID, m.vendorA.ID, "former employer", at), "refused by the test")
	if got, err := m.st.Conflicts(ctx, m.reviewer.ID); err != nil || len(got) != 0 {
		t.Errorf("conflicts %v (%v) though the declaration's audit row failed, want none", got, err)
	}
}

// A delivery check's task, or the closing of the award's tasks, commits
// with the check's audit row.
func TestDeliveryCheckIsAtomicWithItsAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	b := m.bid(t, "bid_a", m.sellerA, at, "granite")
	award := domain.Award{ID: "awd_1", SolicitationID: m.sol.ID, BidID: b.ID, CandidateID: b.Candidates[0].ID,
		Status: domain.AwardAwarded, Rationale: "best value", RecommendedBy: m.officer.ID, RecommendedAt: at}
	requireNoError(t, m.st.InsertAward(ctx, award))
	check := func(action string, n int) AuditEvent {
		return AuditEvent{Key: fmt.Sprintf("%s/%d", action, n), At: at, Actor: m.officer.ID, Action: action,
			SubjectType: "award", SubjectID: award.ID, SolicitationID: m.sol.ID}
	}
	mismatch := domain.Task{ID: "tsk-delivery-awd_1-1", Kind: "delivery-mismatch", SolicitationID: m.sol.ID, BidID: b.ID,
		CandidateID: b.Candidates[0].ID, VendorOrgID: b.VendorOrgID, WorkflowID: "solicitation/" + m.sol.ID,
		Title: "The delivered model differs", FindingsHash: "sha256:f", Approvals: 1, CreatedAt: at}
	requireNoError(t, m.st.RecordDeliveryCheck(ctx, award.ID, &mismatch, at, check("delivery.mismatch", 1)))

	failAudit(t, m.st, "delivery.verified")
	requireFails(t, m.st.RecordDeliveryCheck(ctx, award.ID, nil, at.Add(time.Hour), check("delivery.verified", 2)), "refused by the test")
	if got, err := m.st.Task(ctx, mismatch.ID); err != nil || got.Status != domain.TaskOpen {
		t.Errorf("the mismatch task is %s (%v) though the match's audit row failed, want it open", got.Status, err)
	}
	failAudit(t, m.st, "delivery.mismatch")
	second := mismatch
	second.ID = "tsk-delivery-awd_1-2"
	requireFails(t, m.st.RecordDeliveryCheck(ctx, award.ID, &second, at, check("delivery.mismatch", 3)), "refused by the test")
	_, err := m.st.Task(ctx, second.ID)
	requireKind(t, err, domain.ErrNotFound)
	if got := actions(t, m.st, m.sol.ID); !slices.Contains(got, "delivery.mismatch") || slices.Contains(got, "delivery.verified") {
		t.Errorf("trail %v, want the first mismatch only", got)
	}
}
