package e2e

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modeltender/modeltender/internal/domain"
)

// The procurement in a real browser, role by role, on the real stack: the
// officer drafts and publishes; a vendor bids through the form (first with a
// broken manifest); after the deadline a reviewer approves; the officer
// watches the board fill in live; the vendor sees the outcome. Every page is
// screenshotted, checked with axe-core and walked with the keyboard.
func TestBrowserJourney(t *testing.T) {
	t.Parallel()
	start := time.Now()
	s := startStack(t)
	browser := newBrowser(t)

	// Officer: dashboard, a draft refused then saved, published.
	officer := s.newSession(browser, "officer")
	officer.see("Solicitations", "Draft a new solicitation")
	officer.open("/solicitations/new", "officer-new-solicitation")
	officer.fill("#title", "")
	officer.fill("#description", "Summarise public comments for analysts.")
	officer.fill("#expected_monthly_users", "lots")
	officer.submit(`form[action="/solicitations"] button[type=submit]`)
	officer.see("is required: name what the agency is buying", "must be 0 or more")
	if desc := get(officer, "read the description", chromedp.Value(chromedp.CSS("#description"))); desc != "Summarise public comments for analysts." {
		t.Fatalf("the refused form lost the description: %q", desc)
	}
	officer.check("officer-new-solicitation-errors")
	officer.fill("#title", "Model for public comment summaries")
	officer.fill("#expected_monthly_users", "400")
	officer.submit(`form[action="/solicitations"] button[type=submit]`)
	officer.see("The draft is saved", "Publish solicitation")
	officer.check("officer-draft")
	officer.submit(`form[action$="/publish"] button`)
	officer.see("The solicitation is published", "Policy revision frozen at publication")

	// The journey's solicitation closes soon after the vendors have bid.
	sol := s.publish(40*time.Second, "standard")
	officer.open("/solicitations", "officer-dashboard")
	officer.see("Open for bids", "Model for public comment summaries", sol.Title)

	// Vendor A: a broken pasted manifest comes back with its error and text
	// kept; then the manifest file goes in.
	vendor := s.newSession(browser, "vendorA")
	vendor.open("/solicitations", "vendor-solicitations")
	vendor.see(sol.Title)
	vendor.open("/solicitations/"+sol.ID, "vendor-solicitation")
	vendor.fill("#manifest_json", `{"schema_version": "1", "name": 7}`)
	vendor.submit(`form[action$="/bids"] button[type=submit]`)
	vendor.see("pasted manifest")
	if pasted := get(vendor, "read the pasted manifest", chromedp.Value(chromedp.CSS("#manifest_json"))); !strings.Contains(pasted, `"name": 7`) {
		t.Fatalf("the refused bid lost the pasted manifest: %q", pasted)
	}
	vendor.check("vendor-bid-errors")
	file := filepath.Join(t.TempDir(), "granite-3.1-8b-instruct.json")
	if err := os.WriteFile(file, exampleManifest(t, "granite-3.1-8b-instruct.json", nil), 0o600); err != nil {
		t.Fatal(err)
	}
	vendor.fill("#manifest_json", "")
	vendor.run("choose the manifest file", chromedp.SetUploadFiles(chromedp.CSS("#manifest_files"), []string{file}))
	vendor.submit(`form[action$="/bids"] button[type=submit]`)
	vendor.see("Your bid is in", "granite-3.1-8b-instruct", "sealed until the deadline")
	bidURL, err := url.Parse(get(vendor, "read the bid's address", chromedp.Location()))
	if err != nil {
		t.Fatal(err)
	}
	vendor.check("vendor-bid-sealed")

	// Vendor B bids through the API with a license nobody knows.
	var bidB bidResult
	s.must(http.StatusCreated, "vendorB", "POST", "/api/v1/solicitations/"+sol.ID+"/bids", map[string]any{
		"candidates": []any{exampleManifest(t, "granite-3.1-8b-instruct.json", func(m map[string]any) {
			m["name"] = "northwind-research-7b"
			m["weights"].(map[string]any)["license"] = "LicenseRef-Northwind-Research-Only"
		})},
	}).decode(t, &bidB)

	// After the deadline: the officer opens the board while the candidates
	// wait for reviewers, and keeps it open.
	reviewer := s.newSession(browser, "reviewer1")
	var task domain.Task
	s.eventually("the approval task in the inbox", 2*time.Minute, func() bool {
		reviewer.open("/tasks", "reviewer-inbox")
		return strings.Contains(reviewer.text(), "granite-3.1-8b-instruct")
	})
	officer.open("/solicitations/"+sol.ID+"/board", "officer-board-waiting")
	officer.see("granite-3.1-8b-instruct", "northwind-research-7b", "waiting for a reviewer")

	// Reviewer: a rejection without a comment is refused next to the field;
	// then the approval goes through the workflow update.
	var ownBid bidResult
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1"+bidURL.Path, nil).decode(t, &ownBid)
	approval := s.openTask("reviewer1", ownBid.Candidates[0].ID, domain.TaskComplianceApproval)
	reviewer.submit(`table a[href="/tasks/` + approval.ID + `"]`)
	reviewer.see("Findings", "Decide")
	reviewer.check("reviewer-task")
	reviewer.choose("#verdict-reject")
	reviewer.fill("#reason_code", "insufficient-evidence")
	reviewer.submit(`form[action$="/decision"] button[type=submit]`)
	reviewer.see("a rejection needs a comment")
	reviewer.choose("#verdict-approve")
	reviewer.fill("#reason_code", "meets-requirements")
	reviewer.fill("#comment", "Evidence is complete and current.")
	reviewer.submit(`form[action$="/decision"] button[type=submit]`)
	reviewer.see("Your decision is recorded")

	// B's license is rejected through the API, so the board has both outcomes.
	task = s.openTask("reviewer2", bidB.Candidates[0].ID, domain.TaskLicenseResolution)
	s.must(http.StatusOK, "reviewer2", "POST", "/api/v1/tasks/"+task.ID+"/decision", map[string]any{
		"verdict": "reject", "reason_code": "license-incompatible", "comment": "research-only terms forbid production use",
	})

	// The officer's board fills in without a reload (htmx polling).
	officer.seeEventually("Every candidate has an outcome.", time.Minute)
	officer.see("qualified", "disqualified", "Candidates by score")
	officer.check("officer-board")

	// The vendor sees the outcome with its explanations.
	vendor.open(bidURL.Path, "vendor-bid")
	vendor.see("qualified", "Findings", "How to fix")

	// An auditor reads the trail, filtered to decisions.
	s.addUser("auditor", domain.RoleAuditor, "Department of Digital Services", "agency")
	auditor := s.newSession(browser, "auditor")
	auditor.open("/solicitations/"+sol.ID+"/audit?action=task.decided", "auditor-trail")
	auditor.see("Showing 2 of", "meets-requirements", "license-incompatible")
	t.Logf("browser journey took %s", time.Since(start).Round(time.Second))
}

