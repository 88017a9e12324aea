package web

// The bid form's described candidate: a native manifest built from form
// fields, for vendors without a manifest file, and the bid's price. Both go
// through the API's path (submit, revise) like the uploaded files do; only
// reading the fields and putting errors back next to them is the form's.

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/tender"
	"github.com/modeltender/modeltender/policies"
)

const (
	// describedSource names the described candidate among a bid form's sources.
	describedSource = "described candidate"
	// describedSection is the error key of the described candidate as a
	// whole, for an error no single field holds.
	describedSection = "mf"
)

// The described candidate's input names are its manifest paths with "_"
// for ".", prefixed "mf_"; a component's row is its index in
// domain.MOFComponents and an evidence row is its kind.
func componentField(row int, part string) string {
	return fmt.Sprintf("mf_components_%d_%s", row, part)
}
func evidenceField(kind, part string) string { return "mf_evidence_" + kind + "_" + part }

var (
	componentParts = []string{"included", "license", "location"}
	evidenceParts  = []string{"title", "location", "date", "scope"}
)

// describedFields are the names of every input of the described candidate.
var describedFields = func() []string {
	names := []string{"mf_name", "mf_version", "mf_producer", "mf_description",
		"mf_weights_license", "mf_weights_location", "mf_weights_format", "mf_weights_digest",
		"mf_deployment_on_premises", "mf_deployment_weights_exportable", "mf_data_use_trains_on_agency_data"}
	for row := range domain.MOFComponents {
		for _, part := range componentParts {
			names = append(names, componentField(row, part))
		}
	}
	for _, kind := range domain.EvidenceKinds {
		for _, part := range evidenceParts {
			names = append(names, evidenceField(kind, part))
		}
	}
	return names
}()

// priceFields are the price's inputs; the currency starts as USD.
var (
	priceFields     = []string{"price_amount", "price_currency"}
	freshBidValues  = map[string]string{"price_currency": "USD"}
	trainsOnAnswers = map[string]bool{"yes": true, "no": false}
)

// readBidValues reads the described candidate's and the price's inputs as typed.
func readBidValues(c echo.Context) map[string]string {
	values := map[string]string{}
	for _, name := range slices.Concat(describedFields, priceFields, evidenceInputs) {
		if v := strings.TrimSpace(c.FormValue(name)); v != "" {
			values[name] = v
		}
	}
	return values
}

// evidenceInputs are the bid form's evidence item, given beside its
// uploaded and pasted candidates: the evidence page's inputs (evidenceFields)
// prefixed "evidence_".
var evidenceInputs = func() []string {
	names := make([]string, len(evidenceFields))
	for i, f := range evidenceFields {
		names[i] = evidenceItemPrefix + f
	}
	return names
}()

const evidenceItemPrefix = "evidence_"

// evidenceItem is the bid form's evidence item, nil when every input is blank.
func (f bidForm) evidenceItem() []domain.EvidenceItem {
	v := func(name string) string { return f.Values[evidenceItemPrefix+name] }
	e := domain.EvidenceItem{Kind: v("kind"), Title: v("title"), Date: v("date"), Location: v("location"), Scope: v("scope"), Summary: v("summary")}
	if e == (domain.EvidenceItem{}) {
		return nil
	}
	return []domain.EvidenceItem{e}
}

// EvidenceItem is the bid form's evidence item for the shared
// "evidence-item" template, as typed.
func (f bidForm) EvidenceItem() evidenceItemView {
	return evidenceItemView{Prefix: evidenceItemPrefix, Optional: true, Kinds: domain.EvidenceKinds,
		Kind: f.Value(evidenceItemPrefix + "kind"), Values: f.values(), Errors: f.Errors}
}

// describedRows says which row of the form each component and evidence item
// of the described manifest came from, so that an error on components[i] or
// evidence[i] goes back to its row.
type describedRows struct {
	components []int    // index in domain.MOFComponents
	evidence   []string // evidence kind
}

