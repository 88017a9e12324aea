package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modeltender/modeltender/internal/domain"
)

// modelCard is a real Hugging Face model card (internal/manifest/testdata/README.md).
func modelCard(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../internal/manifest/testdata/huggingface/ibm-granite-granite-4.0-micro-GGUF.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// missingKinds are the kinds of evidence a pre-check says are missing.
func missingKinds(p domain.Precheck) []string {
	var kinds []string
	for _, f := range p.Findings {
		if f.Rule == "safety.evidence-missing" {
			kinds = append(kinds, f.Evidence.Component)
		}
	}
	return kinds
}

// A model card carries no safety evidence of its own; sent with evidence
// beside it, the pre-check reads that evidence, the stored candidate cites
// it, and the card sent alone (the old shape) still reads as before.
func TestEvidenceBesideModelCardThroughAPI(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	sol := s.publish(time.Hour, "standard")
	card := modelCard(t)
	redTeam := domain.EvidenceItem{Kind: "red-team-report", Title: "External red team of Granite 4.0 Micro",
		Date: time.Now().AddDate(0, -2, 0).Format(time.DateOnly), Location: "https://vendor.example.test/granite-micro/red-team.pdf",
		Scope: "English prompts; jailbreaks and harmful content"}
	var bid bidResult
	s.must(http.StatusCreated, "vendorA", "POST", "/api/v1/solicitations/"+sol.ID+"/bids", map[string]any{
		"candidates": []any{map[string]any{"format": "huggingface", "content": card, "evidence": []domain.EvidenceItem{redTeam}}},
	}).decode(t, &bid)
	var pre struct{ Prechecks []domain.Precheck }
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/bids/"+bid.ID+"/precheck", nil).decode(t, &pre)
	if len(pre.Prechecks) != 1 {
		t.Fatalf("pre-checks: %+v", pre.Prechecks)
	}
	if kinds := missingKinds(pre.Prechecks[0]); slices.Contains(kinds, "red-team-report") || !slices.Contains(kinds, "content-filtering") {
		t.Fatalf("the pre-check misses the evidence beside the card, or finds nothing missing: missing %v", kinds)
	}
	var stored domain.Bid
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/bids/"+bid.ID, nil).decode(t, &stored)
	if !slices.Contains(stored.Candidates[0].Manifest.Evidence, redTeam) {
		t.Fatalf("the stored candidate does not cite the evidence: %+v", stored.Candidates[0].Manifest.Evidence)
	}

	// The old shape, a card alone: the red-team report is missing.
	var alone struct{ Prechecks []domain.Precheck }
	s.must(http.StatusCreated, "vendorA", "POST", "/api/v1/bids/"+bid.ID+"/revisions", map[string]any{
		"candidates": []any{map[string]any{"format": "huggingface", "content": card}},
	}).decode(t, &alone)
	if !slices.Contains(missingKinds(alone.Prechecks[0]), "red-team-report") {
		t.Fatalf("a card alone has a red-team report: %+v", alone.Prechecks[0].Findings)
	}

	// Every problem of the evidence is named at its field.
	p := s.must(http.StatusUnprocessableEntity, "vendorA", "POST", "/api/v1/bids/"+bid.ID+"/revisions", map[string]any{
		"candidates": []any{map[string]any{"format": "huggingface", "content": card,
			"evidence": []map[string]string{{"kind": "horoscope", "date": "spring"}}}},
	}).problem(t)
	var fields []string
	for _, f := range p.Errors {
		fields = append(fields, f.Field)
	}
	want := []string{"candidates[0].evidence[0].kind", "candidates[0].evidence[0].date", "candidates[0].evidence[0].location"}
	if !slices.Equal(fields, want) {
		t.Fatalf("field errors %v, want %v: %+v", fields, want, p)
	}
}

// A vendor who bid with a model card follows the pre-check's link, sees
// which evidence is missing, adds the red-team report on the evidence page
// (a refused item keeps what was typed) and the new pre-check no longer
// asks for it; the pages pass axe at 1366 and 390 px.
func TestBrowserEvidenceBesideModelCard(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	sol := s.publish(time.Hour, "standard")
	var bid bidResult
	s.must(http.StatusCreated, "vendorA", "POST", "/api/v1/solicitations/"+sol.ID+"/bids", map[string]any{
		"candidates": []any{map[string]any{"format": "huggingface", "content": modelCard(t)}},
	}).decode(t, &bid)
	cand := bid.Candidates[0]
	browser := newBrowser(t)
	vendor := s.newSession(browser, "vendorA")
	vendor.open("/bids/"+bid.ID, "vendor-bid-model-card")
	vendor.see("Completeness", "What it lacks")
	evidencePath := "/bids/" + bid.ID + "/candidates/" + cand.ID + "/evidence"
	vendor.run("follow the pre-check's link", chromedp.Click(chromedp.CSS(`a[href="`+evidencePath+`"]`)))
	vendor.atWidths(evidencePath+"?kind=red-team-report", "vendor-evidence")
	vendor.see("What the pre-check asks for", "red-team-report", "content-filtering", "Add an evidence item")
	if kind := get(vendor, "read the chosen kind", chromedp.Evaluate[string](`document.querySelector('#kind').value`)); kind != "red-team-report" {
		t.Fatalf("the form offers %q, want the kind the link asked for", kind)
	}

	// Without a location the item is refused and what was typed stays.
	vendor.fill("#title", "External red team of Granite 4.0 Micro")
	vendor.submit(`form[action="` + evidencePath + `"] button[type=submit]`)
	vendor.see("give the URL or the bid document")
	if title := get(vendor, "read the title", chromedp.Evaluate[string](`document.querySelector('#title').value`)); title != "External red team of Granite 4.0 Micro" {
		t.Fatalf("the refused form lost the title: %q", title)
	}
	vendor.check("vendor-evidence-refused")
	vendor.fill("#location", "https://vendor.example.test/granite-micro/red-team.pdf")
	vendor.fill("#date", time.Now().AddDate(0, -2, 0).Format(time.DateOnly))
	vendor.fill("#scope", "English prompts; jailbreaks and harmful content")
	vendor.submit(`form[action="` + evidencePath + `"] button[type=submit]`)
	if u := get(vendor, "read the address", chromedp.Location()); !strings.Contains(u, "/bids/"+bid.ID+"?flash=revised") {
		t.Fatalf("adding the evidence did not revise the bid: the page is %s and shows:\n%s", u, vendor.text())
	}
	vendor.see("Your bid is revised")

	var revised domain.Bid
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/bids/"+bid.ID, nil).decode(t, &revised)
	if len(revised.Candidates) != 1 || !slices.ContainsFunc(revised.Candidates[0].Manifest.Evidence, func(e domain.EvidenceItem) bool {
		return e.Kind == "red-team-report" && strings.HasSuffix(e.Location, "red-team.pdf")
	}) {
		t.Fatalf("the revision does not cite the red-team report (revision %d, was candidate %s): %+v", revised.Revision, cand.ID, revised.Candidates)
	}
	var pre struct{ Prechecks []domain.Precheck }
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/bids/"+bid.ID+"/precheck", nil).decode(t, &pre)
	for _, p := range pre.Prechecks {
		if p.CandidateID == revised.Candidates[0].ID && slices.Contains(missingKinds(p), "red-team-report") {
			t.Fatalf("the new pre-check still asks for the red-team report: %+v", p.Findings)
		}
	}
	vendor.atWidths("/bids/"+bid.ID+"/candidates/"+revised.Candidates[0].ID+"/evidence", "vendor-evidence-added")
	vendor.see("External red team of Granite 4.0 Micro")
	b, _ := json.Marshal(revised.Candidates[0].Manifest.Evidence)
	if !strings.Contains(string(b), "English prompts") {
		t.Fatalf("the scope was not kept: %s", b)
	}
}

// A vendor bids a real Hugging Face model card through the bid form, pasted
// as it is on the Hub: the card is read (format detected) with its license
// and base model, and the pre-check says what the card leaves out (this
// one names no model) and scores its completeness.
func TestBrowserBidsAModelCard(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	sol := s.publish(time.Hour, "standard")
	browser := newBrowser(t)
	vendor := s.newSession(browser, "vendorA")
	vendor.open("/solicitations/"+sol.ID, "vendor-solicitation-before-card")
	vendor.fill(`form[action$="/bids"] textarea[name=manifest_json]`, modelCard(t))
	vendor.submit(`form[action$="/bids"] button[type=submit]`)
	vendor.see("the model card names no model", "Completeness")
	// Its lineage shows in the pre-check, before the deadline opens the bid.
	vendor.see("Lineage", "derives from another model", "ibm-granite/granite-4.0-micro (quantized)")
	var bids struct{ Bids []struct{ ID string } }
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/solicitations/"+sol.ID+"/bids", nil).decode(t, &bids)
	if len(bids.Bids) != 1 {
		t.Fatalf("bids after the form: %+v", bids.Bids)
	}
	var bid domain.Bid
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/bids/"+bids.Bids[0].ID, nil).decode(t, &bid)
	if len(bid.Candidates) != 1 || bid.Candidates[0].Manifest.Weights.License != "Apache-2.0" ||
		!slices.ContainsFunc(bid.Candidates[0].Manifest.BaseModels, func(b domain.BaseModel) bool { return b.Name == "ibm-granite/granite-4.0-micro" }) {
		t.Fatalf("the card's candidate: %+v", bid.Candidates)
	}
}

// A vendor uploads a real SPDX 3.0.1 AI document through the bid form. Each
// of its AI packages becomes a candidate, each pre-checked, with the intake
// findings of what the document leaves out.
func TestBrowserBidsAnSPDX3Document(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	sol := s.publish(time.Hour, "standard")
	browser := newBrowser(t)
	vendor := s.newSession(browser, "vendorA")
	vendor.open("/solicitations/"+sol.ID, "vendor-solicitation-before-spdx3")
	doc, err := filepath.Abs("../../internal/manifest/testdata/spdx3/ai-example01-simplehtr-example.json")
	if err != nil {
		t.Fatal(err)
	}
	vendor.run("choose the SPDX document", chromedp.SetUploadFiles(chromedp.CSS("#manifest_files"), []string{doc}))
	vendor.submit(`form[action$="/bids"] button[type=submit]`)
	vendor.see("Your bid is in", "Pre-check of your candidates", "word-model", "line-model", "Completeness")
	vendor.check("vendor-bid-spdx3")

	var bids struct{ Bids []struct{ ID string } }
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/solicitations/"+sol.ID+"/bids", nil).decode(t, &bids)
	if len(bids.Bids) != 1 {
		t.Fatalf("bids after the form: %+v", bids.Bids)
	}
	var bid domain.Bid
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/bids/"+bids.Bids[0].ID, nil).decode(t, &bid)
	var names []string
	for _, c := range bid.Candidates {
		names = append(names, c.Name)
	}
	if slices.Sort(names); !slices.Equal(names, []string{"line-model", "word-model"}) {
		t.Fatalf("the document's AI packages became candidates %v, want line-model and word-model", names)
	}
	var pre struct{ Prechecks []domain.Precheck }
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/bids/"+bid.ID+"/precheck", nil).decode(t, &pre)
	if len(pre.Prechecks) != 2 {
		t.Fatalf("pre-checks of the SPDX candidates: %+v", pre.Prechecks)
	}
	for _, p := range pre.Prechecks {
		if p.Completeness == nil || p.Completeness.Score >= 100 || len(p.Findings) == 0 {
			t.Errorf("the pre-check of %s says nothing of what the document lacks: %+v", p.CandidateName, p)
		}
	}
}
