// Package visibility is modeltender's one authorization table for reading:
// which fields of which resources each kind of viewer sees in each phase of
// a solicitation. The use cases (internal/tender, for the API and the UI),
// the audit trail, the OCDS notice and the refusals they answer with all
// consult Table; nothing else decides what a sealed bid shows. Which actions
// a role may take (publish, bid, decide...) stays in policies/authz.rego.
package visibility

import (
	"strings"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// Phase is where a solicitation stands for the sealed-bid rules.
type Phase string

// The phases, in lifecycle order. A cancelled solicitation keeps the
// sealing of the moment it was cancelled: cancelled before its deadline,
// its bids are never opened.
const (
	Draft           Phase = "draft"
	Open            Phase = "published"      // published or bidding, before the deadline
	Closed          Phase = "after-deadline" // closed, or evaluated with no recommendation yet
	Evaluating      Phase = "evaluating"
	AwardPending    Phase = "award-pending" // a recommendation awaits the reviewers' approval
	Standstill      Phase = "standstill"
	Awarded         Phase = "awarded"
	CancelledSealed Phase = "cancelled-before-deadline"
	CancelledOpened Phase = "cancelled-after-deadline"
)

// Phases lists every phase, in lifecycle order.
var Phases = []Phase{Draft, Open, Closed, Evaluating, AwardPending, Standstill, Awarded, CancelledSealed, CancelledOpened}

// PhaseOf is the phase of sol. A status this table does not know is
// treated as open for bids, the most sealed phase a published one has.
func PhaseOf(sol domain.Solicitation) Phase {
	switch sol.Status {
	case domain.SolicitationDraft:
		return Draft
	case domain.SolicitationClosed, domain.SolicitationEvaluated:
		return Closed
	case domain.SolicitationEvaluating:
		return Evaluating
	case domain.SolicitationAwardPending:
		return AwardPending
	case domain.SolicitationStandstill:
		return Standstill
	case domain.SolicitationAwarded:
		return Awarded
	case domain.SolicitationCancelled:
		// The workflow stamps closed_at when the deadline closes bidding.
		if sol.ClosedAt == nil {
			return CancelledSealed
		}
		return CancelledOpened
	}
	return Open
}

// Opened reports whether bids have been opened in phase p: the deadline
// passed and the solicitation was not cancelled before it.
func Opened(p Phase) bool { return opened[p] }

// Viewer is who reads: a role, and for vendors whether the record read is
// their own organisation's (its bid, its question, its protest).
type Viewer string

// The viewers.
const (
	Officer     Viewer = "officer"
	Reviewer    Viewer = "reviewer"
	Auditor     Viewer = "auditor"
	Admin       Viewer = "admin"
	VendorOwn   Viewer = "vendor-own"
	VendorOther Viewer = "vendor-other"
	Anonymous   Viewer = "anonymous"
)

// Viewers lists every viewer.
var Viewers = []Viewer{Officer, Reviewer, Auditor, Admin, VendorOwn, VendorOther, Anonymous}

// ViewerOf is the viewer u is for a record of organisation ownerOrg ("" for
// records no vendor owns, such as the solicitation itself). A user without
// a role is anonymous.
func ViewerOf(u domain.User, ownerOrg string) Viewer {
	switch u.Role {
	case domain.RoleVendor:
		if ownerOrg != "" && u.OrgID == ownerOrg {
			return VendorOwn
		}
		return VendorOther
	case domain.RoleOfficer:
		return Officer
	case domain.RoleReviewer:
		return Reviewer
	case domain.RoleAuditor:
		return Auditor
	case domain.RoleAdmin:
		return Admin
	}
	return Anonymous
}

// Field is a part of a resource that the table grants.
type Field string

// The fields.
const (
	// Terms: the solicitation, its amendments and its questions and answers
	// as published (who asked is never in them).
	Terms Field = "solicitation"
	// Tenderers: which organisations bid, their bids' ids and states, who
	// submitted them and who asked which question.
	Tenderers Field = "bid.tenderers"
	// Candidates: the names of the candidate models in a bid.
	Candidates Field = "bid.candidates"
	// Manifests: what the vendor submitted about each candidate.
	Manifests Field = "bid.manifests"
	// Prices: a bid's price.
	Prices Field = "bid.price"
	// Prechecks: the automated checks a vendor gets at once on its bid.
	Prechecks Field = "bid.prechecks"
	// Evaluations: each candidate's evaluation, findings and scores.
	Evaluations Field = "evaluation"
	// Clarifications: reviewers' questions on a candidate and the answers.
	Clarifications Field = "clarification"
	// Ranking: the qualified candidates, best first.
	Ranking Field = "ranking"
	// Recommendation: an award recommended and not (or never) approved.
	Recommendation Field = "award.recommendation"
	// Award: an approved award: the winner, its candidate and its value.
	Award Field = "award"
	// Protests: vendors' protests of an award and their decisions.
	Protests Field = "protest"
	// Tasks: reviewers' tasks and their decisions.
	Tasks Field = "task"
	// Audit: the audit trail; what it says about bids and questions is
	// further held to Tenderers and Candidates (Redact).
	Audit Field = "audit"
)

// Fields lists every field.
var Fields = []Field{Terms, Tenderers, Candidates, Manifests, Prices, Prechecks, Evaluations, Clarifications,
	Ranking, Recommendation, Award, Protests, Tasks, Audit}

type phases map[Phase]bool

func set(ps ...Phase) phases {
	out := phases{}
	for _, p := range ps {
		out[p] = true
	}
	return out
}

var (
	all       = set(Phases...)
	published = set(Open, Closed, Evaluating, AwardPending, Standstill, Awarded, CancelledSealed, CancelledOpened)
	opened    = set(Closed, Evaluating, AwardPending, Standstill, Awarded, CancelledOpened)
)

// Table is the authorization table: for each field, the phases in which each
// viewer sees it. A viewer or phase not listed sees nothing. The README's
// "Sealed bids" section says the same in words.
var Table = map[Field]map[Viewer]phases{
	Terms: {Officer: all, Reviewer: all, Auditor: all, Admin: all,
		VendorOwn: published, VendorOther: published, Anonymous: published},
	// Who bid is published at bid opening (the OCDS notice lists tenderers).
	Tenderers: {Officer: opened, Reviewer: opened, Auditor: opened, Admin: opened,
		VendorOwn: published, VendorOther: opened, Anonymous: opened},
	Candidates:     {Officer: opened, Reviewer: opened, Auditor: opened, VendorOwn: published},
	Manifests:      {Officer: opened, Reviewer: opened, Auditor: opened, VendorOwn: published},
	Prices:         {Officer: opened, Reviewer: opened, Auditor: opened, VendorOwn: published},
	Prechecks:      {VendorOwn: published},
	Evaluations:    {Officer: opened, Reviewer: opened, Auditor: opened, VendorOwn: published},
	Clarifications: {Officer: opened, Reviewer: opened, Auditor: opened, VendorOwn: published},
	Ranking:        {Officer: opened, Reviewer: opened, Auditor: opened},
	// Vendors and the public learn of an award when the reviewers approve
	// it (AwardField), not before; the winner is then in the notice.
	Recommendation: {Officer: opened, Reviewer: opened, Auditor: opened},
	Award: {Officer: opened, Reviewer: opened, Auditor: opened, Admin: opened,
		VendorOwn: opened, VendorOther: opened, Anonymous: opened},
	Protests: {Officer: opened, Auditor: opened, VendorOwn: opened},
	Tasks:    {Officer: opened, Reviewer: opened, Auditor: opened},
	Audit:    {Auditor: all, Admin: all},
}

// Sees reports whether v sees f in phase p.
func Sees(f Field, v Viewer, p Phase) bool { return Table[f][v][p] }

// RoleSees reports whether role sees f in some phase, as its own or
// another organisation's: what a page asks to decide whether to offer a
// section at all.
func RoleSees(role domain.Role, f Field) bool {
	for _, v := range viewersOf(role) {
		if len(Table[f][v]) > 0 {
			return true
		}
	}
	return false
}

func viewersOf(role domain.Role) []Viewer {
	if role == domain.RoleVendor {
		return []Viewer{VendorOwn, VendorOther}
	}
	return []Viewer{ViewerOf(domain.User{Role: role}, "")}
}

// readActions are the read permissions pages and use cases ask for by name;
// the table answers them, so policies/authz.rego holds no read action.
var readActions = map[string]Field{
	"solicitation:read": Terms,
	"bid:read":          Tenderers,
	"evaluation:read":   Evaluations,
	"ranking:read":      Ranking,
	"protest:read":      Protests,
	"task:list":         Tasks,
	"audit:read":        Audit,
}

// ReadAction is the field a named read permission stands for.
func ReadAction(action string) (Field, bool) {
	f, ok := readActions[action]
	return f, ok
}

// AwardField is the field an award falls under: an award the reviewers
// approved (in standstill, standing, or revoked after its standstill began)
// is announced; a recommendation pending or rejected is not.
func AwardField(a domain.Award) Field {
	if a.Status == domain.AwardStandstill || a.Status == domain.AwardAwarded || a.StandstillUntil != nil {
		return Award
	}
	return Recommendation
}

// Refusal is the error a viewer gets for a field it may not see in the
// phase of sol; it names the rule and never the record's owner. what names
// the thing asked for ("bid bid_…", "the ranking").
func Refusal(f Field, v Viewer, sol domain.Solicitation, what string) *domain.Error {
	p := PhaseOf(sol)
	if len(Table[f][v]) == 0 {
		if v == VendorOther {
			return domain.Errorf(domain.ErrNotFound, "no %s", what)
		}
		return domain.Errorf(domain.ErrForbidden, "as %s you may not see %s: %s", article(v), what, whoSees(f))
	}
	switch {
	case p == Draft:
		return domain.Errorf(domain.ErrConflict, "solicitation %s is a draft: %s comes after publication", sol.ID, what)
	case p == CancelledSealed:
		return domain.Errorf(domain.ErrForbidden, "solicitation %s was cancelled before its deadline (%s): its bids stay sealed, so %s is never opened",
			sol.ID, sol.Deadline.UTC().Format(time.RFC3339), what)
	case p == Open && sealedKind(f) == domain.ErrForbidden:
		return domain.Errorf(domain.ErrForbidden, "%s is sealed until the deadline (%s); it opens when the solicitation closes",
			what, sol.Deadline.UTC().Format(time.RFC3339))
	case p == Open:
		return domain.Errorf(domain.ErrConflict, "solicitation %s is %s: %s comes after the deadline (%s)",
			sol.ID, sol.Status, what, sol.Deadline.UTC().Format(time.RFC3339))
	}
	return domain.Errorf(domain.ErrForbidden, "as %s you may not see %s while solicitation %s is %s", article(v), what, sol.ID, p)
}

// Forbidden is the refusal of a role that sees f in no phase at all.
func Forbidden(role domain.Role, f Field) *domain.Error {
	v := ViewerOf(domain.User{Role: role}, "")
	return domain.Errorf(domain.ErrForbidden, "as %s you may not see %s: %s", article(v), names[f], whoSees(f))
}

// names say what each field is, in refusals.
var names = map[Field]string{
	Terms: "solicitations", Tenderers: "bids", Candidates: "candidates", Manifests: "manifests", Prices: "prices",
	Prechecks: "pre-checks", Evaluations: "evaluations", Clarifications: "clarifications", Ranking: "rankings",
	Recommendation: "award recommendations", Award: "awards", Protests: "protests", Tasks: "review tasks", Audit: "the audit trail",
}

// sealedKind is how a request for f before the deadline is refused: a bid's
// contents are sealed (403); what only exists after close is not there yet (409).
func sealedKind(f Field) domain.ErrorKind {
	switch f {
	case Tenderers, Candidates, Manifests, Prices, Evaluations, Clarifications:
		return domain.ErrForbidden
	}
	return domain.ErrConflict
}

func article(v Viewer) string {
	switch v {
	case Officer:
		return "an officer"
	case Auditor, Admin:
		return "an " + string(v)
	case VendorOwn, VendorOther:
		return "a vendor"
	case Anonymous:
		return "a user without a role"
	}
	return "a " + string(v)
}

// whoSees names the viewers that see f in some phase, for a refusal.
func whoSees(f Field) string {
	var who []string
	for _, v := range Viewers {
		switch {
		case len(Table[f][v]) == 0 || v == VendorOther:
		case v == VendorOwn:
			who = append(who, "the vendor whose record it is")
		default:
			who = append(who, article(v))
		}
	}
	return "it is for " + strings.Join(who, ", ")
}
