package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modeltender/modeltender/internal/domain"
)

// publicCase is a published solicitation with a question answered, an
// amendment, two sealed bids with prices and one bid withdrawn before the
// deadline: what the public pages are tested on.
type publicCase struct {
	sol             domain.Solicitation
	draft           domain.Solicitation
	winner, loser   bidResult
	withdrawn       bidResult
	question        string
	answer          string
	amendment       string
	sealedSecrets   []string // nothing of these may be public before the award stands
	neverPublic     []string // nor ever
	winnerCandidate string
}

func (s *stack) publicCase(deadlineIn time.Duration) publicCase {
	t := s.t
	t.Helper()
	s.addUser("vendorC", domain.RoleVendor, "Withdrawn Weights Ltd.", "vendor")
	c := publicCase{question: "May the model run without internet access?", answer: "Yes: it must run air-gapped.",
		amendment: "Hosting must stay inside the cloud tenancy of the agency."}
	s.must(http.StatusCreated, "officer", "POST", "/api/v1/solicitations", map[string]any{
		"title": "Unpublished draft about tax letters", "risk_tier": "standard",
		"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "expected_monthly_users": 10,
	}).decode(t, &c.draft)
	c.sol = s.publish(deadlineIn, "standard", map[string]any{
		"standstill_days": 2.0 / 86400, "amendment_notice_days": 0, "description": "Drafting replies to benefits claimants.",
	})
	path := "/api/v1/solicitations/" + c.sol.ID
	s.must(http.StatusCreated, "officer", "POST", path+"/amendments", map[string]any{"description": c.amendment})
	var q domain.Question
	s.must(http.StatusCreated, "vendorB", "POST", path+"/questions", map[string]any{"question": c.question}).decode(t, &q)
	s.must(http.StatusOK, "officer", "POST", path+"/questions/"+q.ID+"/answer", map[string]any{"answer": c.answer})

	named := func(name string) json.RawMessage {
		return exampleManifest(t, "granite-3.1-8b-instruct.json", func(m map[string]any) { m["name"] = name })
	}
	c.winnerCandidate = "northwind-granite-public-8b"
	s.must(http.StatusCreated, "vendorA", "POST", path+"/bids", map[string]any{
		"candidates": []json.RawMessage{named(c.winnerCandidate)}, "price": map[string]any{"amount": 98765, "currency": "USD"},
	}).decode(t, &c.winner)
	s.must(http.StatusCreated, "vendorB", "POST", path+"/bids", map[string]any{
		"candidates": []json.RawMessage{named("openweights-losing-candidate")}, "price": map[string]any{"amount": 123457, "currency": "USD"},
	}).decode(t, &c.loser)
	s.must(http.StatusCreated, "vendorC", "POST", path+"/bids", map[string]any{
		"candidates": []json.RawMessage{named("withdrawn-candidate-x")},
	}).decode(t, &c.withdrawn)
	s.must(http.StatusOK, "vendorC", "POST", "/api/v1/bids/"+c.withdrawn.ID+"/withdraw", nil)
	c.sealedSecrets = []string{"Northwind Models Inc.", "Open Weights Cooperative", c.winnerCandidate, "98765", "98,765", "98765.00",
		c.winner.ID, c.loser.ID}
	c.neverPublic = []string{"Withdrawn Weights Ltd.", "withdrawn-candidate-x", c.withdrawn.ID, "openweights-losing-candidate",
		"123457", "123,457", "Unpublished draft about tax letters", c.draft.ID, "@example.test", "vendorB"}
	return c
}

