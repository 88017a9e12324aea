package manifest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/inputguard"
)

// ParseCycloneDX reads a CycloneDX 1.5-1.7 ML-BOM (JSON or XML) and maps its
// machine-learning-model component into a manifest: the model's licenses are
// the weights' ("Model parameters (Final)"), its modelCard is the model card
// evidence when it states considerations, performance metrics are the
// evaluation results, and data components are the datasets. The rest is reported as unmapped. As with
// ParseMOF, Parse holds the manifest to the native schema.
func ParseCycloneDX(data []byte, path string) (Candidate, error) {
	var bom cdx.BOM
	format, name := cdx.BOMFileFormatJSON, "JSON"
	check := inputguard.CheckJSONText
	if isXML(data) {
		format, name, check = cdx.BOMFileFormatXML, "XML", checkXML
	}
	if err := check(data, path); err != nil {
		return Candidate{}, withFields(err)
	}
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), format).Decode(&bom); err != nil {
		return Candidate{}, domain.InvalidFields("the CycloneDX BOM is not valid "+name,
			[]domain.FieldError{{Field: orRoot(path), Message: inputguard.DescribeJSONError(data, err)}})
	}
	models, datasets, others := sortComponents(&bom)
	if len(models) == 0 {
		return Candidate{}, domain.InvalidFields("the CycloneDX BOM describes no model",
			[]domain.FieldError{{Field: fieldPath(path, []string{"components"}), Message: `no component has type "machine-learning-model"; describe the model as such a component (in metadata.component or components) with its modelCard`}})
	}
	c := Candidate{Format: FormatCycloneDX, Unmapped: []Unmapped{}}
	model, extra := primaryModel(models)
	for _, x := range extra {
		c.Unmapped = append(c.Unmapped, Unmapped{Field: "components", Value: x.Name, Reason: "a manifest describes one model; only " + model.Name + " is read: submit each model as its own candidate"})
	}
	for _, name := range others {
		c.Unmapped = append(c.Unmapped, Unmapped{Field: "components", Value: name, Reason: "only machine-learning-model and data components map to MOF components"})
	}
	m := domain.Manifest{SchemaVersion: "1", Name: model.Name, Version: model.Version, Description: model.Description, Producer: producer(model)}
	m.Weights.License = licenseExpression(model.Licenses)
	if model.Hashes != nil {
		for _, h := range *model.Hashes {
			if h.Algorithm == cdx.HashAlgoSHA256 {
				m.Weights.Digest = "sha256:" + strings.ToLower(h.Value)
			}
		}
	}
	if model.ExternalReferences != nil {
		for i, ref := range *model.ExternalReferences {
			switch ref.Type {
			case cdx.ERTypeDistribution, cdx.ERTypeDistributionIntake:
				m.Weights.Location = ref.URL
				m.Deployment.WeightsExportable = true
			case cdx.ERTypeModelCard:
				m.Components = append(m.Components, domain.Component{Name: "Model card", Location: ref.URL, Included: true})
				m.Evidence = append(m.Evidence, domain.EvidenceItem{Kind: "model-card", Title: "Model card", Location: ref.URL})
			default:
				c.Unmapped = append(c.Unmapped, Unmapped{Field: fmt.Sprintf("externalReferences[%d]", i), Value: ref.URL,
					Reason: fmt.Sprintf("external reference type %q has no MOF component or evidence kind", ref.Type)})
			}
		}
	}
	m.Components = append([]domain.Component{{Name: "Model parameters (Final)", License: m.Weights.License, Location: m.Weights.Location, Included: true}}, m.Components...)
	if card := model.ModelCard; card != nil {
		m.Evidence = appendModelCard(m.Evidence, card, &c)
	}
	if d, ok := datasetsComponent(datasets, model.ModelCard, &c); ok {
		m.Components = append(m.Components, d)
	}
	c.Manifest = m
	c.source = cdxSource(m, model.Name)
	return c, nil
}

