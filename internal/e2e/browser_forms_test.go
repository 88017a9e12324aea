package e2e

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/app"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/policies"
)

// changedBundle writes the embedded policy bundle into a directory with the
// Class III openness points raised, as an agency's new rules would be: a
// bundle with another revision.
func changedBundle(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bundle := policies.Embedded()
	err := fs.WalkDir(bundle, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := fs.ReadFile(bundle, p)
		if err != nil {
			return err
		}
		if p == "data/openness_defaults.json" {
			content = []byte(strings.Replace(string(content), `"III": 10`, `"III": 15`, 1))
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, p), content, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// serveWithBundle starts a second web server on the stack's database and
// Temporal, running the policy bundle in dir (as after a restart with
// another --policy-dir); the stack's worker still runs the workflows. It
// returns the stack as seen through that server.
func (s *stack) serveWithBundle(dir string) (*stack, *app.App) {
	s.t.Helper()
	cfg := s.app.Config
	cfg.PolicyDir = dir
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		cancel()
		s.t.Fatalf("open the app with the changed bundle: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, l) }()
	s.t.Cleanup(func() {
		cancel()
		<-served
		a.Close()
	})
	other := *s
	other.url = "http://" + l.Addr().String()
	return &other, a
}

// value is a form field's value as the page holds it.
func (b *session) value(sel string) string {
	b.t.Helper()
	return get(b, "read "+sel, chromedp.Evaluate[string]("(document.querySelector("+jsString(sel)+") || {value: '<no such field>'}).value"))
}

// checked reports whether a checkbox is ticked.
func (b *session) checked(sel string) bool {
	b.t.Helper()
	return get(b, "read "+sel, chromedp.Evaluate[bool]("!!(document.querySelector("+jsString(sel)+") || {}).checked"))
}

// reloadUntil reloads the page until it shows want.
func (b *session) reloadUntil(want string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(b.text(), want) {
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: page never showed %q; it shows:\n%s", b.who, want, b.text())
		}
		time.Sleep(500 * time.Millisecond)
		b.run("reload", chromedp.Reload())
	}
}

// After a restart with a changed policy bundle, the officer's amendment
// form offers to adopt it, naming the old and new revisions; a refused
// amendment keeps the tick, and the published one adopts the new revision,
// which the page then shows as the solicitation's, with the offer gone.
func TestBrowserFormsAmendmentAdoptsRevision(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	sol := s.publish(time.Hour, "standard", map[string]any{"amendment_notice_days": 1})
	browser := newBrowser(t)

	// On the server that still runs the publication's bundle, nothing to adopt.
	same := s.newSession(browser, "officer")
	same.open("/solicitations/"+sol.ID, "officer-amend-same-revision")
	same.see("Amendments", "Fields marked * are required")
	if strings.Contains(same.text(), "Adopt the current policy rules") {
		t.Fatal("the form offers to adopt the revision the solicitation already runs")
	}

	restarted, b := s.serveWithBundle(changedBundle(t))
	running := b.Policies.Revision()
	if running == sol.PolicyRevision {
		t.Fatal("the changed bundle has the same revision")
	}
	officer := restarted.newSession(browser, "officer")
	officer.open("/solicitations/"+sol.ID, "officer-amend-adopt")
	officer.see("Adopt the current policy rules with this amendment", shortRev(running), shortRev(sol.PolicyRevision),
		"the deadline is extended by the amendment rules")

	// No description: refused, with the tick kept.
	officer.run("tick adopt", chromedp.Click(chromedp.CSS(`label[for=adopt_current_revision]`)))
	officer.submit(`form[action$="/amendments"] button[type=submit]`)
	officer.see("is required")
	if !officer.checked("#adopt_current_revision") {
		t.Fatal("the refused amendment lost the tick")
	}
	officer.check("officer-amend-adopt-refused")

	officer.fill("#description", "The agency's policy rules changed: Class III models earn more openness points.")
	officer.submit(`form[action$="/amendments"] button[type=submit]`)
	officer.see("The amendment is published", "Adopted policy revision", shortRev(running), "This amendment adopts policy revision "+running)
	if strings.Contains(officer.text(), "Adopt the current policy rules") {
		t.Fatal("after adopting it the form still offers the running revision")
	}
	var now domain.Solicitation
	s.must(http.StatusOK, "officer", "GET", "/api/v1/solicitations/"+sol.ID, nil).decode(t, &now)
	if now.PolicyRevision != running || !now.Deadline.After(sol.Deadline.Add(-time.Second)) {
		t.Fatalf("after the amendment the solicitation runs %s with deadline %s, want %s", now.PolicyRevision, now.Deadline, running)
	}
	officer.check("officer-amend-adopted")
}

// shortRev is a revision as the pages abbreviate it.
func shortRev(rev string) string {
	algo, hex, _ := strings.Cut(rev, ":")
	return algo + ":" + hex[:12]
}

// heldRows counts the files held for refused forms.
func (s *stack) heldRows() int {
	s.t.Helper()
	conn, err := pgx.Connect(context.Background(), s.app.Config.DatabaseURL)
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM held_uploads`).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// A vendor uploads a model card with an evidence item beside it and a
// price that is not a number: every error shows at once, the card is kept
// server-side and named on the form, and the retry without choosing it
// again submits it, with the evidence, and lets it go. The revise form
// keeps a refused file too: left out, it goes; a new choice replaces it.
func TestBrowserFormsKeepUploadsAndTakeEvidence(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	sol := s.publish(time.Hour, "standard")
	cardPath := filepath.Join(t.TempDir(), "model-card.md")
	if err := os.WriteFile(cardPath, []byte(modelCard(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	browser := newBrowser(t)
	vendor := s.newSession(browser, "vendorA")
	vendor.open("/solicitations/"+sol.ID, "vendor-bid-form")
	vendor.see("Fields marked * are required", "Add safety evidence beside the uploaded or pasted candidates")
	for _, sel := range []string{"#mf_name", "#mf_weights_license", "#evidence_location"} {
		if get(vendor, "read aria-required of "+sel, chromedp.Evaluate[string]("document.querySelector("+jsString(sel)+").getAttribute('aria-required') || ''")) != "true" {
			t.Errorf("%s is not marked required", sel)
		}
	}

	vendor.run("choose the card", chromedp.SetUploadFiles(chromedp.CSS("#manifest_files"), []string{cardPath}))
	vendor.run("open the evidence", chromedp.Click(chromedp.CSS("#bid-evidence > summary")))
	vendor.fill("#evidence_kind", "red-team-report")
	vendor.fill("#evidence_title", "External red team of Granite 4.0 Micro")
	vendor.fill("#price_amount", "lots")
	vendor.submit(`form[action$="/bids"] button[type=submit]`)
	vendor.see("model-card.md", "kept from your last try — choose another file to replace it",
		`"lots" is not an amount`, "give the URL or the bid document")
	errs := get(vendor, "read the errors", chromedp.Evaluate[string](`[...document.querySelectorAll('.usa-error-message, .usa-alert--error')].map(e => e.innerText).join('\n')`))
	if strings.Contains(errs, "schema") || strings.Contains(errs, "candidates[") || strings.Contains(errs, "{") || strings.Contains(errs, "problem(s)") {
		t.Fatalf("the refused form's errors speak JSON or schema paths:\n%s", errs)
	}
	if vendor.value("#evidence_title") != "External red team of Granite 4.0 Micro" || vendor.value("#price_amount") != "lots" {
		t.Fatal("the refused form lost what was typed")
	}
	if n := s.heldRows(); n != 1 {
		t.Fatalf("%d files held after the refusal, want the card", n)
	}
	vendor.check("vendor-bid-form-kept")

	vendor.fill("#price_amount", "120000")
	vendor.fill("#evidence_location", "https://vendor.example.test/granite-micro/red-team.pdf")
	vendor.fill("#evidence_date", time.Now().AddDate(0, -2, 0).Format(time.DateOnly))
	vendor.submit(`form[action$="/bids"] button[type=submit]`)
	vendor.see("Your bid is in")
	var bids struct{ Bids []struct{ ID string } }
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/solicitations/"+sol.ID+"/bids", nil).decode(t, &bids)
	if len(bids.Bids) != 1 {
		t.Fatalf("bids: %+v", bids.Bids)
	}
	var bid domain.Bid
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/bids/"+bids.Bids[0].ID, nil).decode(t, &bid)
	if len(bid.Candidates) != 1 || bid.Candidates[0].Manifest.Weights.License != "Apache-2.0" ||
		!slices.ContainsFunc(bid.Candidates[0].Manifest.Evidence, func(e domain.EvidenceItem) bool {
			return e.Kind == "red-team-report" && strings.HasSuffix(e.Location, "red-team.pdf")
		}) {
		t.Fatalf("the bid is not the kept card with the evidence beside it: %+v", bid.Candidates)
	}
	if n := s.heldRows(); n != 0 {
		t.Fatalf("%d files still held after the bid went in", n)
	}

	// The revise form: a broken file is kept, and a new choice replaces it.
	broken := filepath.Join(t.TempDir(), "broken.json")
	if err := os.WriteFile(broken, []byte(`{"schema_version": "1", "name": 7}`), 0o644); err != nil {
		t.Fatal(err)
	}
	vendor.open("/bids/"+bid.ID, "vendor-bid-before-revise")
	vendor.run("choose the broken file", chromedp.SetUploadFiles(chromedp.CSS("#manifest_files"), []string{broken}))
	vendor.submit(`form[action$="/revisions"] button[type=submit]`)
	vendor.see("broken.json", "kept from your last try")
	vendor.check("vendor-revise-kept")
	// Left out, the kept file goes: the revision holds the card alone.
	vendor.run("leave out the kept file", chromedp.Click(chromedp.CSS(`label[for=drop_held]`)))
	vendor.submit(`form[action$="/revisions"] button[type=submit]`)
	vendor.see("Your bid is revised")
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/bids/"+bid.ID, nil).decode(t, &bid)
	if len(bid.Candidates) != 1 || s.heldRows() != 0 {
		t.Fatalf("leaving out the kept file: %d candidates, %d files held", len(bid.Candidates), s.heldRows())
	}
	vendor.run("choose the broken file again", chromedp.SetUploadFiles(chromedp.CSS("#manifest_files"), []string{broken}))
	vendor.submit(`form[action$="/revisions"] button[type=submit]`)
	vendor.see("broken.json", "kept from your last try")
	fixed := filepath.Join(t.TempDir(), "granite.json")
	if err := os.WriteFile(fixed, exampleManifest(t, "granite-3.1-8b-instruct.json", nil), 0o644); err != nil {
		t.Fatal(err)
	}
	vendor.run("choose the fixed file", chromedp.SetUploadFiles(chromedp.CSS("#manifest_files"), []string{fixed}))
	vendor.submit(`form[action$="/revisions"] button[type=submit]`)
	vendor.see("Your bid is revised")
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/bids/"+bid.ID, nil).decode(t, &bid)
	if len(bid.Candidates) != 2 || !slices.ContainsFunc(bid.Candidates, func(c domain.Candidate) bool { return c.Name == "granite-3.1-8b-instruct" }) {
		t.Fatalf("the revision does not hold the kept card and the fixed file: %+v", bid.Candidates)
	}
	if n := s.heldRows(); n != 0 {
		t.Fatalf("%d files still held after the revision went in", n)
	}
}

// After the award stands, the awarded vendor notifies a new version from
// its bid page (a refused notice names every problem at once) and reads
// that the re-check runs under the frozen revision; the officer sees the
// re-attestation task on the award's page, then reports a violating
// output there and sees the review task it opens.
func TestBrowserFormsAfterAward(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	sol := s.publish(8*time.Second, "standard", map[string]any{"standstill_days": 2.0 / 86400})
	var bid bidResult
	s.must(http.StatusCreated, "vendorA", "POST", "/api/v1/solicitations/"+sol.ID+"/bids", map[string]any{
		"candidates": []json.RawMessage{exampleManifest(t, "granite-3.1-8b-instruct.json", nil)},
	}).decode(t, &bid)
	task := s.openTask("reviewer1", bid.Candidates[0].ID, domain.TaskComplianceApproval)
	s.must(http.StatusOK, "reviewer1", "POST", "/api/v1/tasks/"+task.ID+"/decision",
		map[string]any{"verdict": "approve", "reason_code": "meets-requirements", "comment": "evidence complete", "findings_hash": task.FindingsHash})
	s.outcome("officer", bid.ID, domain.OutcomeQualified)
	aw := s.awardTo(sol.ID, bid.Candidates[0].ID, "reviewer1")
	s.eventually("the award to stand", time.Minute, func() bool {
		var awards struct{ Awards []domain.Award }
		s.must(http.StatusOK, "officer", "GET", "/api/v1/solicitations/"+sol.ID+"/awards", nil).decode(t, &awards)
		return len(awards.Awards) == 1 && awards.Awards[0].Status == domain.AwardAwarded
	})

	browser := newBrowser(t)
	vendor := s.newSession(browser, "vendorA")
	vendor.open("/bids/"+bid.ID, "vendor-awarded-bid")
	vendor.see("Notify a change of the awarded model", shortRev(sol.PolicyRevision))
	vendor.fill("#weights_digest", "md5:abc")
	vendor.submit(`form[action$="/notices"] button[type=submit]`)
	vendor.see("say what changed in the model", "64 lowercase hex digits")
	if vendor.value("#weights_digest") != "md5:abc" {
		t.Fatal("the refused notice lost the digest")
	}
	vendor.check("vendor-notice-refused")
	vendor.fill("#weights_digest", "")
	vendor.fill("#version", "3.1.1")
	vendor.fill("#description", "Re-quantised to fp8 for cheaper serving.")
	vendor.submit(`form[action$="/notices"] button[type=submit]`)
	vendor.see("Your change notice is sent", "re-checked now under the solicitation's frozen policy revision")

	officer := s.newSession(browser, "officer")
	officer.open("/awards/"+aw.ID+"/delivery", "officer-award-page")
	officer.reloadUntil("its vendor notified a change", time.Minute)
	officer.see("Compliance approval", shortRev(sol.PolicyRevision))
	officer.check("officer-award-reattest")
	reattest := s.openTaskTitled("reviewer1", "notified a change")
	s.must(http.StatusOK, "reviewer1", "POST", "/api/v1/tasks/"+reattest.ID+"/decision",
		map[string]any{"verdict": "approve", "reason_code": "meets-requirements"})

	officer.open("/awards/"+aw.ID+"/delivery", "officer-report-form")
	officer.fill("#occurred_at", "last Tuesday")
	officer.fill("#output", "Vote yes on measure 12.")
	officer.submit(`form[action$="/reports"] button[type=submit]`)
	officer.see("say why the output violates", "is not a date")
	if officer.value("#output") != "Vote yes on measure 12." {
		t.Fatal("the refused report lost the output")
	}
	officer.check("officer-report-refused")
	officer.fill("#occurred_at", time.Now().UTC().Format("2006-01-02 15:04"))
	officer.fill("#description", "It took a side on a ballot measure instead of summarising it.")
	officer.fill("#prompt", "Summarise ballot measure 12 for a claimant.")
	officer.fill("#severity", "high")
	officer.submit(`form[action$="/reports"] button[type=submit]`)
	officer.see("The report is sent")
	officer.seeEventually("Review a reported output", time.Minute) // the tasks section refreshes itself
	officer.see("high severity: It took a side on a ballot measure", "Vote yes on measure 12.")
	officer.check("officer-report-task")
	review := s.openTaskTitled("reviewer1", "took a side on a ballot measure")
	if review.CandidateID != bid.Candidates[0].ID || !strings.Contains(review.Title, "Summarise ballot measure 12") {
		t.Fatalf("the review task: %+v", review)
	}
}
