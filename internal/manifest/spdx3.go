package manifest

// SPDX 3.0.1 documents are read by the small typed reader below rather than
// with a library: the SPDX Go library's 3.0 model (spdx/tools-golang
// v0.6.0-rc4, a release candidate) rejects a whole document for one value
// out of profile (spdx/spdx-examples ai/example02 writes ai_energyQuantity
// as a string), and intake must read what vendors ship and report the
// gaps. The reader takes the compact JSON-LD every SPDX 3 serialization
// uses (one @graph of elements keyed by spdxId, relationships as elements)
// and reads only what maps into a manifest.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/inputguard"
	"github.com/modeltender/modeltender/internal/licensing"
)

// Rule ids of the findings on SPDX 3 documents.
const (
	RuleSPDXLicense    = "intake.spdx-license"
	RuleSPDXSafetyRisk = "intake.spdx-safety-risk"
	RuleSPDXSensitive  = "intake.spdx-sensitive-data"
	RuleSPDXProfile    = "intake.spdx-profile"
)

// SafetyAssessment is what an AI package says of its own risk: the lead
// compares SafetyRiskAssessment with the solicitation's risk tier.
type SafetyAssessment struct {
	// SafetyRiskAssessment is the EU AI Act style level the package
	// declares: serious, high, medium or low; empty when it says none.
	SafetyRiskAssessment string `json:"safety_risk_assessment,omitempty"`
	// SensitivePersonalInformation is yes, no or noAssertion, for the model
	// and, when any of its datasets says yes, "yes".
	SensitivePersonalInformation string `json:"sensitive_personal_information,omitempty"`
	AutonomyType                 string `json:"autonomy_type,omitempty"`
}

// spdxElement is one element of the @graph, kept as decoded JSON.
type spdxElement struct {
	index  int
	id     string
	kind   string // type without profile prefix, lower case: aipackage, datasetpackage, relationship, ...
	fields map[string]any
}

type spdxDoc struct {
	elements []*spdxElement
	byID     map[string]*spdxElement
	// rels are relationships by type, each from -> to.
	rels      map[string][]spdxRel
	container map[string]string // element id -> the element that contains it
}

type spdxRel struct {
	from string
	to   []string
	at   int
}

// ParseSPDX3 reads an SPDX 3.0.1 JSON-LD document and maps every
// ai_AIPackage into a candidate: its license (concluded, else declared,
// with a finding), the datasets it was trained and tested on as the MOF
// Datasets and Evaluation data components with their licenses, its
// metrics as evaluation results, and its limitations, safety risk
// assessment, sensitive data, autonomy, standards and energy use as
// evidence and findings. Profile gaps are findings, never errors.
func ParseSPDX3(data []byte, path string) ([]Candidate, error) {
	var top struct {
		Context any               `json:"@context"`
		Graph   []json.RawMessage `json:"@graph"`
	}
	if err := json.Unmarshal(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), &top); err != nil {
		return nil, domain.InvalidFields("the SPDX document is not valid JSON",
			[]domain.FieldError{{Field: orRoot(path), Message: inputguard.DescribeJSONError(data, err)}})
	}
	if len(top.Graph) == 0 {
		return nil, domain.InvalidFields("the SPDX document has no elements", []domain.FieldError{{Field: fieldPath(path, []string{"@graph"}),
			Message: "an SPDX 3 JSON-LD document lists its elements in @graph; give the document as an SPDX 3.0.1 serialization (@context https://spdx.org/rdf/3.0.1/spdx-context.jsonld)"}})
	}
	doc := readSPDX(top.Graph)
	var pkgs, datasets []*spdxElement
	for _, e := range doc.elements {
		switch e.kind {
		case "aipackage":
			pkgs = append(pkgs, e)
		case "datasetpackage":
			datasets = append(datasets, e)
		}
	}
	if len(pkgs) == 0 {
		msg := "no element has type ai_AIPackage: describe the model as an ai_AIPackage (AI profile) with its license relationships"
		if len(datasets) > 0 {
			msg = fmt.Sprintf("the document describes %d dataset(s) (%s) but no model: add the model as an ai_AIPackage, linked to the datasets by trainedOn/testedOn relationships",
				len(datasets), strings.Join(names(datasets), ", "))
		}
		return nil, domain.InvalidFields("the SPDX document describes no AI model", []domain.FieldError{{Field: fieldPath(path, []string{"@graph"}), Message: msg}})
	}
	out := make([]Candidate, 0, len(pkgs))
	for _, p := range pkgs {
		out = append(out, doc.candidate(p))
	}
	return out, nil
}

