package tender

import (
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// A visitor's status filter groups the lifecycle: open until the deadline
// even before the workflow closes bidding; a draft is never public.
func TestPublicPhase(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		status   domain.SolicitationStatus
		deadline time.Time
		want     string
	}{
		{domain.SolicitationDraft, now.Add(time.Hour), ""},
		{domain.SolicitationPublished, now.Add(time.Hour), PhaseOpen},
		{domain.SolicitationBidding, now.Add(time.Hour), PhaseOpen},
		{domain.SolicitationPublished, now.Add(-time.Second), PhaseClosed},
		{domain.SolicitationEvaluating, now.Add(-time.Hour), PhaseClosed},
		{domain.SolicitationStandstill, now.Add(-time.Hour), PhaseClosed},
		{domain.SolicitationAwarded, now.Add(-time.Hour), PhaseAwarded},
		{domain.SolicitationCancelled, now.Add(time.Hour), PhaseCancelled},
	} {
		if got := publicPhase(domain.Solicitation{Status: tc.status, Deadline: tc.deadline}, now); got != tc.want {
			t.Errorf("%s with the deadline at %s: phase %q, want %q", tc.status, tc.deadline.Sub(now), got, tc.want)
		}
	}
}

func TestPublicFilterMatches(t *testing.T) {
	sol := domain.Solicitation{Title: "Language model for benefits correspondence", Description: "Drafting replies to claimants.",
		RiskTier: domain.RiskHighImpact}
	for _, tc := range []struct {
		f    PublicFilter
		want bool
	}{
		{PublicFilter{}, true},
		{PublicFilter{Query: "BENEFITS claimants"}, true}, // every word, in title or description, any case
		{PublicFilter{Query: "benefits translation"}, false},
		{PublicFilter{Agency: "department of digital services"}, true},
		{PublicFilter{Agency: "Department of Health"}, false},
		{PublicFilter{Tier: "high-impact", Phase: PhaseOpen}, true},
		{PublicFilter{Tier: "standard"}, false},
		{PublicFilter{Phase: PhaseAwarded}, false},
	} {
		if got := tc.f.matches(sol, "Department of Digital Services", PhaseOpen); got != tc.want {
			t.Errorf("%+v matches: %t, want %t", tc.f, got, tc.want)
		}
	}
}

func TestChunksCutsHashesForWrapping(t *testing.T) {
	got := chunks("sha256:0123456789abcdef", 8)
	want := []string{"sha256:0", "12345678", "9abcdef"}
	if len(got) != len(want) {
		t.Fatalf("chunks %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("chunks %v, want %v", got, want)
		}
	}
}
