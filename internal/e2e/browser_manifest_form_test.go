package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modeltender/modeltender/internal/domain"
)

// A vendor without a manifest file describes its candidate in the bid form,
// with a price: a license expression that does not parse comes back next to
// the weights license with everything typed kept; fixed, the bid goes in and
// the bid page shows the candidate's pre-check; a revision through the same
// form changes the price. The open form is checked with axe-core and the
// keyboard.
func TestBrowserDescribedCandidate(t *testing.T) {
	t.Parallel()
	start := time.Now()
	s := startStack(t)
	browser := newBrowser(t)
	sol := s.publish(time.Hour, "standard")

	vendor := s.newSession(browser, "vendorA")
	vendor.open("/solicitations/"+sol.ID, "vendor-describe-closed")
	for _, section := range []string{"#mf-section", "#mf-components", "#mf-evidence", "#mf-evidence-red-team-report"} {
		vendor.run("open "+section, chromedp.Click(chromedp.CSS(section+" > summary")))
	}
	vendor.see("Model Openness Framework components", "Safety and governance evidence", "Red-team report", "Price")
	vendor.check("vendor-describe-form")

	redTeamDate := time.Now().UTC().AddDate(0, -2, 0).Format("2006-01-02")
	typed := map[string]string{
		"#mf_name":             "northwind-form-7b",
		"#mf_version":          "1.0",
		"#mf_producer":         "Northwind Models Inc.",
		"#mf_weights_license":  "Apache-2.0 OR",
		"#mf_weights_location": "https://huggingface.co/northwind/form-7b",
		"#mf_weights_format":   "safetensors",
		// Model architecture, Model parameters (Final) and Inference code.
		"#mf_components_2_license":              "Apache-2.0",
		"#mf_components_3_license":              "Apache-2.0",
		"#mf_components_7_license":              "MIT",
		"#mf_components_7_location":             "https://github.com/northwind/form-7b",
		"#mf_evidence_red-team-report_location": "https://northwind.example/red-team-2025.pdf",
		"#mf_evidence_red-team-report_date":     redTeamDate,
		"#mf_evidence_red-team-report_scope":    "Jailbreaks and prompt injection, in English and Spanish, on version 1.0",
		"#price_amount":                         "250,000",
	}
	for sel, v := range typed {
		vendor.fill(sel, v)
	}
	// USWDS draws checkboxes and radios on their labels: click those, as a person does.
	ticked := []string{"mf_components_2_included", "mf_components_3_included", "mf_components_7_included", "mf_deployment_on_premises"}
	for _, id := range append(ticked, "mf_data_use_trains_on_agency_data-no") {
		vendor.run("tick "+id, chromedp.Click(chromedp.CSS(`label[for="`+id+`"]`)))
	}
	bidButton := `form[action$="/bids"] button[type=submit]`
	vendor.submit(bidButton)

	// Refused: the error is by the weights license, and nothing typed is lost.
	vendor.see("the bid was not accepted")
	licenseError := get(vendor, "read the weights license error", chromedp.Evaluate[string](`(() => {
		const e = document.querySelector('#mf_weights_license-error');
		const input = document.querySelector('#mf_weights_license');
		if (!e || !input || !(input.getAttribute('aria-describedby') || '').includes('mf_weights_license-error')) return '';
		return e.closest('.usa-form-group').contains(input) ? e.innerText : '';
	})()`))
	if licenseError == "" {
		t.Fatalf("no error next to the weights license; the page shows:\n%s", vendor.text())
	}
	if files := get(vendor, "look for a file error", chromedp.Evaluate[bool](`!!document.querySelector('#manifest_files-error, #manifest_json-error, #mf-error')`)); files {
		t.Errorf("the described candidate's error also went elsewhere:\n%s", vendor.text())
	}
	for sel, want := range typed {
		if got := get(vendor, "read "+sel, chromedp.Value(chromedp.CSS(sel))); got != want {
			t.Errorf("the refused form lost %s: %q, want %q", sel, got, want)
		}
	}
	kept := get(vendor, "read the ticked boxes", chromedp.Evaluate[[]string](`[...document.querySelectorAll('form[action$="/bids"] input:checked')].map(e => e.id)`))
	if want := append(ticked, "mf_data_use_trains_on_agency_data-no"); strings.Join(kept, " ") != strings.Join(want, " ") {
		t.Errorf("checked after the refusal: %q, want %q", kept, want)
	}
	if open := get(vendor, "read the open sections", chromedp.Evaluate[bool](`['mf-section', 'mf-components', 'mf-evidence', 'mf-evidence-red-team-report'].every(id => document.getElementById(id).open)`)); !open {
		t.Error("the refused form closed a section the vendor filled")
	}
	vendor.check("vendor-describe-errors")

	// Fixed, the bid goes in; the bid page shows the described candidate's pre-check.
	vendor.fill("#mf_weights_license", "Apache-2.0")
	vendor.submit(bidButton)
	vendor.see("Your bid is in", "Pre-check of your candidates", "northwind-form-7b",
		`required evidence "model-card"`)
	if txt := vendor.text(); strings.Contains(txt, `"red-team-report"`) {
		t.Errorf("the pre-check did not read the red-team report typed in the form:\n%s", txt)
	}
	bidURL, err := url.Parse(get(vendor, "read the bid's address", chromedp.Location()))
	if err != nil {
		t.Fatal(err)
	}
	bidID := strings.TrimPrefix(bidURL.Path, "/bids/")
	bid, err := s.store.Bid(context.Background(), bidID)
	if err != nil {
		t.Fatal(err)
	}
	m := bid.Candidates[0].Manifest
	if bid.Price == nil || *bid.Price != (domain.Money{Amount: 250000, Currency: "USD"}) || len(m.Components) != 3 ||
		!m.Deployment.OnPremises || m.DataUse.TrainsOnAgencyData == nil || *m.DataUse.TrainsOnAgencyData ||
		len(m.Evidence) != 1 || m.Evidence[0].Date != redTeamDate {
		t.Errorf("stored bid: price %+v, manifest %+v", bid.Price, m)
	}

	// The revise form has the same section, keeps the current candidate
	// (ticked) and the price unless changed: a revision of the price alone
	// needs no file.
	if price := get(vendor, "read the revise form's price", chromedp.Value(chromedp.CSS(`form[action$="/revisions"] #price_amount`))); price != "250000" {
		t.Errorf("the revise form's price is %q, want the bid's 250000", price)
	}
	keep := `form[action$="/revisions"] input[name=keep_candidate]`
	if kept := get(vendor, "read the kept candidates", chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(keep+":checked")+`).length`)); kept != 1 {
		t.Fatalf("the revise form keeps %d candidates, want the bid's one", kept)
	}
	vendor.fill("#price_amount", "240000")
	vendor.fill("#price_currency", "eur")
	vendor.submit(`form[action$="/revisions"] button[type=submit]`)
	vendor.see("Your bid is revised", "northwind-form-7b", "price 240000.00 EUR")
	if bid, err = s.store.Bid(context.Background(), bidID); err != nil {
		t.Fatal(err)
	}
	if bid.Price == nil || *bid.Price != (domain.Money{Amount: 240000, Currency: "EUR"}) || len(bid.Candidates) != 1 ||
		bid.Candidates[0].Manifest.Name != "northwind-form-7b" || len(bid.Candidates[0].Manifest.Components) != 3 {
		t.Errorf("price-only revision: price %+v, candidates %+v", bid.Price, bid.Candidates)
	}

	// Dropping the candidate and describing another replaces it.
	if !get(vendor, "untick the kept candidate", chromedp.Evaluate[bool](`(() => { document.querySelector(`+jsString(keep)+`).checked = false; return true })()`)) {
		t.Fatal("no kept candidate to untick")
	}
	vendor.fill("#mf_name", "northwind-form-8b")
	vendor.fill("#mf_weights_license", "MIT")
	vendor.submit(`form[action$="/revisions"] button[type=submit]`)
	vendor.see("Your bid is revised", "northwind-form-8b", "price 240000.00 EUR")
	vendor.check("vendor-describe-revised")
	if bid, err = s.store.Bid(context.Background(), bidID); err != nil {
		t.Fatal(err)
	}
	if len(bid.Candidates) != 1 || bid.Candidates[0].Manifest.Name != "northwind-form-8b" || bid.Candidates[0].Manifest.Weights.License != "MIT" {
		t.Errorf("revised bid: candidates %+v", bid.Candidates)
	}
	t.Logf("described candidate in the browser took %s", time.Since(start).Round(time.Second))
}
