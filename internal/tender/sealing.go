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
	return judge(u, sol, ownerOrg, visibility.PhaseOf(sol), f, what)
}

// sees reports whether u sees field f of a record of ownerOrg on sol.
func sees(u domain.User, sol domain.Solicitation, ownerOrg string, f visibility.Field) bool {
	return visibility.Sees(f, visibility.ViewerOf(u, sol, ownerOrg), visibility.PhaseOf(sol))
}

// seeBid refuses u unless the table lets it see field f of a bid of
// vendorOrg in status bidStatus on sol: a withdrawn bid only its vendor.
func seeBid(u domain.User, sol domain.Solicitation, vendorOrg, bidStatus string, f visibility.Field, what string) error {
	return judge(u, sol, vendorOrg, visibility.PhaseOfBid(sol, bidStatus), f, what)
}

// seesBid reports whether u sees field f of a bid of vendorOrg in status
// bidStatus on sol.
func seesBid(u domain.User, sol domain.Solicitation, vendorOrg, bidStatus string, f visibility.Field) bool {
	return visibility.Sees(f, visibility.ViewerOf(u, sol, vendorOrg), visibility.PhaseOfBid(sol, bidStatus))
}

func judge(u domain.User, sol domain.Solicitation, ownerOrg string, p visibility.Phase, f visibility.Field, what string) error {
	v := visibility.ViewerOf(u, sol, ownerOrg)
	if visibility.Sees(f, v, p) {
		return nil
	}
	return visibility.RefusalIn(f, v, p, sol, what)
}

// seeList refuses u a list of f on sol filtered item by item (protests,
// awards) unless u sees f as the solicitation's viewer or, acting for a
// vendor, as the owner of its own items: staff of another agency gets no
// such list at all.
func seeList(u domain.User, sol domain.Solicitation, f visibility.Field, what string) error {
	return see(u, sol, ownItems(u), f, what)
}

// ownItems is the organisation whose items u reads as its own: its vendor's,
// or none for agency staff and the public.
func ownItems(u domain.User) string {
	if visibility.VendorSide(u) {
		return u.OrgID
	}
	return ""
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
	return visibility.Refusal(f, visibility.ViewerOf(u, sol, ownItems(u)), sol, what)
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
// while the table keeps them from u; events about a bid in withdrawn (its
// id) are judged as that bid is (visibility.Withdrawn). The stored events
// and their hash chain are untouched.
func Redact(u domain.User, sol domain.Solicitation, events []store.AuditEvent, withdrawn map[string]bool) []store.AuditEvent {
	out := make([]store.AuditEvent, len(events))
	for i, e := range events {
		out[i] = redactEvent(u, sol, e, withdrawn)
	}
	return out
}

func redactEvent(u domain.User, sol domain.Solicitation, e store.AuditEvent, withdrawn map[string]bool) store.AuditEvent {
	if !aboutVendor(e) {
		return e
	}
	status := ""
	if e.SubjectType == "bid" && withdrawn[e.SubjectID] {
		status = domain.BidWithdrawn
	}
	// Judged as a record no vendor owns: the trail is the agency's view, and
	// a vendor never reads it (visibility.Audit).
	shows := func(f visibility.Field) bool { return seesBid(u, sol, "", status, f) }
	var hidden []string
	detail := make(map[string]any, len(e.Detail))
	for k, v := range e.Detail {
		if f, ok := sealedDetail[k]; ok && !shows(f) {
			hidden = append(hidden, k)
			continue
		}
		detail[k] = v
	}
	if !shows(visibility.Tenderers) && e.Actor != "system" {
		e.Actor = sealedActor
		hidden = append(hidden, "actor")
	}
	if len(hidden) > 0 {
		detail["sealed"] = "left out until bids are opened: " + strings.Join(hidden, ", ")
		if status == domain.BidWithdrawn {
			detail["sealed"] = "left out: the bid was withdrawn before the deadline, so it was never an offer: " + strings.Join(hidden, ", ")
		}
		e.Detail = detail
	}
	return e
}

// aboutVendor reports whether an event is a vendor's act on its bid or a
// question it asked: the events whose actor and detail identify a bidder.
func aboutVendor(e store.AuditEvent) bool {
	return e.SubjectType == "bid" || strings.HasPrefix(e.Action, "bid.") || e.Action == "question.asked"
}
