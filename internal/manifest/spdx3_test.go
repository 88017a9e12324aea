package manifest

import (
	"slices"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

func component(m domain.Manifest, name string) (domain.Component, bool) {
	for _, c := range m.Components {
		if c.Name == name {
			return c, true
		}
	}
	return domain.Component{}, false
}

// Real SPDX 3.0.1 documents from spdx/spdx-examples (testdata/spdx3/README.md).
func TestParseSPDX3Examples(t *testing.T) {
	tests := []struct {
		file       string
		models     []string
		license    string
		datasets   string // license of the Datasets component; "-" when absent
		evaluation string // license of the Evaluation data component; "-" when absent
		risk       string
		findings   []string
	}{
		// Two AI packages, each declaring MIT without concluding it; the
		// dataset's custom license is non-commercial research only.
		{file: "ai-example01-simplehtr-example.json", models: []string{"word-model", "line-model"}, license: "MIT",
			datasets: "LicenseRef-CustomLicense-c63547c2-62e0-48ec-b98d-ff1b917d67db", evaluation: "LicenseRef-CustomLicense-c63547c2-62e0-48ec-b98d-ff1b917d67db", risk: "low",
			findings: []string{RuleSPDXLicense + "/warn"}},
		// trainedOn and testedOn join the model file and data files, not the packages.
		{file: "ai-example02-sbom.spdx3.json", models: []string{"Sentiment Demo: A Simple AI Application and its AI BOM Example"}, license: "CC0-1.0",
			datasets: "CC0-1.0", evaluation: "CC0-1.0", findings: []string{RuleSPDXProfile + "/info", RuleSPDXProfile + "/info", RuleSPDXProfile + "/info"}},
		// High-risk medical model that uses sensitive personal information.
		{file: "ai-example03-example03.spdx3.json", models: []string{"RetinaScan AI"}, license: "LicenseRef-MedTech-Proprietary-2024",
			datasets: "-", evaluation: "-", risk: "high",
			findings: []string{RuleSPDXSafetyRisk + "/warn", RuleSPDXSensitive + "/warn", RuleSPDXProfile + "/info"}},
		// The training dataset has sensitive personal information and no license.
		{file: "ai-example05-example05.spdx3.json", models: []string{"WarehouseDetect"}, license: "LicenseRef-WarehouseDetect-Commercial",
			datasets: "", evaluation: "-",
			findings: []string{RuleSPDXSensitive + "/warn", RuleSPDXSensitive + "/warn", RuleSPDXProfile + "/info"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := read(t, "testdata/spdx3/"+tt.file)
			if f, err := Detect(data); err != nil || f != FormatSPDX3 {
				t.Fatalf("Detect = %s, %v", f, err)
			}
			cs, err := ParseAll(data, FormatAuto, "")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cs {
				got = append(got, c.Manifest.Name)
			}
			if !slices.Equal(got, tt.models) {
				t.Fatalf("models %q, want %q", got, tt.models)
			}
			c := cs[0]
			m := c.Manifest
			if c.Format != FormatSPDX3 || m.Weights.License != tt.license {
				t.Errorf("format %s weights license %q, want %q", c.Format, m.Weights.License, tt.license)
			}
			for name, want := range map[string]string{"Datasets": tt.datasets, "Evaluation data": tt.evaluation} {
				comp, ok := component(m, name)
				if want == "-" {
					if ok {
						t.Errorf("%s %+v, want none", name, comp)
					}
				} else if !ok || comp.License != want {
					t.Errorf("%s %+v (present %v), want license %q", name, comp, ok, want)
				}
			}
			if c.Assessment == nil || c.Assessment.SafetyRiskAssessment != tt.risk {
				t.Errorf("assessment %+v, want risk %q", c.Assessment, tt.risk)
			}
			var findings []string
			for _, f := range c.Findings {
				findings = append(findings, f.Rule+"/"+string(f.Severity))
				if f.Message == "" || f.Source == "" || (f.Severity != domain.SeverityInfo && f.Fix == "") {
					t.Errorf("finding %+v lacks a message, source or fix", f)
				}
			}
			if !slices.Equal(findings, tt.findings) {
				t.Errorf("findings %q, want %q", findings, tt.findings)
			}
			if kinds := evidenceKinds(m); kinds["model-card"] == 0 {
				t.Errorf("evidence %v: want the AI package's own statements as model-card evidence", kinds)
			}
		})
	}
}

func TestParseSPDX3Details(t *testing.T) {
	cs, err := ParseAll(read(t, "testdata/spdx3/ai-example01-simplehtr-example.json"), FormatSPDX3, "")
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := component(cs[0].Manifest, "Datasets")
	if !strings.Contains(ds.LicenseText, "non-commercial research purpose only") {
		t.Errorf("the dataset's custom license text is not attached: %+v", ds)
	}
	if !hasUnmapped(cs[0].Unmapped, "@graph[101].ai_hyperparameter") {
		t.Errorf("hyperparameters not reported as unmapped: %+v", cs[0].Unmapped)
	}
	// One document, several models: Parse asks for ParseAll.
	_, err = Parse(read(t, "testdata/spdx3/ai-example01-simplehtr-example.json"), FormatAuto, "candidates[0]")
	wantFieldError(t, err, "candidates[0]", "2 AI packages (word-model, line-model)")

	ex06, err := ParseAll(read(t, "testdata/spdx3/ai-example02-sbom.spdx3.json"), FormatSPDX3, "")
	if err != nil {
		t.Fatal(err)
	}
	summary := ""
	for _, e := range ex06[0].Manifest.Evidence {
		summary += e.Summary + "\n"
	}
	for _, want := range []string{"autonomy: yes", "energy: training 0.0048269 kilowattHour", "f1=0.4669192"} {
		if !strings.Contains(summary, want) {
			t.Errorf("evidence lacks %q:\n%s", want, summary)
		}
	}
	ex05, err := ParseAll(read(t, "testdata/spdx3/ai-example05-example05.spdx3.json"), FormatSPDX3, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(summary+ex05[0].Manifest.Evidence[0].Summary, "confidentiality level: amber") {
		t.Errorf("dataset confidentiality not shown: %+v", ex05[0].Manifest.Evidence)
	}
}

func TestParseSPDX3Rejects(t *testing.T) {
	dataset := string(read(t, "testdata/spdx3/dataset-example01-example01.spdx3.json"))
	for name, tc := range map[string]struct{ doc, field, want string }{
		"datasets but no model": {dataset, "candidates[1].@graph", "Our World in Data CO2 and Greenhouse Gas Emissions dataset"},
		"no graph":              {`{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"}`, "candidates[1].@graph", "@graph"},
		"not JSON":              {`{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": [}`, "candidates[1]", "line 1"},
		"no AI package":         {`{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": [{"type": "software_Package", "spdxId": "x"}]}`, "candidates[1].@graph", "ai_AIPackage"},
	} {
		_, err := ParseAll([]byte(tc.doc), FormatAuto, "candidates[1]")
		if domain.KindOf(err) != domain.ErrInvalid {
			t.Errorf("%s: %v, want invalid input", name, err)
			continue
		}
		wantFieldError(t, err, tc.field, tc.want)
	}
}

// A package with no license relationship is a deny the vendor can fix.
func TestParseSPDX3NoLicense(t *testing.T) {
	doc := `{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": [
	  {"type": "ai_AIPackage", "spdxId": "urn:m", "name": "m", "ai_safetyRiskAssessment": "serious"}]}`
	cs, err := ParseAll([]byte(doc), FormatAuto, "")
	if err != nil {
		t.Fatal(err)
	}
	c := cs[0]
	if c.Manifest.Weights.License != "" || !hasFinding(c.Findings, RuleSPDXLicense, domain.SeverityDeny) || !hasFinding(c.Findings, RuleSPDXSafetyRisk, domain.SeverityWarn) {
		t.Errorf("%+v", c.Findings)
	}
}
