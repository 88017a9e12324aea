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

// Phase is where a solicitation stands for the sealed-bid rules, or, for a
// bid its vendor withdrew, where that bid stands.
type Phase string

// The phases, in lifecycle order. A cancelled solicitation keeps the
// sealing of the moment it was cancelled: cancelled before its deadline,
// its bids are never opened. Withdrawn is the phase of a withdrawn bid's own
// fields whatever its solicitation's phase (PhaseOfBid): it was never an
// offer, so opening the others does not open it.
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
	Withdrawn       Phase = "bid-withdrawn"
)

// Phases lists every phase, in lifecycle order, the phase of a withdrawn
// bid last.
var Phases = []Phase{Draft, Open, Closed, Evaluating, AwardPending, Standstill, Awarded, CancelledSealed, CancelledOpened, Withdrawn}

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

// PhaseOfBid is the phase a bid's fields (who bid, its candidates,
// manifests, price, evaluations, clarifications) are judged in: Withdrawn
// for a bid its vendor withdrew (bids are withdrawn only before the
// deadline), the solicitation's phase otherwise.
func PhaseOfBid(sol domain.Solicitation, bidStatus string) Phase {
	if bidStatus == domain.BidWithdrawn {
		return Withdrawn
	}
	return PhaseOf(sol)
}

// Opened reports whether bids have been opened in phase p: the deadline
// passed and the solicitation was not cancelled before it.
func Opened(p Phase) bool { return opened[p] }

// Viewer is who reads, classed by role and by organisation relative to the
// solicitation read (ViewerOf): the issuing agency's staff by role, staff
// of another agency, the users of the vendor whose record it is, the users
// of any other vendor, and the public.
type Viewer string

// The viewers.
const (
	// Officer, Reviewer, Auditor and Admin are the issuing agency's staff
	// (an admin without an organisation runs the installation and counts
	// as the agency's).
	Officer  Viewer = "officer"
	Reviewer Viewer = "reviewer"
	Auditor  Viewer = "auditor"
	Admin    Viewer = "admin"
	// OtherAgency is staff of an agency that did not issue the
	// solicitation: it sees what the public sees.
	OtherAgency Viewer = "other-agency"
	// VendorOwn is a user of the organisation whose record it is (its bid,
	// its question, its protest), whatever the user's role.
	VendorOwn Viewer = "vendor-own"
	// VendorOther is a user of any other vendor organisation, whatever the
	// user's role.
	VendorOther Viewer = "vendor-other"
	Anonymous   Viewer = "anonymous"
)

// Viewers lists every viewer.
var Viewers = []Viewer{Officer, Reviewer, Auditor, Admin, OtherAgency, VendorOwn, VendorOther, Anonymous}

// OrgKindVendor is the kind of a vendor organisation (domain.Organisation.Kind).
const OrgKindVendor = "vendor"

// VendorSide reports whether u acts for a vendor: a vendor user, or any
// user whose organisation is a vendor organisation. Such a user never gets
// an agency's view, whatever its role.
func VendorSide(u domain.User) bool {
	return u.Role == domain.RoleVendor || u.OrgKind == OrgKindVendor
}

// ViewerOf is the viewer u is for a record of organisation ownerOrg ("" for
// records no vendor owns, such as the solicitation itself) on sol. A user
// without a role is anonymous.
func ViewerOf(u domain.User, sol domain.Solicitation, ownerOrg string) Viewer {
	switch {
	case !u.Role.Valid():
		return Anonymous
	case ownerOrg != "" && u.OrgID == ownerOrg && ownerOrg != sol.AgencyOrgID:
		return VendorOwn
	case VendorSide(u):
		return VendorOther
	case u.OrgID == sol.AgencyOrgID && u.OrgID != "", u.Role == domain.RoleAdmin && u.OrgID == "":
		return staff(u.Role)
	}
	return OtherAgency
}