// award has the reviewer approve both candidates and the award to A's,
// and waits until the award stands.
func (s *stack) awardPublicCase(c publicCase) {
	s.t.Helper()
	for _, b := range []bidResult{c.winner, c.loser} {
		task := s.openTask("reviewer1", b.Candidates[0].ID, domain.TaskComplianceApproval)
		s.must(http.StatusOK, "reviewer1", "POST", "/api/v1/tasks/"+task.ID+"/decision",
			map[string]any{"verdict": "approve", "reason_code": "meets-requirements", "comment": "evidence complete", "findings_hash": task.FindingsHash})
		s.outcome("officer", b.ID, domain.OutcomeQualified)
	}
	s.awardTo(c.sol.ID, c.winner.Candidates[0].ID, "reviewer1")
	s.eventually("the award to stand", time.Minute, func() bool {
		return s.anonymous("/public/solicitations/"+c.sol.ID+"/award").status == http.StatusOK
	})
}

// anonymous GETs a page as a visitor who is not signed in, asking for HTML
// as a browser does, without following redirects.
func (s *stack) anonymous(path string) response {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: b}
}

// publicPage GETs a public page and fails unless it answers 200 and shows
// every want and none of the secrets.
func (s *stack) publicPage(path string, want, secrets []string) string {
	s.t.Helper()
	r := s.anonymous(path)
	if r.status != http.StatusOK {
		s.t.Fatalf("GET %s as a visitor: status %d, want 200: %s", path, r.status, r.body)
	}
	body := string(r.body)
	for _, w := range want {
		if !strings.Contains(body, w) {
			s.t.Errorf("GET %s does not show %q:\n%s", path, w, body)
		}
	}
	for _, secret := range secrets {
		if strings.Contains(body, secret) {
			s.t.Errorf("GET %s shows %q, which is not public at this point:\n%s", path, secret, body)
		}
	}
	return body
}

// The public pages publish the solicitation, its Q&A without who asked,
// its amendment and timeline, and later the award notice; before the award
// stands they show nothing of a bid, and never a draft, a withdrawn bid, a
// losing candidate or a losing price.
func TestPublicPagesLeakNothingSealed(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	c := s.publicCase(15 * time.Second)
	hidden := append(append([]string{}, c.sealedSecrets...), c.neverPublic...)
	notice := "/api/v1/solicitations/" + c.sol.ID + "/ocds"
	page := "/public/solicitations/" + c.sol.ID

	// Before the deadline: the list, the page, no award notice.
	for _, path := range []string{"/", "/public/solicitations", "/public/solicitations?q=benefits+claimants&tier=standard&status=open"} {
		s.publicPage(path, []string{c.sol.Title, `href="` + page + `"`, "Department of Digital Services"}, hidden)
	}
	s.publicPage("/public/solicitations?tier=high-impact", []string{"No published solicitation matches"}, []string{c.sol.Title})
	s.publicPage("/public/solicitations?status=awarded", []string{"No published solicitation matches"}, []string{c.sol.Title})
	s.publicPage(page, []string{c.sol.Title, c.question, c.answer, c.amendment, `href="` + notice + `"`,
		"License terms permit the intended use", "Amendment 1", "Deadline", "Open for bids"}, hidden)
	for _, path := range []string{"/public/solicitations/" + c.draft.ID, page + "/award"} {
		if r := s.anonymous(path); r.status != http.StatusNotFound {
			t.Fatalf("GET %s as a visitor: status %d, want 404: %s", path, r.status, r.body)
		}
	}
	// The signed-in pages still ask a visitor to sign in.
	if r := s.anonymous("/solicitations/" + c.sol.ID); r.status != http.StatusSeeOther {
		t.Fatalf("GET /solicitations/%s as a visitor: status %d, want a redirect to sign in", c.sol.ID, r.status)
	}

	// After the deadline and before the award stands, still nothing of the bids.
	s.openTask("reviewer1", c.winner.Candidates[0].ID, domain.TaskComplianceApproval)
	s.publicPage(page, []string{"Closed, in evaluation"}, hidden)

	s.awardPublicCase(c)
	var ranking struct{ Ranking []domain.RankedCandidate }
	s.must(http.StatusOK, "officer", "GET", "/api/v1/solicitations/"+c.sol.ID+"/ranking", nil).decode(t, &ranking)
	want := []string{"Northwind Models Inc.", c.winnerCandidate, "highest ranked; evidence complete", `href="` + notice + `"`,
		"Open Weights Cooperative", "Open Source AI Definition", "2, of which 2 qualified"}
	for _, r := range ranking.Ranking {
		want = append(want, fmt.Sprintf("%.2f", r.Total)) // the notice agrees with the ranking
	}
	s.publicPage(page+"/award", want, c.neverPublic)
	s.publicPage(page, []string{"Awarded", `href="` + page + `/award"`}, c.neverPublic)
	s.publicPage("/public/solicitations?status=awarded", []string{c.sol.Title}, c.neverPublic)
}