// describedManifest is the native manifest the form's fields describe. ok is
// false when every field is blank: then the bid has no described candidate.
// A component or evidence row counts when any of its fields is filled.
func describedManifest(v map[string]string) (m domain.Manifest, rows describedRows, ok bool) {
	if !slices.ContainsFunc(describedFields, func(name string) bool { return v[name] != "" }) {
		return m, rows, false
	}
	m = domain.Manifest{SchemaVersion: "1", Name: v["mf_name"], Version: v["mf_version"], Producer: v["mf_producer"],
		Description: v["mf_description"],
		Weights: domain.Weights{License: v["mf_weights_license"], Location: v["mf_weights_location"],
			Format: v["mf_weights_format"], Digest: v["mf_weights_digest"]},
		Deployment: domain.Deployment{OnPremises: v["mf_deployment_on_premises"] != "",
			WeightsExportable: v["mf_deployment_weights_exportable"] != ""},
	}
	for row, name := range domain.MOFComponents {
		c := domain.Component{Name: name, Included: v[componentField(row, "included")] != "",
			License: v[componentField(row, "license")], Location: v[componentField(row, "location")]}
		if c.Included || c.License != "" || c.Location != "" {
			m.Components = append(m.Components, c)
			rows.components = append(rows.components, row)
		}
	}
	for _, kind := range domain.EvidenceKinds {
		e := domain.EvidenceItem{Kind: kind, Title: v[evidenceField(kind, "title")], Location: v[evidenceField(kind, "location")],
			Date: v[evidenceField(kind, "date")], Scope: v[evidenceField(kind, "scope")]}
		if e != (domain.EvidenceItem{Kind: kind}) {
			m.Evidence = append(m.Evidence, e)
			rows.evidence = append(rows.evidence, kind)
		}
	}
	if trains, said := trainsOnAnswers[v["mf_data_use_trains_on_agency_data"]]; said {
		m.DataUse.TrainsOnAgencyData = &trains
	}
	return m, rows, true
}

// addDescribed adds the form's described candidate, when any of its fields
// is filled, to the bid as a native manifest, after the files and the paste.
func (f *bidForm) addDescribed(req *tender.BidSubmission, sources []string) []string {
	m, rows, ok := describedManifest(f.Values)
	if !ok {
		return sources
	}
	raw, _ := json.Marshal(m) // strings, bools and slices of them: cannot fail
	req.Candidates = append(req.Candidates, raw)
	f.described = rows
	return append(sources, describedSource)
}

var describedIndex = regexp.MustCompile(`^(components|evidence)\[(\d+)\]`)

// field is the input that holds an error at path inside the described
// manifest (e.g. weights.license, components[2].license), or the section
// when no input does.
func (r describedRows) field(path string) string {
	if m := describedIndex.FindStringSubmatch(path); m != nil {
		i, _ := strconv.Atoi(m[2])
		var row string
		switch {
		case m[1] == "components" && i < len(r.components):
			row = strconv.Itoa(r.components[i])
		case m[1] == "evidence" && i < len(r.evidence):
			row = r.evidence[i]
		default:
			return describedSection
		}
		path = m[1] + "." + row + strings.TrimPrefix(path, m[0])
	}
	if name := "mf_" + strings.ReplaceAll(path, ".", "_"); slices.Contains(describedFields, name) {
		return name
	}
	return describedSection
}

// bidPrice reads the price inputs: none when no amount is typed. An amount
// that is not a number is refused here, since the request cannot carry it;
// the rest is validPrice's to judge.
func bidPrice(v map[string]string) (*domain.Money, []domain.FieldError) {
	typed := v["price_amount"]
	if typed == "" {
		return nil, nil
	}
	amount, err := strconv.ParseFloat(strings.ReplaceAll(typed, ",", ""), 64)
	if err != nil || math.IsInf(amount, 0) || math.IsNaN(amount) {
		return nil, []domain.FieldError{{Field: "price.amount", Message: fmt.Sprintf("%q is not an amount: give it in figures, e.g. 120000 or 99.50", typed)}}
	}
	return &domain.Money{Amount: amount, Currency: strings.ToUpper(v["price_currency"])}, nil
}

