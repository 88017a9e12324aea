package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/visibility"
	"github.com/modeltender/modeltender/web/openapi"
)

// matrixBid is one vendor's bid in one state, with the strings that would
// give it away: who bid, what it offered, what it said and what it asked.
type matrixBid struct {
	withdrawn               bool // withdrawn by its vendor before the deadline
	vendor, id, candidateID string
	orgID, orgName, userID  string // the bidder's identity, the same in every state
	candidate, marker       string // unique to this bid: its candidate's name, a phrase of its manifest
	price                   string // unique to this bid, as JSON writes it
}

// matrixState is one solicitation brought to one phase.
type matrixState struct {
	phase  visibility.Phase
	solID  string
	bids   map[string]*matrixBid // by vendor: vendorA, vendorB, and vendorC's bid withdrawn before the deadline
	taskID string                // a task on vendorA's candidate, once bids are opened
	winner string                // the vendor of an approved award, if any
	orgA   string                // vendorA's organisation, for the routes about an organisation
}

// matrixViewers are the viewers walked: vendorA owns the bid the bid routes
// read, vendorB is the other organisation, vendorC withdrew its bid before
// the deadline; insider is a reviewer account of vendorA's organisation,
// otherOfficer and otherReviewer staff of another agency; "" is anonymous.
var matrixViewers = []string{"officer", "reviewer1", "auditor", "vendorA", "vendorB", "vendorC", "insider", "otherOfficer", "otherReviewer", ""}

// matrixSubjects are the bids the bid routes read: vendorA's, and vendorC's
// withdrawn one.
var matrixSubjects = []string{"vendorA", "vendorC"}

// A generated route x viewer x phase walk through the real HTTP server: for
// every GET route of the OpenAPI document, every viewer and every phase of a
// solicitation, the status must agree with the authorization table
// (internal/visibility) and no body may carry a vendor's identity, candidate
// names, manifest content or price the table keeps from that viewer.
func TestSealedBidMatrix(t *testing.T) {
	t.Parallel()
	started := time.Now()
	s := startStack(t)
	s.addUser("auditor", domain.RoleAuditor, "Department of Digital Services", "agency")
	s.addUser("vendorC", domain.RoleVendor, "Withdrawn Weights Ltd.", "vendor")
	s.addUser("otherOfficer", domain.RoleOfficer, "Department of Other Affairs", "agency")
	s.addUser("otherReviewer", domain.RoleReviewer, "Department of Other Affairs", "agency")
	states := s.matrixStates()
	t.Logf("%d phases reached in %s", len(states), time.Since(started).Round(time.Millisecond))

	routes := apiGetRoutes(t)
	var cells, skipped, refused int
	var problems []string
	for _, route := range routes {
		rule, ok := matrixRules[route]
		if !ok {
			t.Errorf("GET %s has no rule in matrixRules: say which field of the table it serves", route)
			continue
		}
		for _, st := range states {
			for _, subject := range st.subjects(route) {
				path, ok := st.path(route, subject)
				if !ok {
					skipped += len(matrixViewers)
					continue
				}
				phase := st.phaseOf(subject)
				for _, who := range matrixViewers {
					cells++
					r := s.do(who, "GET", path, nil)
					want := rule(s.viewer(who, route, subject), phase)
					if who == "" && route != "/api/v1/solicitations/{id}/ocds" {
						want = false // every other API route needs a token
					}
					if got := r.status == http.StatusOK; got != want {
						problems = append(problems, fmt.Sprintf("%s as %s in %s: %d, table says %s: %.200s", path, label(who), phase, r.status, okOrRefused(want), r.body))
					}
					if r.status != http.StatusOK {
						refused++
					}
					problems = append(problems, s.leaks(states, st, route, path, who, r.body)...)
				}
			}
		}
	}
	for i, p := range problems {
		if i == 40 {
			t.Errorf("... and %d more", len(problems)-40)
			break
		}
		t.Error(p)
	}
	t.Logf("sealed-bid matrix: %d GET routes x %d viewers x %d phases: %d cells checked (%d refused as the table says), %d not applicable (no such record in that phase), %d disagreements or leaks, in %s",
		len(routes), len(matrixViewers), len(states), cells, refused, skipped, len(problems), time.Since(started).Round(time.Millisecond))
}

