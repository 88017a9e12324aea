package store

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

func solID(s domain.Solicitation) string { return s.ID }

// Every term of a solicitation is read back as it was stored, optional ones
// included; no use cases or packs are an empty list, never null.
func TestSolicitationRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	days := 5.5
	sol := domain.Solicitation{ID: "sol_full", AgencyOrgID: m.agency.ID, Title: "Coding assistants", Description: "für Ämter",
		RiskTier: domain.RiskHighImpact, Deadline: at.Add(240 * time.Hour), ExpectedMonthlyUsers: 50000, MinimumOpennessClass: "II",
		UseCases: []string{"code-generation", "summarisation"}, Status: domain.SolicitationDraft, CreatedBy: m.officer.ID, CreatedAt: at,
		Weights:        domain.ScoringWeights{Openness: 0.25, Safety: 0.25, Price: 0.25, Fit: 0.25},
		StandstillDays: 14, AmendmentNoticeDays: 2.5, EnquiryPeriodDays: &days,
		OpennessPoints: &domain.PreferencePoints{ClassI: 40, ClassII: 20, ClassIII: 5},
		Packs:          []string{"omb-m-25-21", "omb-m-26-04"}, LargeLanguageModel: true, RequireOSAID: true, OSAIDPreferencePoints: 15}
	requireNoError(t, m.st.CreateSolicitation(ctx, sol))
	got, err := m.st.Solicitation(ctx, sol.ID)
	requireNoError(t, err)
	got.Deadline, got.CreatedAt = got.Deadline.UTC(), got.CreatedAt.UTC()
	if !reflect.DeepEqual(got, sol) {
		t.Errorf("read back\n%+v\nstored\n%+v", got, sol)
	}

	bare := m.draft(t, "sol_bare", at)
	got, err = m.st.Solicitation(ctx, bare.ID)
	requireNoError(t, err)
	if got.UseCases == nil || len(got.UseCases) != 0 || got.Packs == nil || len(got.Packs) != 0 || got.EnquiryPeriodDays != nil || got.OpennessPoints != nil || got.MinimumOpennessClass != "" {
		t.Errorf("optional terms of a bare draft read back as %+v", got)
	}
	_, err = m.st.Solicitation(ctx, "sol_ghost")
	requireKind(t, err, domain.ErrNotFound)
}

// What the schema refuses fails with the solicitation's id and stores nothing.
func TestCreateSolicitationRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	base := domain.Solicitation{ID: "sol_x", AgencyOrgID: m.agency.ID, Title: "t", RiskTier: domain.RiskStandard, Deadline: at,
		Status: domain.SolicitationDraft, CreatedBy: m.officer.ID, CreatedAt: at, Weights: domain.DefaultWeights}
	cases := map[string]func(*domain.Solicitation){
		"risk tier":      func(s *domain.Solicitation) { s.RiskTier = "extreme" },
		"openness class": func(s *domain.Solicitation) { s.MinimumOpennessClass = "IV" },
		"users":          func(s *domain.Solicitation) { s.ExpectedMonthlyUsers = -1 },
		"standstill":     func(s *domain.Solicitation) { s.StandstillDays = -1 },
		"NUL in title":   func(s *domain.Solicitation) { s.Title = "a\x00b" },
		"unknown agency": func(s *domain.Solicitation) { s.AgencyOrgID = "org_ghost" },
		"taken id":       func(s *domain.Solicitation) { s.ID = m.sol.ID },
	}
	for name, change := range cases {
		sol := base
		change(&sol)
		if err := m.st.CreateSolicitation(ctx, sol); err == nil {
			t.Errorf("%s: stored", name)
		} else {
			requireFails(t, err, "create solicitation "+sol.ID)
		}
	}
	if n := count(t, m.st, "solicitations", ""); n != 1 {
		t.Errorf("%d solicitations, want only the market's one", n)
	}
}

// A draft's terms change; a published solicitation's do not (an amendment
// changes those), and an unknown one is not found.
func TestUpdateDraft(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	d := m.draft(t, "sol_d", at)
	d.Title, d.Deadline, d.UseCases = "Renamed", at.Add(100*time.Hour), []string{"translation"}
	d.Status = domain.SolicitationPublished // ignored: editing never publishes
	requireNoError(t, m.st.UpdateDraft(ctx, d, editEvent(d.ID, 1)))
	got, _ := m.st.Solicitation(ctx, d.ID)
	if got.Title != "Renamed" || !got.Deadline.Equal(d.Deadline) || len(got.UseCases) != 1 || got.Status != domain.SolicitationDraft {
		t.Errorf("edited draft %+v", got)
	}

	pub := m.sol
	pub.Title = "Changed after publication"
	err := m.st.UpdateDraft(ctx, pub, editEvent(pub.ID, 2))
	requireKind(t, err, domain.ErrConflict)
	requireFails(t, err, "not a draft")
	if got, _ := m.st.Solicitation(ctx, pub.ID); got.Title == pub.Title {
		t.Error("a published solicitation's title changed")
	}
	requireKind(t, m.st.UpdateDraft(ctx, domain.Solicitation{ID: "sol_ghost", RiskTier: domain.RiskStandard}, editEvent("sol_ghost", 3)), domain.ErrNotFound)
}