// A form post without the CSRF token is refused, signed in or not.
func TestBrowserFormWithoutCSRFTokenIsRefused(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	if err := s.store.SetPassword(t.Context(), s.users["officer"].ID, testPassword); err != nil {
		t.Fatal(err)
	}
	post := func(path string, form url.Values, cookies ...*http.Cookie) *http.Response {
		req, err := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "text/html")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	login := url.Values{"email": {s.users["officer"].Email}, "password": {testPassword}}
	if r := post("/login", login); r.StatusCode != http.StatusForbidden {
		t.Fatalf("login without a CSRF token: status %d, want 403", r.StatusCode)
	}
	// With the token from the form's cookie, the same login succeeds...
	csrf := &http.Cookie{Name: "mt_csrf", Value: strings.Repeat("k", 43)}
	login.Set("_csrf", csrf.Value)
	r := post("/login", login, csrf)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login with the CSRF token: status %d, want 303", r.StatusCode)
	}
	var session *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == "mt_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly {
		t.Fatalf("login set no HttpOnly session cookie: %v", r.Cookies())
	}
	// ...but a signed-in form post without it, or with another, is refused and changes nothing.
	before, err := s.store.TableCounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	draft := url.Values{"title": {"Forged"}, "risk_tier": {"standard"}, "deadline": {"2099-01-01T00:00"}, "expected_monthly_users": {"1"}}
	if r := post("/solicitations", draft, session, csrf); r.StatusCode != http.StatusForbidden {
		t.Fatalf("form post without the token: status %d, want 403", r.StatusCode)
	}
	draft.Set("_csrf", strings.Repeat("x", 43))
	if r := post("/solicitations", draft, session, csrf); r.StatusCode != http.StatusForbidden {
		t.Fatalf("form post with a wrong token: status %d, want 403", r.StatusCode)
	}
	after, err := s.store.TableCounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if before["solicitations"] != after["solicitations"] {
		t.Fatalf("a refused form post created a solicitation")
	}
	draft.Set("_csrf", csrf.Value)
	if r := post("/solicitations", draft, session, csrf); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("form post with the token: status %d, want 303", r.StatusCode)
	}
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