func label(who string) string {
	if who == "" {
		return "anonymous"
	}
	return who
}

func okOrRefused(ok bool) string {
	if ok {
		return "200"
	}
	return "a refusal"
}

// viewer is who the named user is for a record of the named vendor on a
// solicitation of the officer's agency (every one the walk reaches), or for
// a route across solicitations, who the user is on its own agency's.
func (s *stack) viewer(who, route, owner string) visibility.Viewer {
	u := s.users[who].User
	if who == "" {
		return visibility.Anonymous
	}
	agency := s.users["officer"].OrgID
	if !strings.Contains(route, "{id}") && !visibility.VendorSide(u) {
		agency = u.OrgID
	}
	return visibility.ViewerOf(u, domain.Solicitation{AgencyOrgID: agency}, s.users[owner].OrgID)
}

// viewerOn is who the named user is for a record of the named vendor on
// the solicitations the walk reaches, all of the officer's agency: what a
// body may show of their bids, whatever the route.
func (s *stack) viewerOn(who, owner string) visibility.Viewer {
	return s.viewer(who, "{id}", owner)
}

// matrixRules says, for each GET route, when the table lets a viewer have
// it: the field the route serves, for the bid routes of vendorA's bid.
var matrixRules = map[string]func(v visibility.Viewer, p visibility.Phase) bool{
	"/api/v1/me":                              authenticated,
	"/api/v1/use-cases":                       authenticated,
	"/api/v1/policy-packs":                    authenticated,
	"/api/v1/solicitations/{id}/requirements": field(visibility.Terms),
	"/api/v1/evaluations/{id}/replay":         field(visibility.Audit),
	"/api/v1/solicitations":                   authenticated,
	"/api/v1/solicitations/{id}":              field(visibility.Terms),
	"/api/v1/solicitations/{id}/questions":    field(visibility.Terms),
	"/api/v1/solicitations/{id}/amendments":   field(visibility.Terms),
	"/api/v1/solicitations/{id}/ocds":         public(visibility.Terms),
	"/api/v1/solicitations/{id}/audit":        field(visibility.Audit),
	"/api/v1/solicitations/{id}/ranking":      field(visibility.Ranking),
	"/api/v1/solicitations/{id}/awards":       openedList(visibility.Award),
	"/api/v1/solicitations/{id}/protests":     openedList(visibility.Protests),
	"/api/v1/bids/{id}":                       field(visibility.Manifests),
	"/api/v1/bids/{id}/evaluations":           field(visibility.Evaluations),
	"/api/v1/bids/{id}/precheck":              field(visibility.Prechecks),
	"/api/v1/bids/{id}/clarifications":        field(visibility.Clarifications),
	"/api/v1/tasks":                           anyPhase(visibility.Tasks),
	"/api/v1/tasks/{id}":                      field(visibility.Tasks),
	"/api/v1/solicitations/{id}/bids":         bidList,
	"/api/v1/signing-identities":              authenticated,
	// An organisation's signing identities are bid content held at the
	// organisation: its own users read them, and the staff of an agency
	// once one of its bids to that agency is opened, which the walk has
	// done (in its later phases) before any cell is checked.
	"/api/v1/organisations/{id}/signing-identities": func(v visibility.Viewer, _ visibility.Phase) bool {
		return v == visibility.VendorOwn || v == visibility.Officer || v == visibility.Reviewer || v == visibility.Auditor
	},
}

func authenticated(v visibility.Viewer, _ visibility.Phase) bool { return v != visibility.Anonymous }

func field(f visibility.Field) func(visibility.Viewer, visibility.Phase) bool {
	return func(v visibility.Viewer, p visibility.Phase) bool { return visibility.Sees(f, v, p) }
}

// public: what is published to everyone, whoever asks.
func public(f visibility.Field) func(visibility.Viewer, visibility.Phase) bool {
	return func(_ visibility.Viewer, p visibility.Phase) bool { return visibility.Sees(f, visibility.Anonymous, p) }
}