func readSPDX(graph []json.RawMessage) *spdxDoc {
	d := &spdxDoc{byID: map[string]*spdxElement{}, rels: map[string][]spdxRel{}, container: map[string]string{}}
	for i, raw := range graph {
		var fields map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&fields) != nil {
			continue // a bare IRI or a value that is not an object names no element
		}
		e := &spdxElement{index: i, fields: fields, id: firstNonEmpty(str(fields["spdxId"]), str(fields["@id"])),
			kind: spdxKind(firstNonEmpty(str(fields["type"]), str(fields["@type"])))}
		d.elements = append(d.elements, e)
		if e.id != "" {
			d.byID[e.id] = e
		}
		if strings.HasSuffix(e.kind, "relationship") {
			r := spdxRel{from: ref(fields["from"]), to: refs(fields["to"]), at: i}
			typ := str(fields["relationshipType"])
			d.rels[typ] = append(d.rels[typ], r)
			if typ == "contains" {
				for _, t := range r.to {
					d.container[t] = r.from
				}
			}
		}
	}
	return d
}

// spdxKind is a type name without namespace or profile prefix, lower case,
// so "ai_AIPackage", "AI/AIPackage" and its full IRI read alike.
func spdxKind(t string) string {
	t = t[strings.LastIndex(t, "/")+1:]
	if i := strings.Index(t, "_"); i >= 0 {
		t = t[i+1:]
	}
	return strings.ToLower(t)
}

// ref reads a reference written as an IRI or as an object with spdxId.
func ref(v any) string {
	if m, ok := v.(map[string]any); ok {
		return firstNonEmpty(str(m["spdxId"]), str(m["@id"]))
	}
	return str(v)
}

func refs(v any) []string {
	if list, ok := v.([]any); ok {
		var out []string
		for _, item := range list {
			if r := ref(item); r != "" {
				out = append(out, r)
			}
		}
		return out
	}
	if r := ref(v); r != "" {
		return []string{r}
	}
	return nil
}

func names(es []*spdxElement) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = firstNonEmpty(str(e.fields["name"]), e.id)
	}
	return out
}

// within reports whether id is el itself or contained in it, through
// contains relationships (a model file of the package, a data file of the
// dataset).
func (d *spdxDoc) within(id, el string) bool {
	for seen := 0; id != "" && seen < 64; seen++ {
		if id == el {
			return true
		}
		id = d.container[id]
	}
	return false
}

// enclosing returns the element of the kind that id is or that contains it.
func (d *spdxDoc) enclosing(id, kind string) *spdxElement {
	for seen := 0; id != "" && seen < 64; seen++ {
		if e := d.byID[id]; e != nil && e.kind == kind {
			return e
		}
		id = d.container[id]
	}
	return nil
}

// related returns the targets of relationships of typ from el, and
// whether any came from an element inside el rather than el itself (as
// spdx-examples ai/example02 relates its model file, not its package).
func (d *spdxDoc) related(typ, el string) (to []string, indirect bool) {
	for _, r := range d.rels[typ] {
		if r.from == el {
			to = append(to, r.to...)
		} else if d.within(r.from, el) {
			to = append(to, r.to...)
			indirect = true
		}
	}
	return to, indirect
}

