package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/tender"
)

// postBidForm reads a posted bid form as the submit and revise handlers do.
func postBidForm(t *testing.T, form url.Values) (tender.BidSubmission, []string, bidForm) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/solicitations/sol/bids", strings.NewReader(form.Encode()))
	r.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
	req, sources, f, err := bidUploads(echo.New().NewContext(r, httptest.NewRecorder()), nil)
	if err != nil {
		t.Fatal(err)
	}
	return req, sources, f
}

func TestDescribedCandidateBecomesANativeManifest(t *testing.T) {
	req, sources, f := postBidForm(t, url.Values{
		"mf_name": {" granite-form "}, "mf_version": {"3.1"}, "mf_producer": {"IBM"}, "mf_description": {"A small model."},
		"mf_weights_license": {"Apache-2.0"}, "mf_weights_location": {"https://huggingface.co/ibm-granite"},
		"mf_weights_format": {"safetensors"}, "mf_weights_digest": {"sha256:" + strings.Repeat("ab", 32)},
		// Row 2 released with a license; row 6 only located; row 9 left blank.
		"mf_components_2_included": {"on"}, "mf_components_2_license": {"Apache-2.0"},
		"mf_components_6_location": {"https://github.com/example/train"}, "mf_components_9_license": {"  "},
		"mf_evidence_red-team-report_date": {"2025-03-31"}, "mf_evidence_red-team-report_scope": {"jailbreaks, English and Spanish"},
		"mf_evidence_model-card_location": {"https://example.test/card"},
		"mf_deployment_on_premises":       {"on"}, "mf_data_use_trains_on_agency_data": {"no"},
		"price_amount": {"120,000"}, "price_currency": {"usd"},
	})
	if want := []string{describedSource}; !reflect.DeepEqual(sources, want) {
		t.Fatalf("sources = %q, want %q", sources, want)
	}
	parsed, err := tender.ParseBid(req)
	if err != nil {
		t.Fatalf("the described candidate does not pass the API's checks: %v", err)
	}
	no := false
	want := domain.Manifest{SchemaVersion: "1", Name: "granite-form", Version: "3.1", Producer: "IBM", Description: "A small model.",
		Weights: domain.Weights{License: "Apache-2.0", Location: "https://huggingface.co/ibm-granite", Format: "safetensors",
			Digest: "sha256:" + strings.Repeat("ab", 32)},
		Components: []domain.Component{
			{Name: "Model architecture", Included: true, License: "Apache-2.0"},
			{Name: "Training code", Location: "https://github.com/example/train"},
		},
		Evidence: []domain.EvidenceItem{ // in the order of domain.EvidenceKinds
			{Kind: "model-card", Location: "https://example.test/card"},
			{Kind: "red-team-report", Date: "2025-03-31", Scope: "jailbreaks, English and Spanish"},
		},
		Deployment: domain.Deployment{OnPremises: true},
		DataUse:    domain.DataUse{TrainsOnAgencyData: &no},
	}
	if got := parsed[0].Manifest; !reflect.DeepEqual(got, want) {
		t.Errorf("manifest =\n%+v\nwant\n%+v", got, want)
	}
	if want := (describedRows{components: []int{2, 6}, evidence: []string{"model-card", "red-team-report"}}); !reflect.DeepEqual(f.described, want) {
		t.Errorf("rows = %+v, want %+v", f.described, want)
	}
	if req.Price == nil || *req.Price != (domain.Money{Amount: 120000, Currency: "USD"}) {
		t.Errorf("price = %+v, want 120000 USD", req.Price)
	}
}

