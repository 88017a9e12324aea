package tender

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
)

func TestRedactHidesBiddersUntilBidsAreOpened(t *testing.T) {
	closedAt := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	auditor := domain.User{ID: "usr_aud", Role: domain.RoleAuditor, OrgID: "org_agency"}
	events := []store.AuditEvent{
		{Actor: "usr_vendor", Action: "bid.submitted", SubjectType: "bid", SubjectID: "bid_1",
			Detail: map[string]any{"candidates": []string{"granite"}, "vendor_org_id": "org_northwind"}},
		{Actor: "usr_vendor", Action: "bid.withdrawn", SubjectType: "bid", SubjectID: "bid_1"},
		{Actor: "usr_vendor", Action: "question.asked", SubjectType: "question", SubjectID: "qst_1"},
		{Actor: "usr_officer", Action: "question.answered", SubjectType: "question", SubjectID: "qst_1"},
		{Actor: "usr_officer", Action: "solicitation.published", SubjectType: "solicitation", SubjectID: "sol_1",
			Detail: map[string]any{"risk_tier": "standard"}},
	}
	for _, sol := range []domain.Solicitation{
		{ID: "sol_1", AgencyOrgID: "org_agency", Status: domain.SolicitationPublished},
		{ID: "sol_1", AgencyOrgID: "org_agency", Status: domain.SolicitationCancelled}, // cancelled before the deadline
	} {
		got := Redact(auditor, sol, events, nil)
		for i, e := range got[:3] {
			if e.Actor != sealedActor || e.Detail["vendor_org_id"] != nil || e.Detail["candidates"] != nil {
				t.Errorf("%s: event %d names the bidder: %+v", sol.Status, i, e)
			}
			if !strings.Contains(e.Detail["sealed"].(string), "actor") || e.Action != events[i].Action || e.SubjectID != events[i].SubjectID {
				t.Errorf("%s: event %d lost more than the bidder: %+v", sol.Status, i, e)
			}
		}
		if !reflect.DeepEqual(got[3:], events[3:]) {
			t.Errorf("%s: events about no bidder changed: %+v", sol.Status, got[3:])
		}
		if events[0].Actor != "usr_vendor" || events[0].Detail["vendor_org_id"] != "org_northwind" {
			t.Fatalf("Redact changed the stored events: %+v", events[0])
		}
	}
	closed := domain.Solicitation{ID: "sol_1", AgencyOrgID: "org_agency", Status: domain.SolicitationEvaluating, ClosedAt: &closedAt}
	opened := Redact(auditor, closed, events, nil)
	if !reflect.DeepEqual(opened, events) {
		t.Errorf("after the deadline the auditor sees every event as stored, got %+v", opened)
	}
	// A bid withdrawn before the deadline was never an offer: after it, the
	// agency still learns only that a bid was withdrawn.
	withdrawn := Redact(auditor, closed, events, map[string]bool{"bid_1": true})
	for i, e := range withdrawn[:2] {
		if e.Actor != sealedActor || e.Detail["vendor_org_id"] != nil || e.Detail["candidates"] != nil ||
			!strings.Contains(e.Detail["sealed"].(string), "withdrawn before the deadline") || e.Action != events[i].Action {
			t.Errorf("event %d about the withdrawn bid is not sealed: %+v", i, e)
		}
	}
	if !reflect.DeepEqual(withdrawn[2:], events[2:]) {
		t.Errorf("events about no withdrawn bid changed: %+v", withdrawn[2:])
	}
	// Another agency's auditor is not the issuing agency's: once bids are
	// opened it learns who bid, as the public does, never what was offered.
	outsider := domain.User{ID: "usr_other", Role: domain.RoleAuditor, OrgID: "org_other_agency", OrgKind: "agency"}
	if got := Redact(outsider, closed, events, nil); got[0].Detail["candidates"] != nil || got[0].Detail["vendor_org_id"] == nil {
		t.Errorf("another agency's auditor's view of a bid: %+v", got[0])
	}
}
