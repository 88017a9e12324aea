package visibility

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// The sealed-bid rules the table must keep whatever else changes in it.
func TestTableKeepsBidsSealed(t *testing.T) {
	bidFields := []Field{Candidates, Manifests, Prices, Evaluations, Clarifications, Prechecks}
	for _, f := range bidFields {
		for _, v := range Viewers {
			for _, p := range Phases {
				if !Sees(f, v, p) {
					continue
				}
				if v == VendorOther || v == Anonymous {
					t.Errorf("%s sees %s in %s: only the bidder and, once opened, the agency may", v, f, p)
				}
				if v != VendorOwn && !Opened(p) {
					t.Errorf("%s sees %s in %s, before bids are opened", v, f, p)
				}
			}
		}
	}
	for _, v := range Viewers {
		if v != VendorOwn && (Sees(Tenderers, v, Open) || Sees(Tenderers, v, CancelledSealed)) {
			t.Errorf("%s learns who bid before the deadline", v)
		}
		if v == VendorOwn || v == VendorOther || v == Anonymous {
			for _, p := range Phases {
				if Sees(Recommendation, v, p) {
					t.Errorf("%s sees a recommendation the reviewers have not approved, in %s", v, p)
				}
			}
		}
	}
	for _, f := range Fields {
		if len(Table[f]) == 0 {
			t.Errorf("the table grants %s to nobody", f)
		}
	}
}

func TestPhaseOf(t *testing.T) {
	closed := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		sol  domain.Solicitation
		want Phase
	}{
		{domain.Solicitation{Status: domain.SolicitationDraft}, Draft},
		{domain.Solicitation{Status: domain.SolicitationPublished}, Open},
		{domain.Solicitation{Status: domain.SolicitationBidding}, Open},
		{domain.Solicitation{Status: domain.SolicitationClosed, ClosedAt: &closed}, Closed},
		{domain.Solicitation{Status: domain.SolicitationEvaluated, ClosedAt: &closed}, Closed},
		{domain.Solicitation{Status: domain.SolicitationEvaluating, ClosedAt: &closed}, Evaluating},
		{domain.Solicitation{Status: domain.SolicitationAwardPending}, AwardPending},
		{domain.Solicitation{Status: domain.SolicitationStandstill}, Standstill},
		{domain.Solicitation{Status: domain.SolicitationAwarded}, Awarded},
		{domain.Solicitation{Status: domain.SolicitationCancelled}, CancelledSealed},
		{domain.Solicitation{Status: domain.SolicitationCancelled, ClosedAt: &closed}, CancelledOpened},
		{domain.Solicitation{Status: "something-new"}, Open},
	}
	for _, tt := range tests {
		if got := PhaseOf(tt.sol); got != tt.want {
			t.Errorf("PhaseOf(%s, closed %v) = %s, want %s", tt.sol.Status, tt.sol.ClosedAt != nil, got, tt.want)
		}
	}
	if Opened(CancelledSealed) || !Opened(CancelledOpened) || Opened(Open) || !Opened(Evaluating) {
		t.Error("Opened disagrees with the cancellation rule")
	}
}

func TestAwardField(t *testing.T) {
	until := time.Now()
	for _, tt := range []struct {
		a    domain.Award
		want Field
	}{
		{domain.Award{Status: domain.AwardPendingApproval}, Recommendation},
		{domain.Award{Status: domain.AwardRejected}, Recommendation},
		{domain.Award{Status: domain.AwardCancelled}, Recommendation},
		{domain.Award{Status: domain.AwardStandstill, StandstillUntil: &until}, Award},
		{domain.Award{Status: domain.AwardAwarded, StandstillUntil: &until}, Award},
		{domain.Award{Status: domain.AwardCancelled, StandstillUntil: &until}, Award},
	} {
		if got := AwardField(tt.a); got != tt.want {
			t.Errorf("AwardField(%s, standstill %v) = %s, want %s", tt.a.Status, tt.a.StandstillUntil != nil, got, tt.want)
		}
	}
}

func TestRefusalNamesTheRuleNotTheOwner(t *testing.T) {
	deadline := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	open := domain.Solicitation{ID: "sol_1", Status: domain.SolicitationPublished, Deadline: deadline}
	cancelled := domain.Solicitation{ID: "sol_1", Status: domain.SolicitationCancelled, Deadline: deadline}
	tests := []struct {
		f    Field
		v    Viewer
		sol  domain.Solicitation
		kind domain.ErrorKind
		says string
	}{
		{Manifests, Officer, open, domain.ErrForbidden, "sealed until the deadline (2026-03-01T12:00:00Z)"},
		{Manifests, Auditor, cancelled, domain.ErrForbidden, "cancelled before its deadline"},
		{Manifests, VendorOther, open, domain.ErrNotFound, "no bid bid_1"},
		{Ranking, Officer, open, domain.ErrConflict, "comes after the deadline"},
		{Recommendation, VendorOwn, open, domain.ErrForbidden, "may not see"},
	}
	for _, tt := range tests {
		err := Refusal(tt.f, tt.v, tt.sol, "bid bid_1")
		if err.Kind != tt.kind || !strings.Contains(err.Message, tt.says) {
			t.Errorf("Refusal(%s, %s, %s) = %s %q, want %s saying %q", tt.f, tt.v, tt.sol.Status, err.Kind, err.Message, tt.kind, tt.says)
		}
	}
	if err := Forbidden(domain.User{Role: domain.RoleVendor}, Audit); err.Kind != domain.ErrForbidden || !strings.Contains(err.Message, "auditors") {
		t.Errorf("Forbidden(vendor, audit) = %v", err)
	}
}