// Solicitations are listed newest first, ties by id.
func TestSolicitationsNewestFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	m.draft(t, "sol_b", at.Add(time.Hour))
	m.draft(t, "sol_a", at.Add(time.Hour))
	m.draft(t, "sol_old", at.Add(-time.Hour))
	list, err := m.st.Solicitations(ctx)
	requireNoError(t, err)
	if got := ids(list, solID); got != "sol_a,sol_b,sol_main,sol_old" {
		t.Errorf("listing %s, want sol_a,sol_b,sol_main,sol_old", got)
	}
}

// Publishing freezes the policy revision once; publishing again is a
// conflict, and a revert (when the workflow did not start) makes it a
// draft again that can be published.
func TestPublishOnceAndRevert(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	d := m.draft(t, "sol_d", at)
	requireNoError(t, m.st.MarkPublished(ctx, d.ID, "rev-a", at.Add(time.Hour), statusEvent(d.ID, "published")))
	got, _ := m.st.Solicitation(ctx, d.ID)
	if got.Status != domain.SolicitationPublished || got.PolicyRevision != "rev-a" || got.PublishedAt == nil || !got.PublishedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("published %+v", got)
	}
	err := m.st.MarkPublished(ctx, d.ID, "rev-b", at.Add(2*time.Hour), statusEvent(d.ID, "published-again"))
	requireKind(t, err, domain.ErrConflict)
	requireFails(t, err, "is published, not a draft")
	if got, _ := m.st.Solicitation(ctx, d.ID); got.PolicyRevision != "rev-a" {
		t.Errorf("a second publication changed the revision to %s", got.PolicyRevision)
	}
	requireKind(t, m.st.MarkPublished(ctx, "sol_ghost", "rev-a", at, statusEvent("sol_ghost", "published")), domain.ErrNotFound)

	requireNoError(t, m.st.RevertPublished(ctx, d.ID, statusEvent(d.ID, "reverted")))
	got, _ = m.st.Solicitation(ctx, d.ID)
	if got.Status != domain.SolicitationDraft || got.PolicyRevision != "" || got.PublishedAt != nil {
		t.Errorf("reverted %+v, want a draft without revision or publication time", got)
	}
	requireNoError(t, m.st.MarkPublished(ctx, d.ID, "rev-b", at.Add(3*time.Hour), statusEvent(d.ID, "republished")))

	// A solicitation that has moved on is not reverted.
	requireNoError(t, m.st.SetSolicitationStatus(ctx, d.ID, domain.SolicitationClosed, at.Add(4*time.Hour), statusEvent(d.ID, "closed")))
	requireNoError(t, m.st.RevertPublished(ctx, d.ID, statusEvent(d.ID, "reverted-late")))
	if got, _ := m.st.Solicitation(ctx, d.ID); got.Status != domain.SolicitationClosed || got.PolicyRevision != "rev-b" {
		t.Errorf("revert of a closed solicitation: %+v", got)
	}
}

func editEvent(solID string, n int) AuditEvent {
	return AuditEvent{Key: fmt.Sprintf("edited/%s/%d", solID, n), At: at, Actor: "usr_officer", Action: "solicitation.edited",
		SubjectType: "solicitation", SubjectID: solID, SolicitationID: solID}
}

func statusEvent(solID, status string) AuditEvent {
	return AuditEvent{Key: "status/" + solID + "/" + status, At: at, Actor: "workflow", Action: "solicitation." + status,
		SubjectType: "solicitation", SubjectID: solID, SolicitationID: solID}
}