// anyPhase: lists across solicitations, for the viewers that see f at all.
func anyPhase(f visibility.Field) func(visibility.Viewer, visibility.Phase) bool {
	return func(v visibility.Viewer, _ visibility.Phase) bool {
		for _, p := range visibility.Phases {
			if visibility.Sees(f, v, p) {
				return true
			}
		}
		return false
	}
}

// openedList: a list that exists once bids are opened, filtered item by
// item: a vendor gets it when its own items would be in it.
func openedList(f visibility.Field) func(visibility.Viewer, visibility.Phase) bool {
	return func(v visibility.Viewer, p visibility.Phase) bool {
		if v == visibility.VendorOther {
			v = visibility.VendorOwn
		}
		return visibility.Opened(p) && visibility.Sees(visibility.Terms, v, p) && anyPhase(f)(v, p)
	}
}

// bidList: a vendor lists its own bids whenever it sees the solicitation;
// the agency every bid once it sees their candidates.
func bidList(v visibility.Viewer, p visibility.Phase) bool {
	if v == visibility.VendorOwn || v == visibility.VendorOther {
		return visibility.Sees(visibility.Terms, v, p)
	}
	return visibility.Sees(visibility.Candidates, v, p)
}

// apiGetRoutes lists the GET routes of /api/v1 in the OpenAPI document,
// which openapi_test.go holds to the server's routes.
func apiGetRoutes(t *testing.T) []string {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openapi.Document, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for path, ops := range doc.Paths {
		if _, ok := ops["get"]; ok && strings.HasPrefix(path, "/api/v1/") && !strings.HasPrefix(path, "/api/v1/schemas/") {
			out = append(out, path)
		}
	}
	sort.Strings(out)
	return out
}

// subjects are the vendors whose records a route is read for: each
// subject bid for the bid routes, vendorA (the owner of the task and of
// what the lists hold) for every other.
func (st *matrixState) subjects(route string) []string {
	if strings.HasPrefix(route, "/api/v1/bids/{id}") {
		return matrixSubjects
	}
	return []string{"vendorA"}
}

// phaseOf is the phase the subject's bid is judged in.
func (st *matrixState) phaseOf(subject string) visibility.Phase {
	if b := st.bids[subject]; b != nil && b.withdrawn {
		return visibility.Withdrawn
	}
	return st.phase
}

// path fills in a route's parameters for this state and subject; false
// when the state has no such record (no bids in a draft, no tasks before
// bids are opened).
func (st *matrixState) path(route, subject string) (string, bool) {
	switch {
	case strings.HasPrefix(route, "/api/v1/solicitations/{id}"):
		return strings.Replace(route, "{id}", st.solID, 1), true
	case strings.HasPrefix(route, "/api/v1/bids/{id}"):
		b := st.bids[subject]
		if b == nil {
			return "", false
		}
		return strings.Replace(route, "{id}", b.id, 1), b.id != ""
	case strings.HasPrefix(route, "/api/v1/tasks/{id}"):
		return strings.Replace(route, "{id}", st.taskID, 1), st.taskID != ""
	case strings.HasPrefix(route, "/api/v1/organisations/{id}"):
		return strings.Replace(route, "{id}", st.orgA, 1), true
	case strings.HasPrefix(route, "/api/v1/evaluations/{id}"):
		// A replay needs a decided evaluation, which no state here records
		// by id; TestProvenanceJourney replays every decision of a journey.
		return "", false
	}
	return route, true
}