// license is el's license expression and the text of a custom license:
// concluded if the document concludes one, else declared (flagged).
func (d *spdxDoc) license(el *spdxElement, c *Candidate, component string) (expr, text string) {
	concluded, _ := d.related("hasConcludedLicense", el.id)
	declared, _ := d.related("hasDeclaredLicense", el.id)
	name := firstNonEmpty(str(el.fields["name"]), el.id)
	switch {
	case len(concluded) > 0:
		return d.licenseExpr(concluded)
	case len(declared) > 0:
		expr, text = d.licenseExpr(declared)
		c.Findings = append(c.Findings, domain.Finding{Rule: RuleSPDXLicense, Severity: domain.SeverityWarn,
			Message:  fmt.Sprintf("%s: %s declares the license %s but the document concludes none, so nobody has checked that the declared license is the one that applies", component, name, expr),
			Evidence: domain.Evidence{Component: component, Clause: "hasDeclaredLicense", Quote: expr},
			Source:   "SPDX 3.0.1 Core/SimpleLicensing: hasDeclaredLicense, hasConcludedLicense",
			Fix:      fmt.Sprintf("Add a hasConcludedLicense relationship from %s to the license you concluded after checking it (it may equal the declared one).", name)})
		return expr, text
	}
	return "", ""
}

// licenseExpr joins license elements into one expression (all apply).
func (d *spdxDoc) licenseExpr(ids []string) (string, string) {
	var terms []string
	text := ""
	for _, id := range ids {
		e := d.byID[id]
		switch {
		case e == nil:
			// A listed license may be referenced by its IRI alone.
			terms = append(terms, strings.TrimPrefix(strings.TrimPrefix(id, "https://spdx.org/licenses/"), "http://spdx.org/licenses/"))
		case e.kind == "licenseexpression":
			terms = append(terms, str(e.fields["simplelicensing_licenseExpression"]))
		case e.kind == "customlicense" || e.kind == "listedlicense":
			id := strings.TrimPrefix(e.id, "https://spdx.org/licenses/")
			if e.kind == "customlicense" {
				id = "LicenseRef-" + refID(firstNonEmpty(str(e.fields["name"]), e.id[strings.LastIndexAny(e.id, "/#")+1:]))
			}
			terms = append(terms, id)
			text = firstNonEmpty(text, str(e.fields["simplelicensing_licenseText"]))
		}
	}
	terms = slices.DeleteFunc(terms, func(s string) bool { return s == "" })
	if len(terms) != 1 {
		text = "" // a text belongs to one license of several
	}
	return joinAll(terms), text
}

// aiPackageKeys are the properties candidate maps or shows as evidence.
var aiPackageKeys = map[string]bool{"type": true, "@type": true, "spdxId": true, "@id": true, "creationInfo": true, "name": true,
	"summary": true, "description": true, "comment": true, "software_packageVersion": true, "suppliedBy": true, "originatedBy": true,
	"software_downloadLocation": true, "verifiedUsing": true, "software_primaryPurpose": true, "releaseTime": true,
	"ai_limitation": true, "ai_safetyRiskAssessment": true, "ai_useSensitivePersonalInformation": true, "ai_autonomyType": true,
	"ai_standardCompliance": true, "ai_energyConsumption": true, "ai_metric": true, "ai_informationAboutApplication": true}