// checkUnread refuses what the form could not put in the request (a price
// that is not a number, evidence with nothing to go beside) before the bid
// is sent, with the candidates' problems beside it, so the vendor fixes
// everything in one go; the service checks the rest. It is nil when the
// form was read whole.
func checkUnread(req tender.BidSubmission, f bidForm) error {
	if len(f.unread) == 0 {
		return nil
	}
	var rest []domain.FieldError
	if _, err := tender.ParseBid(req); err != nil {
		rest = asDomainError(err).Fields
	}
	return unreadable("the bid was not accepted: each problem is shown by its field; fix them and submit again", f.unread, rest)
}

// priceValues are a price as the form shows it.
func priceValues(p *domain.Money) map[string]string {
	if p == nil {
		return nil
	}
	return map[string]string{"price_amount": strconv.FormatFloat(p.Amount, 'f', -1, 64), "price_currency": p.Currency}
}

// ---- what the template asks of the form --------------------------------------

func (f bidForm) values() map[string]string {
	if f.Values == nil {
		return freshBidValues
	}
	return f.Values
}

// Field is one input of the described candidate or the price, for the shared "input" template.
func (f bidForm) Field(kind, name, label, hint string) fieldView {
	return newFieldView(kind, actionForm{Values: f.values(), Errors: f.Errors}, name, "", label, hint)
}

// Value is an input's value as typed.
func (f bidForm) Value(name string) string { return f.values()[name] }

// Err is the error next to an input, or nil.
func (f bidForm) Err(name string) *fieldError {
	if fe, ok := f.Errors[name]; ok {
		return &fe
	}
	return nil
}

// Filled reports that an input whose name starts with prefix has a value
// or an error, so the part of the form that holds it opens.
func (f bidForm) Filled(prefix string) bool {
	for name := range f.Values {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	for name := range f.Errors {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// componentInput is one Model Openness Framework component's row.
type componentInput struct {
	Name              string
	Included          fieldView // a checkbox labelled with the name: Value is "on" when ticked
	License, Location fieldView
}

// Components are the 17 component rows, as typed.
func (f bidForm) Components() []componentInput {
	out := make([]componentInput, len(domain.MOFComponents))
	for row, name := range domain.MOFComponents {
		out[row] = componentInput{Name: name,
			Included: f.Field("checkbox", componentField(row, "included"), name, ""),
			License:  f.Field("text", componentField(row, "license"), name+": license (SPDX expression)", ""),
			Location: f.Field("text", componentField(row, "location"), name+": location", "")}
	}
	return out
}

// evidenceInput is one kind of evidence, with the title and the advice the
// policies' requirement table gives it.
type evidenceInput struct {
	Kind, Title, Advice string
	Open                bool
	Fields              []fieldView
}

// Evidence are the evidence rows, one per kind, as typed.
func (f bidForm) Evidence() []evidenceInput {
	guide, _ := policies.EvidenceGuide() // without it each row is titled by its kind
	out := make([]evidenceInput, len(domain.EvidenceKinds))
	for i, kind := range domain.EvidenceKinds {
		g := guide[kind]
		title := g.Title
		if title == "" {
			title = kind
		}
		out[i] = evidenceInput{Kind: kind, Title: title, Advice: g.Fix, Open: f.Filled(evidenceField(kind, "")),
			Fields: []fieldView{
				f.Field("text", evidenceField(kind, "title"), "Title", "The document's own title."),
				f.Field("text", evidenceField(kind, "location"), "Location", "A URL or document reference the agency can open."),
				f.Field("text", evidenceField(kind, "date"), "Date produced", "YYYY-MM-DD, e.g. 2025-03-31; evidence too old for the solicitation counts as missing."),
				f.Field("textarea", evidenceField(kind, "scope"), "Scope", "What it covers: the model version, and for a red-team report the risks, languages and attack methods tested."),
			}}
	}
	return out
}