// cdxSource says where in the BOM a field of the manifest read from it came from.
func cdxSource(m domain.Manifest, model string) func(string) string {
	of := fmt.Sprintf("the machine-learning-model component %q", model)
	return func(field string) string {
		if i, part, ok := listItem(field, "components"); ok && i < len(m.Components) {
			switch m.Components[i].Name {
			case "Model parameters (Final)":
				field = "weights." + part
			case "Datasets":
				return "the licenses of the data components and of the datasets its modelCard describes"
			case "Model card":
				return "the URL of the model-card externalReference of " + of
			}
		}
		if i, part, ok := listItem(field, "evidence"); ok && i < len(m.Evidence) {
			switch e := m.Evidence[i]; {
			case e.Kind == "evaluation-results":
				return "the performance metrics of the modelCard of " + of
			case part == "summary":
				return "the considerations of the modelCard of " + of
			case part == "location":
				return "the URL of the model-card externalReference of " + of
			}
		}
		switch field {
		case "name", "version", "description":
			return "the " + field + " of " + of
		case "producer":
			return "the manufacturer, supplier, publisher or first author of " + of
		case "weights.license":
			return "the licenses of " + of + ": give it a license id or expression"
		case "weights.location":
			return "the URL of the distribution externalReference of " + of
		case "weights.digest":
			return "the SHA-256 hash of " + of
		}
		return ""
	}
}

// checkXML reads an XML document's elements, attributes and text within
// inputguard.Document and holds its text to the text rules (XML itself
// allows DEL and the C1 controls), naming each bad element by its path
// and line. Syntax errors are left to the BOM decoder.
func checkXML(data []byte, path string) error {
	b := inputguard.Document
	if len(data) > b.MaxBytes {
		return b.TooLarge(path, len(data))
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var fields []domain.FieldError
	var stack []string
	nodes := 0
	here := func() string { return fieldPath(path, stack) }
	note := func(at, text string) {
		if p := inputguard.TextProblem(text); p != "" && len(fields) < maxTextErrors {
			line, _ := dec.InputPos()
			fields = append(fields, domain.FieldError{Field: at, Message: fmt.Sprintf("line %d: %s", line, p)})
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			break // the end, or a syntax error the BOM decoder words
		}
		nodes++
		if nodes > b.MaxNodes {
			return b.TooManyNodes(here())
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			if len(stack) > b.MaxDepth {
				return b.TooDeep(here())
			}
			for _, a := range t.Attr {
				nodes++
				note(here()+"@"+a.Name.Local, a.Value)
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			note(here(), string(t))
		}
	}
	if len(fields) > 0 {
		return inputguard.InvalidText(fields)
	}
	return nil
}

// sortComponents walks the BOM's components, nested ones included, and
// sorts them into models, data and the names of everything else.
func sortComponents(bom *cdx.BOM) (models, data []cdx.Component, others []string) {
	var walk func(cdx.Component)
	walk = func(comp cdx.Component) {
		switch comp.Type {
		case cdx.ComponentTypeMachineLearningModel:
			models = append(models, comp)
		case cdx.ComponentTypeData:
			data = append(data, comp)
		default:
			others = append(others, comp.Name)
		}
		if comp.Components != nil {
			for _, child := range *comp.Components {
				walk(child)
			}
		}
	}
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		walk(*bom.Metadata.Component)
	}
	if bom.Components != nil {
		for _, comp := range *bom.Components {
			walk(comp)
		}
	}
	return models, data, others
}

// primaryModel picks the model the BOM is about and merges into it every
// other entry describing the same model (generators often put it both in
// metadata.component and in components, one with the licenses and the
// other with the modelCard). The first model with a modelCard leads;
// models that are not the same one are returned as extra.
func primaryModel(models []cdx.Component) (cdx.Component, []cdx.Component) {
	lead := 0
	for i, m := range models {
		if m.ModelCard != nil {
			lead = i
			break
		}
	}
	model := models[lead]
	var extra []cdx.Component
	for i, other := range models {
		switch {
		case i == lead:
		case sameModel(model, other):
			mergeModel(&model, other)
		default:
			extra = append(extra, other)
		}
	}
	return model, extra
}

// sameModel says whether two components name the same model: by bom-ref,
// package URL, or name and version.
func sameModel(a, b cdx.Component) bool {
	switch {
	case a.BOMRef != "" && a.BOMRef == b.BOMRef, a.PackageURL != "" && a.PackageURL == b.PackageURL:
		return true
	}
	return strings.EqualFold(a.Name, b.Name) && (a.Version == b.Version || a.Version == "" || b.Version == "")
}

// mergeModel fills what into lacks from other.
func mergeModel(into *cdx.Component, other cdx.Component) {
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&into.Version, other.Version)
	fill(&into.Description, other.Description)
	fill(&into.Publisher, other.Publisher)
	fill(&into.Group, other.Group)
	fill(&into.Author, other.Author)
	if into.Manufacturer == nil {
		into.Manufacturer = other.Manufacturer
	}
	if into.Supplier == nil {
		into.Supplier = other.Supplier
	}
	if into.Authors == nil {
		into.Authors = other.Authors
	}
	if into.Licenses == nil || len(*into.Licenses) == 0 {
		into.Licenses = other.Licenses
	}
	if into.Hashes == nil {
		into.Hashes = other.Hashes
	}
	if into.ModelCard == nil {
		into.ModelCard = other.ModelCard
	}
	if other.ExternalReferences != nil {
		seen := map[string]bool{}
		var refs []cdx.ExternalReference
		if into.ExternalReferences != nil {
			refs = *into.ExternalReferences
		}
		for _, r := range refs {
			seen[string(r.Type)+" "+r.URL] = true
		}
		for _, r := range *other.ExternalReferences {
			if !seen[string(r.Type)+" "+r.URL] {
				refs = append(refs, r)
			}
		}
		into.ExternalReferences = &refs
	}
}

