package manifest

import (
	"bytes"
	"fmt"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/modeltender/modeltender/internal/domain"
)

// ParseCycloneDX reads a CycloneDX 1.5/1.6 ML-BOM (JSON or XML) and maps its
// machine-learning-model component into a manifest: the model's licenses are
// the weights' ("Model parameters (Final)"), its modelCard is the model card
// evidence, performance metrics are the evaluation results, and data
// components are the datasets. The rest is reported as unmapped.
func ParseCycloneDX(data []byte, path string) (Candidate, error) {
	var bom cdx.BOM
	format, name := cdx.BOMFileFormatJSON, "JSON"
	if isXML(data) {
		format, name = cdx.BOMFileFormatXML, "XML"
	}
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), format).Decode(&bom); err != nil {
		return Candidate{}, domain.InvalidFields("the CycloneDX BOM is not valid "+name,
			[]domain.FieldError{{Field: orRoot(path), Message: syntaxMessage(data, err)}})
	}
	var models, datasets []cdx.Component
	var others []string
	all := []cdx.Component{}
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		all = append(all, *bom.Metadata.Component)
	}
	if bom.Components != nil {
		all = append(all, *bom.Components...)
	}
	for _, comp := range all {
		switch comp.Type {
		case cdx.ComponentTypeMachineLearningModel:
			models = append(models, comp)
		case cdx.ComponentTypeData:
			datasets = append(datasets, comp)
		default:
			others = append(others, comp.Name)
		}
	}
	if len(models) == 0 {
		return Candidate{}, domain.InvalidFields("the CycloneDX BOM describes no model",
			[]domain.FieldError{{Field: fieldPath(path, []string{"components"}), Message: `no component has type "machine-learning-model"; describe the model as such a component (in metadata.component or components) with its modelCard`}})
	}
	model := models[0]
	c := Candidate{Format: FormatCycloneDX, Unmapped: []Unmapped{}}
	for _, extra := range models[1:] {
		c.Unmapped = append(c.Unmapped, Unmapped{Field: "components", Value: extra.Name, Reason: "a manifest describes one model; only the first machine-learning-model component is read: submit each model as its own candidate"})
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
	for _, d := range datasets {
		m.Components = append(m.Components, domain.Component{Name: "Datasets", License: licenseExpression(d.Licenses), Included: true})
		c.Unmapped = append(c.Unmapped, Unmapped{Field: "components", Value: d.Name, Reason: "each data component is read as the MOF Datasets component; the last one's license counts"})
	}
	c.Manifest = m
	return c, nil
}

// appendModelCard adds the evidence an ML-BOM modelCard carries.
func appendModelCard(evidence []domain.EvidenceItem, card *cdx.MLModelCard, c *Candidate) []domain.EvidenceItem {
	if !hasKind(evidence, "model-card") {
		evidence = append(evidence, domain.EvidenceItem{Kind: "model-card", Title: "CycloneDX modelCard", Location: "modelCard", Summary: considerations(card.Considerations)})
	}
	if qa := card.QuantitativeAnalysis; qa != nil && qa.PerformanceMetrics != nil && len(*qa.PerformanceMetrics) > 0 {
		var metrics []string
		for _, pm := range *qa.PerformanceMetrics {
			metrics = append(metrics, strings.TrimSpace(fmt.Sprintf("%s=%s %s", pm.Type, pm.Value, pm.Slice)))
		}
		evidence = append(evidence, domain.EvidenceItem{Kind: "evaluation-results", Title: "CycloneDX modelCard performance metrics",
			Location: "modelCard.quantitativeAnalysis", Summary: strings.Join(metrics, "; ")})
	}
	if card.ModelParameters != nil {
		c.Unmapped = append(c.Unmapped, Unmapped{Field: "modelCard.modelParameters", Reason: "approach, task, architecture, inputs and outputs have no manifest field"})
	}
	return evidence
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
	for _, l := range []struct {
		label string
		list  *[]string
	}{{"use cases", mc.UseCases}, {"limitations", mc.TechnicalLimitations}} {
		if l.list != nil && len(*l.list) > 0 {
			parts = append(parts, l.label+": "+strings.Join(*l.list, "; "))
		}
	}
	return strings.Join(parts, " | ")
}

// producer names who makes the model: manufacturer, supplier, then publisher.
func producer(c cdx.Component) string {
	switch {
	case c.Manufacturer != nil && c.Manufacturer.Name != "":
		return c.Manufacturer.Name
	case c.Supplier != nil && c.Supplier.Name != "":
		return c.Supplier.Name
	}
	return c.Publisher
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
	if len(terms) > 1 {
		for i, t := range terms {
			if strings.Contains(t, " ") {
				terms[i] = "(" + t + ")"
			}
		}
	}
	return strings.Join(terms, " AND ")
}
