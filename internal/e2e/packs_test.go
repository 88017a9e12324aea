package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modeltender/modeltender/internal/domain"
)

// m2604Packet is the minimum packet OMB M-26-04 asks a vendor of a large
// language model for: the developer's acceptable use policy, a model card,
// end-user resources and a feedback channel.
var m2604Packet = []string{"acceptable-use-policy", "model-card", "end-user-resources", "feedback-mechanism"}

// packFindings are a pre-check's findings about what the policy packs ask:
// missing evidence of the packet and unanswered contract terms.
func packFindings(p domain.Precheck) []string {
	var out []string
	for _, f := range p.Findings {
		if f.Rule == "packs.attestation-missing" || f.Rule == "packs.attestation-refused" ||
			(f.Rule == "safety.evidence-missing" && slices.Contains(m2604Packet, f.Evidence.Component)) {
			out = append(out, f.Rule+" "+f.Evidence.Component)
		}
	}
	return out
}

// A large language model bought under OMB M-26-04, end to end: the officer
// drafts it in the browser as an LLM procurement and the pack is applied by
// default and shown; a vendor reads the requirements through the API, bids
// a model without the packet and is told what is missing, then completes
// it in the browser (the packet in the manifest, the contract terms on the
// revise form) and the pre-check no longer finds anything missing.
func TestLLMSolicitationUnderM2604(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	browser := newBrowser(t)

	officer := s.newSession(browser, "officer")
	officer.open("/solicitations/new", "officer-new-llm-solicitation")
	officer.see("Policy packs", "The agency is buying a large language model")
	officer.fill("#title", "Chat assistant for benefits questions")
	officer.fill("#expected_monthly_users", "40000")
	officer.choose("#large_language_model")
	officer.submit(`form[action="/solicitations"] button[type=submit]`)
	officer.see("Rules that apply", "Unbiased AI", "Contract terms vendors attest")
	url := get(officer, "draft url", chromedp.Evaluate[string]("location.href"))
	solID := url[strings.LastIndex(url, "/")+1:]
	if i := strings.IndexAny(solID, "?#"); i >= 0 {
		solID = solID[:i]
	}
	var draft domain.Solicitation
	s.must(http.StatusOK, "officer", "GET", "/api/v1/solicitations/"+solID, nil).decode(t, &draft)
	if !draft.LargeLanguageModel || !slices.Contains(draft.Packs, "omb-m-26-04") || !slices.Contains(draft.Packs, "omb-m-25-22") {
		t.Fatalf("the LLM draft's packs: %v (llm %t)", draft.Packs, draft.LargeLanguageModel)
	}
	officer.submit(`form[action$="/publish"] button[type=submit]`)
	officer.see("Policy revision frozen at publication")

	// What the packs ask is public to vendors before they bid.
	var req struct {
		Evidence     []struct{ Kind string }
		Attestations []struct{ Term string }
	}
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/solicitations/"+solID+"/requirements", nil).decode(t, &req)
	var terms []string
	for _, a := range req.Attestations {
		terms = append(terms, a.Term)
	}
	kinds := map[string]bool{}
	for _, e := range req.Evidence {
		kinds[e.Kind] = true
	}
	if !slices.Contains(terms, "unbiased-ai-principles-accepted") || !kinds["acceptable-use-policy"] || !kinds["feedback-mechanism"] {
		t.Fatalf("requirements: terms %v, evidence %v", terms, kinds)
	}

	// A bid without the packet: the pre-check names each missing piece.
	var bid bidResult
	s.must(http.StatusCreated, "vendorA", "POST", "/api/v1/solicitations/"+solID+"/bids",
		map[string]any{"candidates": []any{exampleManifest(t, "llama-3.1-8b-instruct.json", nil)}}).decode(t, &bid)
	var pre struct{ Prechecks []domain.Precheck }
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/bids/"+bid.ID+"/precheck", nil).decode(t, &pre)
	missing := packFindings(pre.Prechecks[0])
	for _, want := range []string{"safety.evidence-missing acceptable-use-policy", "packs.attestation-missing unbiased-ai-principles-accepted"} {
		if !slices.Contains(missing, want) {
			t.Fatalf("pre-check of a bid without the M-26-04 packet: %v, want %q among them", missing, want)
		}
	}

	// The vendor completes the packet in the browser: the manifest with the
	// four documents, pasted, and every contract term answered yes.
	complete := exampleManifest(t, "llama-3.1-8b-instruct.json", func(m map[string]any) {
		ev, _ := m["evidence"].([]any)
		for _, kind := range m2604Packet {
			ev = append(ev, map[string]any{"kind": kind, "title": kind + " for the assistant",
				"location": "https://vendor.example/llm/" + kind, "scope": "benefits questions",
				"date": time.Now().AddDate(0, -1, 0).Format("2006-01-02")})
		}
		m["evidence"] = ev
	})
	vendor := s.newSession(browser, "vendorA")
	vendor.open("/bids/"+bid.ID, "vendor-llm-bid-missing-packet")
	vendor.see("Contract terms", "acceptable")
	vendor.fill(`form[action$="/revisions"] textarea[name=manifest_json]`, string(complete))
	get(vendor, "untick the current candidate", chromedp.Evaluate[bool](`(() => { document.querySelectorAll('form[action$="/revisions"] input[name=keep_candidate]').forEach(e => e.checked = false); return true })()`))
	for _, term := range terms {
		vendor.fill(`form[action$="/revisions"] select[name="attest_`+term+`"]`, "yes")
		vendor.fill(`form[action$="/revisions"] input[name="attest_`+term+`_document"]`, "Volume II, section 7")
	}
	vendor.submit(`form[action$="/revisions"] button[type=submit]`)
	vendor.see("Your bid is revised")

	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/bids/"+bid.ID+"/precheck", nil).decode(t, &pre)
	latest := pre.Prechecks[len(pre.Prechecks)-1]
	if left := packFindings(latest); len(left) > 0 {
		b, _ := json.MarshalIndent(latest.Findings, "", "  ")
		t.Fatalf("after the packet and the terms, the pre-check still finds %v\n%s", left, b)
	}
}