// A viewer's class comes from its role and its organisation relative to the
// solicitation: a vendor organisation's user is its vendor whatever its
// role, and another agency's staff is not the issuing agency's.
func TestViewerOf(t *testing.T) {
	sol := domain.Solicitation{ID: "sol_1", AgencyOrgID: "org_agency"}
	staffOf := func(role domain.Role, org string) domain.User {
		return domain.User{ID: "usr_" + string(role), Role: role, OrgID: org, OrgKind: "agency"}
	}
	insider := domain.User{ID: "usr_insider", Role: domain.RoleReviewer, OrgID: "org_a", OrgKind: "vendor"}
	seller := domain.User{ID: "usr_seller", Role: domain.RoleVendor, OrgID: "org_a", OrgKind: "vendor"}
	tests := []struct {
		name  string
		u     domain.User
		owner string
		want  Viewer
	}{
		{"the agency's officer", staffOf(domain.RoleOfficer, "org_agency"), "org_a", Officer},
		{"the agency's officer on a record its agency holds", staffOf(domain.RoleOfficer, "org_agency"), "org_agency", Officer},
		{"the agency's reviewer", staffOf(domain.RoleReviewer, "org_agency"), "", Reviewer},
		{"the agency's auditor", staffOf(domain.RoleAuditor, "org_agency"), "org_b", Auditor},
		{"the agency's admin", staffOf(domain.RoleAdmin, "org_agency"), "", Admin},
		{"an admin of no organisation", domain.User{Role: domain.RoleAdmin}, "", Admin},
		{"another agency's officer", staffOf(domain.RoleOfficer, "org_other"), "org_a", OtherAgency},
		{"another agency's auditor", staffOf(domain.RoleAuditor, "org_other"), "", OtherAgency},
		{"an officer of no organisation", domain.User{Role: domain.RoleOfficer}, "", OtherAgency},
		{"vendor A's reviewer on A's bid", insider, "org_a", VendorOwn},
		{"vendor A's reviewer on B's bid", insider, "org_b", VendorOther},
		{"vendor A's reviewer on the solicitation", insider, "", VendorOther},
		{"vendor A's seller on A's bid", seller, "org_a", VendorOwn},
		{"vendor A's seller on B's bid", seller, "org_b", VendorOther},
		{"a vendor user in the agency's organisation", domain.User{Role: domain.RoleVendor, OrgID: "org_agency"}, "", VendorOther},
		{"a user without a role", domain.User{OrgID: "org_agency"}, "", Anonymous},
	}
	for _, tt := range tests {
		if got := ViewerOf(tt.u, sol, tt.owner); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

// Staff of another agency sees what the public sees, no vendor-side viewer
// sees what only the agency does, and a withdrawn bid is its vendor's alone.
func TestOtherAgencyAndWithdrawnRules(t *testing.T) {
	agencyOnly := []Field{Ranking, Recommendation, Tasks, Audit}
	for _, f := range Fields {
		for _, p := range Phases {
			if Sees(f, OtherAgency, p) != Sees(f, Anonymous, p) {
				t.Errorf("another agency's staff and the public disagree on %s in %s", f, p)
			}
			if Sees(f, VendorOther, p) && !Sees(f, Anonymous, p) {
				t.Errorf("a vendor's user sees %s of another vendor in %s, which the public does not", f, p)
			}
			if slices.Contains(agencyOnly, f) && Sees(f, VendorOwn, p) {
				t.Errorf("a vendor's user sees the agency's %s in %s", f, p)
			}
			if p == Withdrawn {
				for _, v := range Viewers {
					if Sees(f, v, p) && v != VendorOwn {
						t.Errorf("%s sees %s of a withdrawn bid", v, f)
					}
				}
			}
		}
	}
	for _, f := range []Field{Tenderers, Candidates, Manifests, Prices} {
		if !Sees(f, VendorOwn, Withdrawn) {
			t.Errorf("the vendor no longer sees %s of its own withdrawn bid", f)
		}
	}
	open := domain.Solicitation{ID: "sol_1", Status: domain.SolicitationEvaluating}
	if got := PhaseOfBid(open, domain.BidWithdrawn); got != Withdrawn {
		t.Errorf("PhaseOfBid(withdrawn) = %s", got)
	}
	if got := PhaseOfBid(open, "submitted"); got != Evaluating {
		t.Errorf("PhaseOfBid(submitted) = %s, want the solicitation's phase", got)
	}
	if err := RefusalIn(Manifests, Officer, Withdrawn, open, "bid bid_1"); err.Kind != domain.ErrForbidden || !strings.Contains(err.Message, "withdrawn before the deadline") {
		t.Errorf("refusal of a withdrawn bid: %v", err)
	}
}