func TestDescribedCandidateOnlyWhenAFieldIsFilled(t *testing.T) {
	// The radio's "not stated" and an untouched currency are no description.
	req, sources, f := postBidForm(t, url.Values{"mf_data_use_trains_on_agency_data": {""}, "price_currency": {"USD"},
		"manifest_json": {`{"schema_version": "1", "name": "granite", "weights": {"license": "Apache-2.0"}}`}})
	if len(req.Candidates) != 1 || !reflect.DeepEqual(sources, []string{"pasted manifest"}) || req.Price != nil {
		t.Fatalf("a blank form added a candidate or price: %d candidates from %q, price %+v", len(req.Candidates), sources, req.Price)
	}
	if f.Filled("mf") {
		t.Error("a blank description counts as filled")
	}
	// Any one field is a description, and the files and paste come first.
	for _, v := range []url.Values{{"mf_producer": {"IBM"}}, {"mf_components_16_included": {"on"}}, {"mf_data_use_trains_on_agency_data": {"yes"}}} {
		v.Set("manifest_json", `{"schema_version": "1", "name": "granite", "weights": {"license": "Apache-2.0"}}`)
		req, sources, _ := postBidForm(t, v)
		if len(req.Candidates) != 2 || sources[1] != describedSource {
			t.Errorf("%v: %d candidates from %q, want the paste then the described one", v, len(req.Candidates), sources)
		}
	}
}

func TestDescribedCandidateErrorsGoNextToTheirFields(t *testing.T) {
	refuse := func(form url.Values) fieldErrors {
		t.Helper()
		req, sources, f := postBidForm(t, form)
		err := checkUnread(req, f)
		if err == nil {
			_, err = tender.ParseBid(req)
		}
		fields, _, err := formErrors(err)
		if err != nil || len(fields) == 0 {
			t.Fatalf("form %v was not refused with field errors: %v", form, err)
		}
		return bidFieldErrors(fields, sources, f.described)
	}
	// Schema problems, with a broken paste before the described candidate.
	got := refuse(url.Values{"manifest_json": {`{"schema_version": "1", "name": 7}`},
		"mf_weights_license": {"Apache-2.0"}, "mf_weights_digest": {"sha256:xyz"},
		"mf_components_2_included": {"on"}, "mf_components_9_location": {strings.Repeat("x", 2001)},
		"mf_evidence_red-team-report_date": {"31/03/2025"}})
	for field, part := range map[string]string{
		"manifest_json":                    "pasted manifest, field name",
		"mf_name":                          "may not be empty",
		"mf_weights_digest":                "sha256",
		"mf_components_9_location":         "at most 2000",
		"mf_evidence_red-team-report_date": "YYYY-MM-DD",
	} {
		if !strings.Contains(got[field].Message, part) || got[field].ID != field {
			t.Errorf("error at %s = %+v, want one mentioning %q; all: %+v", field, got[field], part, got)
		}
	}
	// License expressions, checked once the schema is met; and the price.
	got = refuse(url.Values{"mf_name": {"granite-form"}, "mf_weights_license": {"Apache-2.0 OR"},
		"mf_components_2_included": {"on"}, "mf_components_4_license": {"MIT AND"}, "mf_components_5_license": {"MIT"},
		"price_amount": {"-5"}, "price_currency": {"USD"}})
	for _, field := range []string{"mf_weights_license", "mf_components_4_license", "price"} {
		if got[field].Message == "" {
			t.Errorf("no error at %s; all: %+v", field, got)
		}
	}
	if len(got) != 3 {
		t.Errorf("errors at %d fields, want 3: %+v", len(got), got)
	}
	// An amount that is not a number is the amount's error.
	got = refuse(url.Values{"mf_name": {"granite-form"}, "mf_weights_license": {"MIT"}, "price_amount": {"lots"}})
	if !strings.Contains(got["price_amount"].Message, `"lots" is not an amount`) || len(got) != 1 {
		t.Errorf("errors = %+v, want only the amount's", got)
	}
}

