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
		{ID: "sol_1", Status: domain.SolicitationPublished},
		{ID: "sol_1", Status: domain.SolicitationCancelled}, // cancelled before the deadline
	} {
		got := Redact(auditor, sol, events)
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
	opened := Redact(auditor, domain.Solicitation{ID: "sol_1", Status: domain.SolicitationEvaluating, ClosedAt: &closedAt}, events)
	if !reflect.DeepEqual(opened, events) {
		t.Errorf("after the deadline the auditor sees every event as stored, got %+v", opened)
	}
}