// leaks names every secret of every state's bids that body shows and the
// table keeps from the viewer. Candidate names, manifest phrases and prices
// are unique to a bid, so they are judged in that bid's own phase wherever
// they turn up; identities are shared across states, so they are judged in
// the phase of the solicitation the route is about (any phase of the walk
// for lists across solicitations).
func (s *stack) leaks(states []*matrixState, at *matrixState, route, path, who string, body []byte) []string {
	text := string(body)
	var out []string
	perSolicitation := strings.Contains(route, "{id}")
	for _, st := range states {
		for _, b := range st.bids {
			if b.id == "" {
				continue
			}
			v := s.viewerOn(who, b.vendor)
			phase := st.phaseOf(b.vendor)
			won := st.winner == b.vendor && visibility.Sees(visibility.Award, v, st.phase)
			check := func(secret, what string, f visibility.Field, phase visibility.Phase) {
				// A secret in the path asked for (a task id names its candidate) is echoed, not leaked.
				if secret == "" || !strings.Contains(text, secret) || strings.Contains(path, secret) || visibility.Sees(f, v, phase) || won {
					return
				}
				out = append(out, fmt.Sprintf("LEAK %s as %s (%s) in %s: %s of %s's bid in %s (%q) though the table keeps %s from %s",
					strings.Replace(route, "{id}", "…", 1), label(who), v, at.phase, what, b.vendor, st.phase, secret, f, v))
			}
			check(b.candidate, "the candidate name", visibility.Candidates, phase)
			check(b.candidateID, "the candidate id", visibility.Candidates, phase)
			check(b.marker, "manifest content", visibility.Manifests, phase)
			check(b.price, "the price", visibility.Prices, phase)
			identityPhases := []visibility.Phase{at.phaseOf(b.vendor)}
			switch {
			case b.withdrawn:
				// vendorC bid only to withdraw: its identity is judged as its bid is.
				identityPhases = []visibility.Phase{visibility.Withdrawn}
			case !perSolicitation:
				identityPhases = phasesOf(states)
			case st != at:
				continue
			}
			if !seesInAny(visibility.Tenderers, v, identityPhases) && !won {
				for _, id := range []string{b.orgID, b.orgName, b.userID} {
					check(id, "the bidder's identity", visibility.Tenderers, identityPhases[0])
				}
			}
		}
	}
	return out
}

func phasesOf(states []*matrixState) []visibility.Phase {
	var out []visibility.Phase
	for _, st := range states {
		out = append(out, st.phase)
	}
	return out
}

func seesInAny(f visibility.Field, v visibility.Viewer, phases []visibility.Phase) bool {
	for _, p := range phases {
		if visibility.Sees(f, v, p) {
			return true
		}
	}
	return false
}

// matrixStates brings one solicitation to each phase through the API and
// the real workflows: bids and a question from both vendors, deadlines that
// pass, compliance tasks, recommendations, approvals and cancellations.
func (s *stack) matrixStates() []*matrixState {
	t := s.t
	t.Helper()
	var states []*matrixState
	add := func(phase visibility.Phase, sol domain.Solicitation) *matrixState {
		st := &matrixState{phase: phase, solID: sol.ID, bids: map[string]*matrixBid{}, orgA: s.users["vendorA"].OrgID}
		states = append(states, st)
		return st
	}
	var draft domain.Solicitation
	s.must(http.StatusCreated, "officer", "POST", "/api/v1/solicitations", map[string]any{
		"title": "Draft for the matrix", "risk_tier": "standard", "deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		"expected_monthly_users": 100,
	}).decode(t, &draft)
	add(visibility.Draft, draft).bids["vendorA"] = &matrixBid{}

	// Phases reached before the deadline, and phases after it; the deadline
	// of the second group is set to leave time for every bid to land.
	add(visibility.Open, s.publish(time.Hour, "standard"))
	cancelledSealed := add(visibility.CancelledSealed, s.publish(time.Hour, "standard"))
	later := map[visibility.Phase]float64{ // standstill in days
		visibility.Evaluating: 1, visibility.Closed: 1, visibility.AwardPending: 1,
		visibility.Standstill: 1, visibility.Awarded: 1.0 / 86400, visibility.CancelledOpened: 1,
	}
	deadline := 12 * time.Second
	closing := time.Now().Add(deadline)
	var after []*matrixState
	for _, p := range []visibility.Phase{visibility.Evaluating, visibility.Closed, visibility.AwardPending, visibility.Standstill, visibility.Awarded, visibility.CancelledOpened} {
		after = append(after, add(p, s.publish(deadline, "standard", map[string]any{"standstill_days": later[p]})))
	}
	for i, st := range states[1:] {
		for _, vendor := range []string{"vendorA", "vendorB", "vendorC"} {
			s.matrixBid(st, i, vendor)
		}
		c := st.bids["vendorC"]
		s.must(http.StatusOK, "vendorC", "POST", "/api/v1/bids/"+c.id+"/withdraw", nil)
		c.withdrawn = true
		s.must(http.StatusCreated, "vendorA", "POST", "/api/v1/solicitations/"+st.solID+"/questions",
			map[string]any{"question": "May the model be fine-tuned on agency data?"})
	}
	if time.Now().After(closing) {
		t.Fatalf("bidding took longer than the %s deadline; raise it", deadline)
	}
	s.must(http.StatusOK, "officer", "POST", "/api/v1/solicitations/"+cancelledSealed.solID+"/cancel", map[string]any{"reason": "the budget was withdrawn"})

	// After the deadline each candidate waits for compliance approval;
	// "evaluating" stays there, the others are approved and go on.
	for _, st := range after {
		for _, vendor := range []string{"vendorA", "vendorB"} {
			task := s.openTask("reviewer1", st.bids[vendor].candidateID, domain.TaskComplianceApproval)
			if vendor == "vendorA" {
				st.taskID = task.ID
			}
			if st.phase == visibility.Evaluating {
				continue
			}
			s.must(http.StatusOK, "reviewer1", "POST", "/api/v1/tasks/"+task.ID+"/decision", map[string]any{
				"verdict": "approve", "reason_code": "meets-requirements", "comment": "evidence complete", "findings_hash": task.FindingsHash})
		}
	}
	for _, st := range after {
		switch st.phase {
		case visibility.AwardPending:
			// Recommended, not approved: no winner yet for anyone outside the agency.
			s.awardTo(st.solID, st.bids["vendorA"].candidateID)
		case visibility.Standstill, visibility.Awarded:
			s.awardTo(st.solID, st.bids["vendorA"].candidateID, "reviewer1")
			st.winner = "vendorA"
		case visibility.CancelledOpened:
			// Cancelled while a recommendation awaits approval: the notice
			// the cancellation publishes must not announce it.
			s.awardTo(st.solID, st.bids["vendorA"].candidateID)
			s.reachPhase(st.solID, visibility.AwardPending)
			s.must(http.StatusOK, "officer", "POST", "/api/v1/solicitations/"+st.solID+"/cancel", map[string]any{"reason": "no longer needed"})
		}
	}
	for _, st := range states {
		s.reachPhase(st.solID, st.phase)
	}
	return states
}