func (d *spdxDoc) candidate(p *spdxElement) Candidate {
	c := Candidate{Format: FormatSPDX3, Unmapped: []Unmapped{}, Findings: []domain.Finding{}, Assessment: &SafetyAssessment{}}
	f := p.fields
	m := &c.Manifest
	m.SchemaVersion = "1"
	m.Name = firstNonEmpty(str(f["name"]), p.id)
	m.Version = str(f["software_packageVersion"])
	m.Description = truncate(firstNonEmpty(str(f["description"]), str(f["summary"]), str(f["comment"])), 4000)
	m.Producer = d.agentName(firstNonEmpty(ref(f["suppliedBy"]), firstNonEmpty(refs(f["originatedBy"])...)))
	m.Weights.Location = str(f["software_downloadLocation"])
	m.Deployment.WeightsExportable = m.Weights.Location != "" && !strings.EqualFold(m.Weights.Location, "NOASSERTION")
	m.Weights.Digest = sha256Of(f["verifiedUsing"])
	m.Weights.License, m.Weights.LicenseText = d.license(p, &c, licensing.WeightsComponent)
	if m.Weights.License == "" {
		c.Findings = append(c.Findings, domain.Finding{Rule: RuleSPDXLicense, Severity: domain.SeverityDeny,
			Message:  fmt.Sprintf("%s: the AI package %s has no hasConcludedLicense or hasDeclaredLicense relationship, so the agency has no right to use the model", licensing.WeightsComponent, m.Name),
			Evidence: domain.Evidence{Component: licensing.WeightsComponent, Clause: "hasConcludedLicense"},
			Source:   "SPDX 3.0.1 Core/SimpleLicensing: hasDeclaredLicense, hasConcludedLicense",
			Fix:      fmt.Sprintf("Add a Relationship of type hasConcludedLicense from %s to a simplelicensing_LicenseExpression (e.g. \"Apache-2.0\").", p.id)})
	}
	m.Components = append(m.Components, domain.Component{Name: licensing.WeightsComponent, License: m.Weights.License,
		LicenseText: m.Weights.LicenseText, Location: m.Weights.Location, Included: true})
	for _, rel := range []struct{ typ, component, evidence string }{{"trainedOn", "Datasets", "data-card"}, {"testedOn", "Evaluation data", ""}} {
		if comp, ok := d.dataComponent(p, rel.typ, rel.component, &c); ok {
			m.Components = append(m.Components, comp)
		}
	}
	d.aiEvidence(p, &c)
	d.checkProfile(p, &c)
	for _, k := range sortedKeys(f) {
		if !aiPackageKeys[k] {
			c.Unmapped = append(c.Unmapped, Unmapped{Field: fmt.Sprintf("@graph[%d].%s", p.index, k), Value: truncate(brief(f[k]), 200), Reason: "the manifest has no such field"})
		}
	}
	return c
}

func (d *spdxDoc) agentName(id string) string {
	if e := d.byID[id]; e != nil && str(e.fields["name"]) != "" {
		return str(e.fields["name"])
	}
	return id
}

func sha256Of(v any) string {
	list, _ := v.([]any)
	for _, item := range list {
		h, _ := item.(map[string]any)
		if strings.EqualFold(str(h["algorithm"]), "sha256") && len(str(h["hashValue"])) == 64 {
			return "sha256:" + strings.ToLower(str(h["hashValue"]))
		}
	}
	return ""
}

// dataComponent reads the datasets the package relates to with typ as one
// MOF component under all their licenses; a dataset without a license
// leaves the component unlicensed, as the data as a whole then is.
func (d *spdxDoc) dataComponent(p *spdxElement, typ, component string, c *Candidate) (domain.Component, bool) {
	targets, indirect := d.related(typ, p.id)
	var sets []*spdxElement
	loose := false
	for _, t := range targets {
		ds := d.enclosing(t, "datasetpackage")
		if ds == nil {
			continue
		}
		if ds.id != t {
			loose = true
		}
		if !slices.Contains(sets, ds) {
			sets = append(sets, ds)
		}
	}
	if indirect || loose {
		c.Findings = append(c.Findings, domain.Finding{Rule: RuleSPDXProfile, Severity: domain.SeverityInfo,
			Message:  fmt.Sprintf("%s: the %s relationships join files inside the AI package and datasets, not the packages themselves; read as the package's %s", component, typ, strings.ToLower(component)),
			Evidence: domain.Evidence{Component: component, Clause: typ},
			Source:   "SPDX 3.0.1 AI profile: trainedOn and testedOn relate an AIPackage to a DatasetPackage",
			Fix:      fmt.Sprintf("Relate the ai_AIPackage itself to each dataset_DatasetPackage with %s.", typ)})
	}
	if len(sets) == 0 {
		return domain.Component{}, false
	}
	var licenses []string
	unlicensed, text := "", ""
	for _, ds := range sets {
		expr, t := d.license(ds, c, component)
		name := firstNonEmpty(str(ds.fields["name"]), ds.id)
		switch {
		case expr == "" && unlicensed == "":
			unlicensed = name
		case expr != "" && !slices.Contains(licenses, expr):
			licenses = append(licenses, expr)
			text = firstNonEmpty(text, t)
		}
		d.datasetEvidence(ds, component, c)
	}
	comp := domain.Component{Name: component, Included: true, License: joinAll(licenses)}
	if len(sets) == 1 {
		comp.Location = str(sets[0].fields["software_downloadLocation"])
		comp.LicenseText = text
	}
	if unlicensed != "" {
		comp.License, comp.LicenseText = "", ""
		c.Unmapped = append(c.Unmapped, Unmapped{Field: component, Value: unlicensed,
			Reason: fmt.Sprintf("%q has no license relationship, so the %s component counts as unlicensed: give each dataset its license", unlicensed, component)})
	}
	return comp, true
}

