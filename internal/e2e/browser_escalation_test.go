package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// A high-impact task that conflicts leave too few reviewers for, handled in
// the browser: the task reaches the officer escalated, with the reason; the
// officer sees it read-only, is told what an exception needs, and assigns a
// reviewer of another team, who then decides it with the agency's own
// reviewer. The conflicted reviewer later withdraws the conflict on the
// conflicts page.
func TestBrowserEscalatedTask(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	s.addUser("reviewer3", domain.RoleReviewer, "Office of the Inspector General", "agency")
	browser := newBrowser(t)

	sol := s.publish(5*time.Second, "high-impact")
	var bid bidResult
	s.must(http.StatusCreated, "vendorA", "POST", "/api/v1/solicitations/"+sol.ID+"/bids",
		map[string]any{"candidates": []any{highImpactManifest(t, "granite-3.1-8b-instruct")}}).decode(t, &bid)
	vendorOrg := s.users["vendorA"].OrgID
	s.must(http.StatusCreated, "reviewer2", "POST", "/api/v1/conflicts",
		map[string]any{"organisation_id": vendorOrg, "reason": "advised Northwind on its bid last year"})

	cand := bid.Candidates[0].ID
	task := s.openTask("reviewer1", cand, domain.TaskComplianceApproval)
	s.eventually("the task to escalate", time.Minute, func() bool {
		var got struct{ Task domain.Task }
		s.must(http.StatusOK, "officer", "GET", "/api/v1/tasks/"+task.ID, nil).decode(t, &got)
		task = got.Task
		return task.EscalationReason != ""
	})

	officer := s.newSession(browser, "officer")
	officer.open("/tasks", "officer-inbox")
	officer.see(task.Title)
	officer.open("/tasks/"+task.ID, "officer-escalated-task")
	officer.see("Manage this task", "Escalated:", "eligible reviewer(s) left", "reviewer3@example.test")
	// An exception without a reason is refused next to its field.
	officer.submit(`form[action$="/exception"] button[type=submit]`)
	officer.see("is required")
	officer.check("officer-exception-refused")
	officer.fill(`form[action$="/assignments"] select[name=reviewer_id]`, s.users["reviewer3"].ID)
	officer.submit(`form[action$="/assignments"] button[type=submit]`)
	officer.see("The reviewer is assigned")

	// The assigned reviewer and the agency's own reviewer decide it.
	for _, who := range []string{"reviewer1", "reviewer3"} {
		s.must(http.StatusOK, who, "POST", "/api/v1/tasks/"+task.ID+"/decision",
			map[string]any{"verdict": "approve", "reason_code": "meets-requirements"})
	}
	s.outcome("officer", bid.ID, domain.OutcomeQualified)

	// The conflicted reviewer withdraws the conflict, with a reason.
	reviewer := s.newSession(browser, "reviewer2")
	reviewer.open("/conflicts", "reviewer-conflicts")
	reviewer.see("Northwind Models Inc.", "advised Northwind on its bid last year")
	withdraw := `form[action="/conflicts/` + vendorOrg + `/withdraw"]`
	reviewer.submit(withdraw + ` button[type=submit]`)
	reviewer.see("is required")
	reviewer.fill(withdraw+` input[name=reason]`, "the advisory contract ended in June")
	reviewer.submit(withdraw + ` button[type=submit]`)
	reviewer.see("Your conflict of interest is withdrawn", "You have declared no conflict of interest.")
}
