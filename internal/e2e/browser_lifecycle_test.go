package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modeltender/modeltender/internal/domain"
)

// Two exchanges between the agency and a vendor in the browser, each page
// checked with axe-core and the keyboard: a reviewer asks the vendor a
// clarification from the task page, the vendor answers on its bid page and
// the candidate's re-opened task reaches the reviewer again; the officer
// amends an open solicitation and the vendor confirms its bid against it.
func TestBrowserClarificationAndAmendment(t *testing.T) {
	t.Parallel()
	start := time.Now()
	s := startStack(t)
	browser := newBrowser(t)
	granite := exampleManifest(t, "granite-3.1-8b-instruct.json", nil)

	// Both solicitations get their bids through the API; the one to clarify
	// closes a few seconds later.
	amended := s.publish(time.Hour, "standard")
	var openBid bidResult
	s.must(http.StatusCreated, "vendorA", "POST", "/api/v1/solicitations/"+amended.ID+"/bids",
		map[string]any{"candidates": []any{granite}}).decode(t, &openBid)
	clarified := s.publish(4*time.Second, "standard")
	var closedBid bidResult
	s.must(http.StatusCreated, "vendorA", "POST", "/api/v1/solicitations/"+clarified.ID+"/bids",
		map[string]any{"candidates": []any{granite}}).decode(t, &closedBid)

	// The officer amends the open solicitation (a blank amendment is refused by its field).
	officer := s.newSession(browser, "officer")
	officer.open("/solicitations/"+amended.ID+"#amend", "officer-open-solicitation")
	officer.submit(`form[action$="/amendments"] button[type=submit]`)
	officer.see("is required")
	officer.fill(`form[action$="/amendments"] textarea[name=description]`, "Hosting must be in a FedRAMP Moderate cloud.")
	officer.submit(`form[action$="/amendments"] button[type=submit]`)
	officer.see("The amendment is published", "FedRAMP Moderate cloud")

	// The vendor is asked to confirm its bid, and does.
	vendor := s.newSession(browser, "vendorA")
	vendor.open("/bids/"+openBid.ID, "vendor-bid-needs-confirmation")
	vendor.see("to confirm", "The solicitation was amended: confirm or revise this bid", "Confirm bid against the amendment")
	vendor.submit(`form[action$="/confirm"] button[type=submit]`)
	vendor.see("Your bid is confirmed against the amendment", "In, and sealed until the deadline")
	vendor.check("vendor-bid-confirmed")

	// After the other deadline a reviewer asks the vendor a question from the task page.
	cand := closedBid.Candidates[0]
	first := s.openTask("reviewer1", cand.ID, domain.TaskComplianceApproval)
	reviewer := s.newSession(browser, "reviewer1")
	reviewer.open("/tasks/"+first.ID, "reviewer-task-before-clarification")
	reviewer.see("Ask the vendor")
	reviewer.fill(`form[action$="/clarification"] textarea[name=question]`, "Which languages did the red team cover?")
	reviewer.submit(`form[action$="/clarification"] button[type=submit]`)
	reviewer.see("Your question is sent to the vendor")

	// The vendor answers in text on its bid page (an empty answer is refused by its field).
	vendor.open("/bids/"+closedBid.ID+"#clarifications", "vendor-clarification-request")
	vendor.see("Clarification requests", "Which languages did the red team cover?")
	vendor.submit(`form[action*="/clarifications/"] button[type=submit]`)
	vendor.see("is required")
	vendor.check("vendor-clarification-error")
	// A broken amended manifest (YAML that does not parse) is refused next
	// to the file input, the answer kept; a corrected manifest goes in.
	broken := filepath.Join(t.TempDir(), "amended.yml")
	if err := os.WriteFile(broken, []byte("release: [unclosed"), 0o600); err != nil {
		t.Fatal(err)
	}
	answer := `form[action*="/clarifications/"] textarea[name=answer]`
	upload := `form[action*="/clarifications/"] input[name=manifest]`
	vendor.fill(answer, "English and Spanish, by an independent red team.")
	vendor.run("choose a broken manifest", chromedp.SetUploadFiles(chromedp.CSS(upload), []string{broken}))
	vendor.submit(`form[action*="/clarifications/"] button[type=submit]`)
	vendor.see("the amended manifest was not accepted", "choose the file again")
	if kept := get(vendor, "read the kept answer", chromedp.Value(chromedp.CSS(answer))); kept != "English and Spanish, by an independent red team." {
		t.Fatalf("the refused answer lost its text: %q", kept)
	}
	vendor.check("vendor-clarification-manifest-error")
	fixed := filepath.Join(t.TempDir(), "granite-amended.json")
	if err := os.WriteFile(fixed, exampleManifest(t, "granite-3.1-8b-instruct.json", func(m map[string]any) {
		m["description"] = "Red-teamed in English and Spanish by an independent team."
	}), 0o600); err != nil {
		t.Fatal(err)
	}
	vendor.run("choose the amended manifest", chromedp.SetUploadFiles(chromedp.CSS(upload), []string{fixed}))
	vendor.submit(`form[action*="/clarifications/"] button[type=submit]`)
	vendor.see("Your answer is sent", "English and Spanish, by an independent red team.")
	vendor.check("vendor-clarification-answered")
	s.eventually("the amended manifest to be the candidate's", time.Minute, func() bool {
		m, _, err := s.store.CurrentManifest(context.Background(), cand.ID)
		if err != nil {
			t.Fatal(err)
		}
		return m.Description == "Red-teamed in English and Spanish by an independent team."
	})

	// The checks run again and a new task on the candidate reaches the reviewer.
	var again domain.Task
	s.eventually("the re-opened task", time.Minute, func() bool {
		var inbox struct{ Tasks []domain.Task }
		s.must(http.StatusOK, "reviewer1", "GET", "/api/v1/tasks", nil).decode(t, &inbox)
		for _, task := range inbox.Tasks {
			if task.CandidateID == cand.ID && task.ID != first.ID && task.Status == domain.TaskOpen {
				again = task
				return true
			}
		}
		return false
	})
	reviewer.open("/tasks", "reviewer-inbox-reopened")
	reviewer.see(cand.Name)
	reviewer.submit(`table a[href="/tasks/` + again.ID + `"]`)
	reviewer.see("Findings", "Decide")
	reviewer.check("reviewer-task-reopened")
	if strings.Contains(reviewer.text(), "not open for decisions") {
		t.Fatalf("the re-opened task refuses decisions:\n%s", reviewer.text())
	}
	t.Logf("clarification and amendment in the browser took %s", time.Since(start).Round(time.Second))
}