func TestDescribedFieldOfAnErrorPath(t *testing.T) {
	rows := describedRows{components: []int{3, 11}, evidence: []string{"data-card"}}
	for path, want := range map[string]string{
		"name":                    "mf_name",
		"weights.license":         "mf_weights_license",
		"components[1].license":   "mf_components_11_license",
		"components[0].included":  "mf_components_3_included",
		"evidence[0].scope":       "mf_evidence_data-card_scope",
		"evidence[1].date":        describedSection, // no such row
		"components[0]":           describedSection, // the row, not one input
		"weights":                 describedSection,
		"":                        describedSection,
		"deployment.on_premises":  "mf_deployment_on_premises",
		"data_use.trains_on_data": describedSection,
	} {
		if got := rows.field(path); got != want {
			t.Errorf("field(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestBidFormRendersWhatWasTyped(t *testing.T) {
	render := func(f bidForm) string {
		t.Helper()
		var buf bytes.Buffer
		if err := parsePages()["solicitation"].ExecuteTemplate(&buf, "bid-manifests", f); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	fresh := render(bidForm{})
	for _, want := range []string{`id="price_currency" name="price_currency" type="text" value="USD"`,
		`value="" checked><label class="usa-radio__label" for="mf_data_use_trains_on_agency_data-unstated"`,
		`<summary class="text-bold">Or describe a candidate in a form</summary>`} {
		if !strings.Contains(fresh, want) {
			t.Errorf("the fresh form lacks %s", want)
		}
	}
	if strings.Contains(fresh, " open>") || strings.Contains(fresh, "checked><label class=\"usa-checkbox") {
		t.Error("the fresh form has an open section or a ticked box")
	}

	refused := render(bidForm{
		Values: map[string]string{"mf_name": "granite-form", "mf_weights_license": "Apache-2.0 OR",
			"mf_components_4_included": "on", "mf_components_4_license": "MIT",
			"mf_evidence_red-team-report_scope": "jailbreaks <and> more", "mf_deployment_weights_exportable": "on",
			"mf_data_use_trains_on_agency_data": "no", "price_amount": "12x", "price_currency": ""},
		Errors: fieldErrors{"mf_weights_license": {ID: "mf_weights_license", Message: "expected a license after OR"},
			"price_amount": {ID: "price_amount", Message: "not an amount"}},
	})
	for _, want := range []string{
		`id="mf_name" name="mf_name" type="text" value="granite-form"`,
		`<span class="usa-error-message" id="mf_weights_license-error" role="alert">expected a license after OR</span>`,
		`class="usa-input usa-input--error" id="mf_weights_license" name="mf_weights_license" type="text" value="Apache-2.0 OR" aria-required="true" aria-describedby="mf_weights_license-hint mf_weights_license-error"`,
		`id="mf_components_4_included" name="mf_components_4_included" type="checkbox" value="on" checked>`,
		`id="mf_components_4_license" name="mf_components_4_license" value="MIT"`,
		`<label class="usa-sr-only" for="mf_components_4_license">Model parameters (Intermediate): license (SPDX expression)</label>`,
		`name="mf_evidence_red-team-report_scope" aria-describedby="mf_evidence_red-team-report_scope-hint">jailbreaks &lt;and&gt; more</textarea>`,
		`<summary>Red-team report</summary>`,
		`id="mf_deployment_weights_exportable" name="mf_deployment_weights_exportable" type="checkbox" value="on" checked>`,
		`value="no" checked>`,
		`id="price_amount" name="price_amount" type="text" value="12x"`,
		`id="price_currency" name="price_currency" type="text" value=""`,
	} {
		if !strings.Contains(refused, want) {
			t.Errorf("the refused form lacks %s", want)
		}
	}
	// The description, its components and the red-team evidence open; the
	// other kinds of evidence stay closed.
	if n := strings.Count(refused, " open>"); n != 4 {
		t.Errorf("%d open sections, want 4 (the form, components, evidence, red-team report)", n)
	}
	if strings.Contains(refused, `value="on" checked><label class="usa-checkbox__label" for="mf_deployment_on_premises"`) {
		t.Error("an unticked box came back ticked")
	}
}

func TestPriceValuesRoundTrip(t *testing.T) {
	p := &domain.Money{Amount: 99.5, Currency: "EUR"}
	got, problems := bidPrice(priceValues(p))
	if problems != nil || *got != *p {
		t.Errorf("bidPrice(priceValues(%+v)) = %+v, %v", p, got, problems)
	}
	if priceValues(nil) != nil {
		t.Error("no price should leave the form fresh")
	}
	for _, typed := range []string{"NaN", "Inf", "1e400", "twelve"} {
		if _, problems := bidPrice(map[string]string{"price_amount": typed, "price_currency": "USD"}); len(problems) != 1 {
			t.Errorf("amount %q was not refused", typed)
		}
	}
}