// datasetEvidence shows what a dataset says of itself as a data card, and
// flags sensitive personal information.
func (d *spdxDoc) datasetEvidence(ds *spdxElement, component string, c *Candidate) {
	f := ds.fields
	name := firstNonEmpty(str(f["name"]), ds.id)
	var parts []string
	for _, k := range []struct{ key, label string }{{"dataset_dataCollectionProcess", "collection"}, {"dataset_intendedUse", "intended use"},
		{"dataset_knownBias", "known bias"}, {"dataset_confidentialityLevel", "confidentiality level"},
		{"dataset_hasSensitivePersonalInformation", "sensitive personal information"}, {"dataset_dataPreprocessing", "preprocessing"}} {
		if v := joinValues(f[k.key]); v != "" {
			parts = append(parts, k.label+": "+v)
		}
	}
	if len(parts) > 0 && !slices.ContainsFunc(c.Manifest.Evidence, func(e domain.EvidenceItem) bool { return e.Location == ds.id }) {
		c.Manifest.Evidence = append(c.Manifest.Evidence, domain.EvidenceItem{Kind: "data-card", Title: truncate("SPDX dataset "+name, 500),
			Location: truncate(ds.id, 2000), Summary: truncate(strings.Join(parts, " | "), 4000)})
	}
	if strings.EqualFold(str(f["dataset_hasSensitivePersonalInformation"]), "yes") {
		c.Assessment.SensitivePersonalInformation = "yes"
		c.Findings = append(c.Findings, sensitiveFinding(component, "dataset "+name, "dataset_hasSensitivePersonalInformation"))
	}
}

func sensitiveFinding(component, what, property string) domain.Finding {
	return domain.Finding{Rule: RuleSPDXSensitive, Severity: domain.SeverityWarn,
		Message:  fmt.Sprintf("%s: the %s holds or uses sensitive personal information (%s: yes)", component, what, property),
		Evidence: domain.Evidence{Component: component, Clause: property, Quote: "yes"},
		Source:   "SPDX 3.0.1 AI and Dataset profiles; OMB M-25-21 §4(b) (privacy in high-impact AI)",
		Fix:      "Vendor: describe the personal information involved, its legal basis and how it is protected. Reviewer: decide whether the agency's privacy requirements are met."}
}