// A status change is written with its audit event or not at all; closing
// and evaluating keep the first time they happened.
func TestSetSolicitationStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	id := m.sol.ID
	requireNoError(t, m.st.SetSolicitationStatus(ctx, id, domain.SolicitationClosed, at.Add(time.Hour), statusEvent(id, "closed")))
	requireNoError(t, m.st.SetSolicitationStatus(ctx, id, domain.SolicitationClosed, at.Add(2*time.Hour), statusEvent(id, "closed")))
	got, _ := m.st.Solicitation(ctx, id)
	if got.Status != domain.SolicitationClosed || got.ClosedAt == nil || !got.ClosedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("closed %+v, want closed_at at the first close", got)
	}
	if n := count(t, m.st, "audit_events", "solicitation_id = $1 AND action = 'solicitation.closed'", id); n != 1 {
		t.Errorf("%d close events, want 1 (the retry is keyed)", n)
	}

	bad := statusEvent(id, "evaluated")
	bad.Detail = map[string]any{"score": math.NaN()}
	requireFails(t, m.st.SetSolicitationStatus(ctx, id, domain.SolicitationEvaluated, at.Add(3*time.Hour), bad), "encode detail")
	if got, _ := m.st.Solicitation(ctx, id); got.Status != domain.SolicitationClosed {
		t.Errorf("status %s after its audit event failed, want it still closed", got.Status)
	}
	if n := count(t, m.st, "solicitations", "evaluated_at IS NOT NULL"); n != 0 {
		t.Error("evaluated_at written although the transition failed")
	}
	requireNoError(t, m.st.SetSolicitationStatus(ctx, id, domain.SolicitationEvaluated, at.Add(4*time.Hour), statusEvent(id, "evaluated")))
	if n := count(t, m.st, "solicitations", "evaluated_at = $1 AND status_changed_at = $1", at.Add(4*time.Hour)); n != 1 {
		t.Error("evaluated_at and status_changed_at not set by the evaluated transition")
	}
}

// A cancellation keeps its first reason.
func TestCancelSolicitation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	requireNoError(t, m.st.CancelSolicitation(ctx, m.sol.ID, "budget withdrawn", at.Add(time.Hour)))
	requireNoError(t, m.st.CancelSolicitation(ctx, m.sol.ID, "second thoughts", at.Add(2*time.Hour)))
	got, _ := m.st.Solicitation(ctx, m.sol.ID)
	if got.Status != domain.SolicitationCancelled || got.CancelReason != "budget withdrawn" {
		t.Errorf("cancelled %+v, want the first reason kept", got)
	}
}

// An amendment moves the deadline and asks every submitted bid to be
// confirmed, once per amendment id; a second amendment under a taken
// sequence number fails and moves nothing.
func TestAmend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	m.bid(t, "bid_a", m.sellerA, at, "a")
	m.bid(t, "bid_b", m.sellerB, at, "b")
	requireNoError(t, m.st.SetBidStatus(ctx, "bid_b", "withdrawn", at))
	first := domain.Amendment{ID: "amd_1", SolicitationID: m.sol.ID, Seq: 1, Description: "more context",
		PreviousDeadline: m.sol.Deadline, NewDeadline: m.sol.Deadline.Add(48 * time.Hour), AmendedBy: m.officer.ID, AmendedAt: at.Add(time.Hour)}
	requireNoError(t, m.st.Amend(ctx, first))
	a, _ := m.st.Bid(ctx, "bid_a")
	b, _ := m.st.Bid(ctx, "bid_b")
	if a.Status != "needs-confirmation" || b.Status != "withdrawn" {
		t.Errorf("after the amendment: bid_a %s, bid_b %s; want needs-confirmation and withdrawn", a.Status, b.Status)
	}
	requireNoError(t, m.st.SetBidStatus(ctx, "bid_a", "submitted", at.Add(2*time.Hour)))

	replay := first
	replay.NewDeadline = first.NewDeadline.Add(time.Hour)
	requireNoError(t, m.st.Amend(ctx, replay))
	clash := first
	clash.ID, clash.NewDeadline = "amd_clash", first.NewDeadline.Add(24*time.Hour)
	requireFails(t, m.st.Amend(ctx, clash), "amend solicitation "+m.sol.ID)

	got, _ := m.st.Solicitation(ctx, m.sol.ID)
	if !got.Deadline.Equal(first.NewDeadline) {
		t.Errorf("deadline %s, want %s: a replay or a failed amendment moved it", got.Deadline, first.NewDeadline)
	}
	if a, _ := m.st.Bid(ctx, "bid_a"); a.Status != "submitted" {
		t.Errorf("a replayed amendment asked again for confirmation: %s", a.Status)
	}
	second := first
	second.ID, second.Seq, second.Description = "amd_2", 2, "fewer users"
	second.PreviousDeadline, second.NewDeadline = first.NewDeadline, first.NewDeadline
	requireNoError(t, m.st.Amend(ctx, second))
	list, err := m.st.Amendments(ctx, m.sol.ID)
	requireNoError(t, err)
	if got := ids(list, func(a domain.Amendment) string { return a.ID }); got != "amd_1,amd_2" || list[0].Description != "more context" {
		t.Errorf("amendments %s (%+v), want amd_1,amd_2", got, list)
	}
	if list, err := m.st.Amendments(ctx, "sol_ghost"); err != nil || len(list) != 0 {
		t.Errorf("amendments of an unknown solicitation: %v %v", list, err)
	}
}