// datasetsComponent reads the training data, the BOM's data components and
// the datasets the modelCard describes in line, as the one MOF Datasets
// component. Its license is every dataset's license together (AND); when a
// dataset declares none, the component is read as unlicensed and the
// dataset is named, since the data as a whole is then not openly licensed.
func datasetsComponent(data []cdx.Component, card *cdx.MLModelCard, c *Candidate) (domain.Component, bool) {
	type dataset struct{ name, license string }
	var sets []dataset
	for _, d := range data {
		sets = append(sets, dataset{d.Name, licenseExpression(d.Licenses)})
	}
	if card != nil && card.ModelParameters != nil && card.ModelParameters.Datasets != nil {
		for _, choice := range *card.ModelParameters.Datasets {
			if d := choice.ComponentData; d != nil && choice.Ref == "" {
				sets = append(sets, dataset{name: d.Name})
			}
		}
	}
	if len(sets) == 0 {
		return domain.Component{}, false
	}
	var licenses, names []string
	unlicensed := ""
	for _, d := range sets {
		names = append(names, d.name)
		switch {
		case d.license == "" && unlicensed == "":
			unlicensed = d.name
		case d.license != "" && !slices.Contains(licenses, d.license):
			licenses = append(licenses, d.license)
		}
	}
	comp := domain.Component{Name: "Datasets", Included: true, License: joinAll(licenses)}
	reason := "read as the MOF Datasets component"
	if len(sets) > 1 {
		reason = fmt.Sprintf("the %d datasets are read together as the MOF Datasets component, under all their licenses", len(sets))
	}
	if unlicensed != "" {
		comp.License = ""
		reason += fmt.Sprintf("; %q declares no license, so the Datasets component counts as unlicensed: give each dataset its license", unlicensed)
	}
	c.Unmapped = append(c.Unmapped, Unmapped{Field: "components", Value: strings.Join(names, ", "), Reason: reason})
	return comp, true
}

// appendModelCard adds the evidence an ML-BOM modelCard carries. The card
// counts as a model card only when it says how the model may be used
// (considerations: users, use cases, limitations, trade-offs, ethical or
// fairness concerns); one that lists only parameters or datasets does not.
func appendModelCard(evidence []domain.EvidenceItem, card *cdx.MLModelCard, c *Candidate) []domain.EvidenceItem {
	summary := considerations(card.Considerations)
	switch {
	case hasKind(evidence, "model-card"):
	case summary != "":
		evidence = append(evidence, domain.EvidenceItem{Kind: "model-card", Title: "CycloneDX modelCard", Location: "modelCard", Summary: summary})
	default:
		c.Unmapped = append(c.Unmapped, Unmapped{Field: "modelCard",
			Reason: "the modelCard states no considerations (users, use cases, limitations, trade-offs, ethical or fairness concerns), so it does not count as the model card: add them, or attach the model card as evidence"})
	}
	if qa := card.QuantitativeAnalysis; qa != nil && qa.PerformanceMetrics != nil && len(*qa.PerformanceMetrics) > 0 {
		var metrics []string
		for _, pm := range *qa.PerformanceMetrics {
			metrics = append(metrics, strings.TrimSpace(fmt.Sprintf("%s=%s %s", pm.Type, pm.Value, pm.Slice)))
		}
		evidence = append(evidence, domain.EvidenceItem{Kind: "evaluation-results", Title: "CycloneDX modelCard performance metrics",
			Location: "modelCard.quantitativeAnalysis", Summary: strings.Join(metrics, "; ")})
	}
	if stated := modelParameters(card.ModelParameters); len(stated) > 0 {
		c.Unmapped = append(c.Unmapped, Unmapped{Field: "modelCard.modelParameters", Value: strings.Join(stated, "; "), Reason: "the manifest has no field for the approach, task, architecture, inputs or outputs"})
	}
	return evidence
}