// anonymousSession is a browser tab of a visitor who is not signed in.
func (s *stack) anonymousSession(browser context.Context) *session {
	s.t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	s.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		s.t.Fatalf("open a tab for a visitor: %v", err)
	}
	return &session{t: s.t, ctx: ctx, s: s, who: "visitor"}
}

// atWidths opens path at desktop (1366 px) and phone (390 px) widths and
// checks each: axe, keyboard, screenshot, and no sideways scrolling.
func (b *session) atWidths(path, shot string) {
	b.t.Helper()
	for _, width := range []int64{1366, 390} {
		b.run(fmt.Sprintf("set the width to %d px", width), chromedp.EmulateViewport(width, 900))
		b.open(path, fmt.Sprintf("%s-%d", shot, width))
		if over := get(b, "measure the page width", chromedp.Evaluate[int](
			`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); over > 0 {
			b.t.Errorf("%s: %s scrolls sideways by %d px at %d px", b.who, path, over, width)
		}
	}
}

// A visitor without an account finds a solicitation from the start page,
// reads its terms, Q&A, amendment and timeline, follows it to the award
// notice and the OCDS release, at desktop and phone widths.
func TestBrowserPublicVisitor(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	c := s.publicCase(12 * time.Second)
	browser := newBrowser(t)
	visitor := s.anonymousSession(browser)

	visitor.atWidths("/", "public-list")
	visitor.see(c.sol.Title, "Sign in")
	visitor.fill("#q", "claimants")
	visitor.fill("#tier", "standard")
	visitor.submit(`form[role=search] button[type=submit]`)
	visitor.see("1 of 1 published solicitation", c.sol.Title)
	visitor.run("follow the solicitation", chromedp.Click(chromedp.CSS(`a[href="/public/solicitations/`+c.sol.ID+`"]`)))
	visitor.atWidths("/public/solicitations/"+c.sol.ID, "public-solicitation")
	visitor.see(c.question, c.answer, c.amendment, "Requirements", "Timeline", "Open-contracting release")
	for _, secret := range append(c.sealedSecrets, c.neverPublic...) {
		if strings.Contains(visitor.text(), secret) {
			t.Errorf("the public page shows %q before the award", secret)
		}
	}

	s.awardPublicCase(c)
	visitor.atWidths("/public/solicitations/"+c.sol.ID, "public-solicitation-awarded")
	visitor.run("open the award notice", chromedp.Click(chromedp.CSS(`a[href="/public/solicitations/`+c.sol.ID+`/award"]`)))
	visitor.atWidths("/public/solicitations/"+c.sol.ID+"/award", "public-award")
	visitor.see("Award notice", "Northwind Models Inc.", c.winnerCandidate, "Ranking of the qualified candidates")
	visitor.run("open the OCDS release", chromedp.Click(chromedp.CSS(`a[href="/api/v1/solicitations/`+c.sol.ID+`/ocds"]`)))
	visitor.seeEventually(`"ocid"`, 10*time.Second)

	// A signed-in officer still starts at their work, not the public list.
	officer := s.newSession(browser, "officer")
	officer.open("/", "officer-start")
	officer.see("Solicitations")
	if u := get(officer, "read the address", chromedp.Location()); !strings.HasSuffix(u, "/solicitations") {
		t.Fatalf("the officer's start page is %s, want /solicitations", u)
	}
}