// staff is the agency viewer of role.
func staff(role domain.Role) Viewer {
	switch role {
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

// homeViewers are the viewers u can be at all: a vendor's user its own
// organisation's or another's; agency staff its role on its own agency's
// solicitations (on others' it sees no more than the public, which every
// role's column already grants).
func homeViewers(u domain.User) []Viewer {
	switch {
	case !u.Role.Valid():
		return []Viewer{Anonymous}
	case VendorSide(u):
		return []Viewer{VendorOwn, VendorOther}
	}
	return []Viewer{staff(u.Role)}
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
	// Responses: how a bid met each published requirement (license,
	// openness, evidence, the packs' evidence and contract terms), met or
	// not, as the notice's requirement responses say it.
	Responses Field = "bid.responses"
)

// Fields lists every field.
var Fields = []Field{Terms, Tenderers, Candidates, Manifests, Prices, Prechecks, Evaluations, Clarifications,
	Ranking, Recommendation, Award, Protests, Tasks, Audit, Responses}

type phases map[Phase]bool

func set(ps ...Phase) phases {
	out := phases{}
	for _, p := range ps {
		out[p] = true
	}
	return out
}

var (
	all       = set(Draft, Open, Closed, Evaluating, AwardPending, Standstill, Awarded, CancelledSealed, CancelledOpened)
	published = set(Open, Closed, Evaluating, AwardPending, Standstill, Awarded, CancelledSealed, CancelledOpened)
	opened    = set(Closed, Evaluating, AwardPending, Standstill, Awarded, CancelledOpened)
	awarded   = set(Awarded)
	// own: a vendor sees its own bid in every published phase, withdrawn too.
	own = set(Open, Closed, Evaluating, AwardPending, Standstill, Awarded, CancelledSealed, CancelledOpened, Withdrawn)
)

// Table is the authorization table: for each field, the phases in which each
// viewer sees it. A viewer or phase not listed sees nothing: a withdrawn
// bid (phase Withdrawn) only its own vendor. The README's "Sealed bids"
// section says the same in words.
var Table = map[Field]map[Viewer]phases{
	Terms: {Officer: all, Reviewer: all, Auditor: all, Admin: all, OtherAgency: published,
		VendorOwn: published, VendorOther: published, Anonymous: published},
	// Who bid is published at bid opening (the OCDS notice lists tenderers).
	Tenderers: {Officer: opened, Reviewer: opened, Auditor: opened, Admin: opened, OtherAgency: opened,
		VendorOwn: own, VendorOther: opened, Anonymous: opened},
	Candidates:     {Officer: opened, Reviewer: opened, Auditor: opened, VendorOwn: own},
	Manifests:      {Officer: opened, Reviewer: opened, Auditor: opened, VendorOwn: own},
	Prices:         {Officer: opened, Reviewer: opened, Auditor: opened, VendorOwn: own},
	Prechecks:      {VendorOwn: own},
	Evaluations:    {Officer: opened, Reviewer: opened, Auditor: opened, VendorOwn: own},
	Clarifications: {Officer: opened, Reviewer: opened, Auditor: opened, VendorOwn: own},
	Ranking:        {Officer: opened, Reviewer: opened, Auditor: opened},
	// Vendors and the public learn of an award when the reviewers approve
	// it (AwardField), not before; the winner is then in the notice.
	Recommendation: {Officer: opened, Reviewer: opened, Auditor: opened},
	Award: {Officer: opened, Reviewer: opened, Auditor: opened, Admin: opened, OtherAgency: opened,
		VendorOwn: opened, VendorOther: opened, Anonymous: opened},
	Protests: {Officer: opened, Auditor: opened, VendorOwn: opened},
	Tasks:    {Officer: opened, Reviewer: opened, Auditor: opened},
	Audit:    {Auditor: all, Admin: all},
	// Every bid's responses are published with the award that stands: what
	// each bidder met is what a protest weighs, and the notice says it.
	Responses: {Officer: opened, Reviewer: opened, Auditor: opened, VendorOwn: own,
		Admin: awarded, OtherAgency: awarded, VendorOther: awarded, Anonymous: awarded},
}

// Sees reports whether v sees f in phase p.
func Sees(f Field, v Viewer, p Phase) bool { return Table[f][v][p] }

// UserSees reports whether u sees f in some phase of some solicitation, as
// its own organisation's record or another's: what a page asks to decide
// whether to offer a section at all, and the first gate of every read.
func UserSees(u domain.User, f Field) bool {
	for _, v := range homeViewers(u) {
		if len(Table[f][v]) > 0 {
			return true
		}
	}
	return false
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
	return RefusalIn(f, v, PhaseOf(sol), sol, what)
}

// RefusalIn is Refusal for a record judged in phase p (PhaseOfBid).
func RefusalIn(f Field, v Viewer, p Phase, sol domain.Solicitation, what string) *domain.Error {
	if len(Table[f][v]) == 0 {
		if v == VendorOther {
			return domain.Errorf(domain.ErrNotFound, "no %s", what)
		}
		return domain.Errorf(domain.ErrForbidden, "as %s you may not see %s: %s", article(v), what, whoSees(f))
	}
	switch {
	case p == Withdrawn:
		return domain.Errorf(domain.ErrForbidden, "%s was withdrawn before the deadline: it was never an offer, so only its vendor sees it", what)
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

// Forbidden is the refusal of a user that sees f in no phase at all.
func Forbidden(u domain.User, f Field) *domain.Error {
	v := homeViewers(u)[0]
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
	case OtherAgency:
		return "staff of another agency"
	case VendorOwn, VendorOther:
		return "a vendor's user"
	case Anonymous:
		return "a user without a role"
	}
	return "a " + string(v)
}

// whoSees names the viewers that see f in some phase, for a refusal.
func whoSees(f Field) string {
	var staff, others []string
	for _, v := range Viewers {
		switch {
		case len(Table[f][v]) == 0 || v == VendorOther || v == OtherAgency:
		case v == VendorOwn:
			others = append(others, "the vendor whose record it is")
		case v == Anonymous:
			others = append(others, "everyone once published")
		default:
			staff = append(staff, string(v)+"s")
		}
	}
	var who []string
	if len(staff) > 0 {
		who = append(who, "the issuing agency's "+strings.Join(staff, ", "))
	}
	return "it is for " + strings.Join(append(who, others...), " and ")
}
