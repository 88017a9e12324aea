package tender

import (
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/internal/visibility"
)

// see refuses u unless the authorization table (internal/visibility) lets
// it see field f of a record of organisation ownerOrg on sol; what names the
// record for the refusal.
func see(u domain.User, sol domain.Solicitation, ownerOrg string, f visibility.Field, what string) error {
	v := visibility.ViewerOf(u, ownerOrg)
	if visibility.Sees(f, v, visibility.PhaseOf(sol)) {
		return nil
	}
	return visibility.Refusal(f, v, sol, what)
}

// sees reports whether u sees field f of a record of ownerOrg on sol.
func sees(u domain.User, sol domain.Solicitation, ownerOrg string, f visibility.Field) bool {
	return visibility.Sees(f, visibility.ViewerOf(u, ownerOrg), visibility.PhaseOf(sol))
}

// requireOpened refuses a list that only exists once bids are opened
// (ranking, awards, protests): before the deadline it is not there yet,
// and a solicitation cancelled before its deadline never opens them.
func requireOpened(u domain.User, sol domain.Solicitation, f visibility.Field, what string) error {
	if visibility.Opened(visibility.PhaseOf(sol)) {
		return nil
	}
	// Judged as the viewer's own record: before the opening, the answer is
	// the phase, whoever asks.
	return visibility.Refusal(f, visibility.ViewerOf(u, u.OrgID), sol, what)
}

// sealedDetail are the keys of an audit event's detail that name a vendor
// or a candidate; Redact drops them while bids are sealed to the reader.
var sealedDetail = map[string]visibility.Field{
	"vendor_org_id":   visibility.Tenderers,
	"vendor":          visibility.Tenderers,
	"organisation_id": visibility.Tenderers,
	"candidates":      visibility.Candidates,
	"candidate":       visibility.Candidates,
	"candidate_name":  visibility.Candidates,
	"price":           visibility.Prices,
}

// sealedActor stands for the vendor user behind an event the reader may
// not attribute.
const sealedActor = "vendor (sealed)"

// Redact is the audit trail of sol as u may read it: events about bids and
// vendors' questions keep their place, action, subject and time, but who
// the vendor is and which candidates it offered are left out of the view
// while the table keeps them from u. The stored events and their hash
// chain are untouched.
func Redact(u domain.User, sol domain.Solicitation, events []store.AuditEvent) []store.AuditEvent {
	out := make([]store.AuditEvent, len(events))
	for i, e := range events {
		out[i] = redactEvent(u, sol, e)
	}
	return out
}

func redactEvent(u domain.User, sol domain.Solicitation, e store.AuditEvent) store.AuditEvent {
	if !aboutVendor(e) {
		return e
	}
	var hidden []string
	detail := make(map[string]any, len(e.Detail))
	for k, v := range e.Detail {
		if f, ok := sealedDetail[k]; ok && !sees(u, sol, "", f) {
			hidden = append(hidden, k)
			continue
		}
		detail[k] = v
	}
	if !sees(u, sol, "", visibility.Tenderers) && e.Actor != "system" {
		e.Actor = sealedActor
		hidden = append(hidden, "actor")
	}
	if len(hidden) > 0 {
		detail["sealed"] = "left out until bids are opened: " + strings.Join(hidden, ", ")
		e.Detail = detail
	}
	return e
}

// aboutVendor reports whether an event is a vendor's act on its bid or a
// question it asked: the events whose actor and detail identify a bidder.
func aboutVendor(e store.AuditEvent) bool {
	return e.SubjectType == "bid" || strings.HasPrefix(e.Action, "bid.") || e.Action == "question.asked"
}