// aiEvidence shows what the AI package says of itself: limitations, use,
// autonomy, standards and energy as model-card evidence, metrics as
// evaluation results; a high or serious risk assessment and sensitive
// personal information are findings.
func (d *spdxDoc) aiEvidence(p *spdxElement, c *Candidate) {
	f := p.fields
	m := &c.Manifest
	var parts []string
	for _, k := range []struct{ key, label string }{{"ai_limitation", "limitations"}, {"ai_informationAboutApplication", "application"},
		{"ai_autonomyType", "autonomy"}, {"ai_standardCompliance", "standards"}, {"ai_safetyRiskAssessment", "safety risk assessment"},
		{"ai_useSensitivePersonalInformation", "sensitive personal information"}} {
		if v := joinValues(f[k.key]); v != "" {
			parts = append(parts, k.label+": "+v)
		}
	}
	if e := energy(f["ai_energyConsumption"]); e != "" {
		parts = append(parts, "energy: "+e)
	}
	if len(parts) > 0 {
		m.Evidence = append(m.Evidence, domain.EvidenceItem{Kind: "model-card", Title: truncate("SPDX AI package "+m.Name, 500),
			Location: truncate(p.id, 2000), Summary: truncate(strings.Join(parts, " | "), 4000)})
	}
	if metrics := dictionary(f["ai_metric"]); metrics != "" {
		m.Evidence = append(m.Evidence, domain.EvidenceItem{Kind: "evaluation-results", Title: truncate("SPDX ai_metric of "+m.Name, 500),
			Location: truncate(p.id, 2000), Summary: truncate(metrics, 4000)})
	}
	risk := str(f["ai_safetyRiskAssessment"])
	c.Assessment.SafetyRiskAssessment = risk
	c.Assessment.AutonomyType = str(f["ai_autonomyType"])
	if c.Assessment.SensitivePersonalInformation == "" {
		c.Assessment.SensitivePersonalInformation = str(f["ai_useSensitivePersonalInformation"])
	}
	if risk == "high" || risk == "serious" {
		c.Findings = append(c.Findings, domain.Finding{Rule: RuleSPDXSafetyRisk, Severity: domain.SeverityWarn,
			Message:  fmt.Sprintf("%s: the vendor assesses the model's safety risk as %s (EU AI Act scale serious/high/medium/low)", licensing.WeightsComponent, risk),
			Evidence: domain.Evidence{Component: licensing.WeightsComponent, Clause: "ai_safetyRiskAssessment", Quote: risk},
			Source:   "SPDX 3.0.1 AI profile: safetyRiskAssessment",
			Fix:      "Officer: check that the solicitation's risk tier is high-impact for a model its vendor rates " + risk + " risk. Reviewer: require the high-impact evidence (impact assessment, independent red-team report, human oversight plan)."})
	}
	if strings.EqualFold(str(f["ai_useSensitivePersonalInformation"]), "yes") {
		c.Findings = append(c.Findings, sensitiveFinding(licensing.WeightsComponent, "model "+m.Name, "ai_useSensitivePersonalInformation"))
	}
}

// checkProfile reports what the AI profile requires of a package and this
// one lacks; the package is read all the same.
func (d *spdxDoc) checkProfile(p *spdxElement, c *Candidate) {
	var missing []string
	for _, k := range []string{"suppliedBy", "software_downloadLocation", "software_packageVersion", "software_primaryPurpose", "releaseTime"} {
		if _, ok := p.fields[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return
	}
	c.Findings = append(c.Findings, domain.Finding{Rule: RuleSPDXProfile, Severity: domain.SeverityInfo,
		Message:  fmt.Sprintf("the AI package %s lacks properties the SPDX 3.0.1 AI profile requires: %s", c.Manifest.Name, strings.Join(missing, ", ")),
		Evidence: domain.Evidence{Component: licensing.WeightsComponent, Quote: p.id},
		Source:   "SPDX 3.0.1 AI profile conformance (AIPackage)",
		Fix:      "Add " + strings.Join(missing, ", ") + " to the ai_AIPackage."})
}

// joinValues writes a string or a list of strings as one line.
func joinValues(v any) string {
	return strings.Join(strs(v), "; ")
}

// dictionary writes SPDX DictionaryEntry lists (ai_metric) as key=value pairs.
func dictionary(v any) string {
	list, _ := v.([]any)
	var out []string
	for _, item := range list {
		e, _ := item.(map[string]any)
		if k := str(e["key"]); k != "" {
			out = append(out, k+"="+truncate(str(e["value"]), 200))
		}
	}
	return strings.Join(out, "; ")
}

// energy writes ai_energyConsumption's stages with their quantities.
func energy(v any) string {
	e, _ := v.(map[string]any)
	var out []string
	for _, stage := range []struct{ key, label string }{{"ai_trainingEnergyConsumption", "training"},
		{"ai_finetuningEnergyConsumption", "fine-tuning"}, {"ai_inferenceEnergyConsumption", "inference"}} {
		list, _ := e[stage.key].([]any)
		for _, item := range list {
			q, _ := item.(map[string]any)
			out = append(out, fmt.Sprintf("%s %s %s", stage.label, brief(q["ai_energyQuantity"]), str(q["ai_energyUnit"])))
		}
	}
	return strings.Join(out, ", ")
}