// matrixBid submits vendor's bid on st with secrets unique to it.
func (s *stack) matrixBid(st *matrixState, i int, vendor string) {
	u := s.users[vendor]
	org, err := s.store.Organisation(context.Background(), u.OrgID)
	if err != nil {
		s.t.Fatal(err)
	}
	tag := fmt.Sprintf("%s-%d-%s", strings.ToLower(vendor[len(vendor)-1:]), i, st.phase)
	b := &matrixBid{vendor: vendor, orgID: u.OrgID, orgName: org.Name, userID: u.ID,
		candidate: "matrix-model-" + tag, marker: "matrix-manifest-phrase-" + tag,
		price: fmt.Sprintf("%d.%02d", 400000+i*1000+len(vendor)*7+int(vendor[len(vendor)-1]), 37+i)}
	var amount float64
	if _, err := fmt.Sscan(b.price, &amount); err != nil {
		s.t.Fatal(err)
	}
	var res bidResult
	s.must(http.StatusCreated, vendor, "POST", "/api/v1/solicitations/"+st.solID+"/bids", map[string]any{
		"candidates": []json.RawMessage{exampleManifest(s.t, "granite-3.1-8b-instruct.json", func(m map[string]any) {
			m["name"], m["description"] = b.candidate, b.marker
		})},
		"price": map[string]any{"amount": amount, "currency": "USD"},
	}).decode(s.t, &res)
	b.id, b.candidateID = res.ID, res.Candidates[0].ID
	st.bids[vendor] = b
}

// reachPhase waits for a solicitation to reach a phase.
func (s *stack) reachPhase(id string, want visibility.Phase) {
	s.t.Helper()
	var got visibility.Phase
	s.eventually(fmt.Sprintf("solicitation %s to reach %s", id, want), time.Minute, func() bool {
		sol, err := s.store.Solicitation(context.Background(), id)
		if err != nil {
			s.t.Fatal(err)
		}
		got = visibility.PhaseOf(sol)
		return got == want
	})
}