// modelParameters lists what a modelCard's parameters state besides its
// datasets (which are read as the Datasets component).
func modelParameters(p *cdx.MLModelParameters) []string {
	if p == nil {
		return nil
	}
	var stated []string
	add := func(name, v string) {
		if v != "" {
			stated = append(stated, name+" "+v)
		}
	}
	if p.Approach != nil {
		add("approach", string(p.Approach.Type))
	}
	add("task", p.Task)
	add("architecture family", p.ArchitectureFamily)
	add("architecture", p.ModelArchitecture)
	for _, io := range []struct {
		name string
		list *[]cdx.MLInputOutputParameters
	}{{"inputs", p.Inputs}, {"outputs", p.Outputs}} {
		if io.list == nil {
			continue
		}
		var formats []string
		for _, param := range *io.list {
			formats = append(formats, param.Format)
		}
		add(io.name, strings.Join(formats, ", "))
	}
	return stated
}

func hasKind(evidence []domain.EvidenceItem, kind string) bool {
	for _, e := range evidence {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

func considerations(mc *cdx.MLModelCardConsiderations) string {
	if mc == nil {
		return ""
	}
	var parts []string
	add := func(label string, items []string) {
		if len(items) > 0 {
			parts = append(parts, label+": "+strings.Join(items, "; "))
		}
	}
	for _, l := range []struct {
		label string
		list  *[]string
	}{{"users", mc.Users}, {"use cases", mc.UseCases}, {"limitations", mc.TechnicalLimitations}, {"trade-offs", mc.PerformanceTradeoffs}} {
		if l.list != nil {
			add(l.label, *l.list)
		}
	}
	if mc.EthicalConsiderations != nil {
		var items []string
		for _, e := range *mc.EthicalConsiderations {
			items = append(items, withMitigation(e.Name, e.MitigationStrategy))
		}
		add("ethical considerations", items)
	}
	if mc.FairnessAssessments != nil {
		var items []string
		for _, f := range *mc.FairnessAssessments {
			items = append(items, withMitigation(strings.TrimSpace(f.GroupAtRisk+" "+f.Harms), f.MitigationStrategy))
		}
		add("fairness", items)
	}
	return strings.Join(parts, " | ")
}

func withMitigation(what, mitigation string) string {
	if mitigation == "" {
		return what
	}
	return what + " (mitigation: " + mitigation + ")"
}

// producer names who makes the model: manufacturer, supplier, publisher,
// then the first author or the group (a Hugging Face organisation).
func producer(c cdx.Component) string {
	switch {
	case c.Manufacturer != nil && c.Manufacturer.Name != "":
		return c.Manufacturer.Name
	case c.Supplier != nil && c.Supplier.Name != "":
		return c.Supplier.Name
	case c.Publisher != "":
		return c.Publisher
	case c.Authors != nil && len(*c.Authors) > 0 && (*c.Authors)[0].Name != "":
		return (*c.Authors)[0].Name
	case c.Author != "":
		return c.Author
	}
	return c.Group
}

// licenseExpression joins a component's license choices into one SPDX
// expression. CycloneDX leaves several entries' meaning open, so they are
// read as all applying (AND), the reading that promises the agency least.
func licenseExpression(ls *cdx.Licenses) string {
	if ls == nil {
		return ""
	}
	var terms []string
	for _, choice := range *ls {
		switch {
		case choice.Expression != "":
			terms = append(terms, choice.Expression)
		case choice.License != nil && choice.License.ID != "":
			terms = append(terms, choice.License.ID)
		case choice.License != nil && choice.License.Name != "":
			terms = append(terms, choice.License.Name)
		case choice.License != nil && choice.License.URL != "":
			terms = append(terms, choice.License.URL) // the license review knows licenses by URL
		}
	}
	return joinAll(terms)
}

// joinAll joins license expressions that all apply with AND, each with a
// space in parentheses.
func joinAll(terms []string) string {
	if len(terms) > 1 {
		terms = slices.Clone(terms)
		for i, t := range terms {
			if strings.Contains(t, " ") {
				terms[i] = "(" + t + ")"
			}
		}
	}
	return strings.Join(terms, " AND ")
}
