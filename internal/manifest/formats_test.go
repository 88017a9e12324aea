package manifest

import (
	"bytes"
	"slices"

	"errors"
	"os"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/modeltender/modeltender/internal/domain"
)

// polyglotKo is a real Model Openness Tool model file (policies/testdata/mot/models).
const polyglotKo = "../../policies/testdata/mot/models/Polyglot-Ko.yml"

func read(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// hasUnmapped reports whether us holds field with a reason.
func hasUnmapped(us []Unmapped, field string) bool {
	for _, u := range us {
		if u.Field == field && u.Reason != "" {
			return true
		}
	}
	return false
}

// wantFieldError fails unless err has a field error at field whose message mentions want.
func wantFieldError(t *testing.T, err error, field, want string) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want field errors", err)
	}
	for _, f := range de.Fields {
		if f.Field == field && strings.Contains(f.Message, want) {
			return
		}
	}
	t.Errorf("want an error at %s mentioning %q, got %v", field, want, de.Fields)
}

func TestParseMOF(t *testing.T) {
	c, err := ParseMOF(read(t, polyglotKo), "candidates[0]")
	if err != nil {
		t.Fatal(err)
	}
	m := c.Manifest
	if c.Format != FormatMOF || m.Name != "Polyglot-Ko" || m.Producer != "EleutherAI" {
		t.Errorf("format %s, name %q, producer %q", c.Format, m.Name, m.Producer)
	}
	licenses := map[string]string{}
	for _, comp := range m.Components {
		licenses[comp.Name] = comp.License
	}
	// Components without a license take the release's distribution license, as in the tool.
	if licenses["Model architecture"] != "Apache-2.0" || licenses["Research paper"] != "CC-BY-SA-4.0" || len(m.Components) != 13 {
		t.Errorf("component licenses %v", licenses)
	}
	if m.Weights.License != "Apache-2.0" || !m.Deployment.WeightsExportable {
		t.Errorf("weights %+v, deployment %+v: want the final parameters' license, exportable", m.Weights, m.Deployment)
	}
	for _, field := range []string{"framework", "release.repository", "release.huggingface"} {
		if !hasUnmapped(c.Unmapped, field) {
			t.Errorf("%s is not reported as unmapped: %+v", field, c.Unmapped)
		}
	}
	for _, u := range c.Unmapped {
		if u.Field == "release.huggingface" && u.Line != 15 {
			t.Errorf("release.huggingface reported at line %d, want 15", u.Line)
		}
	}
}

func TestParseMOFRejects(t *testing.T) {
	good := string(read(t, polyglotKo))
	cases := []struct {
		name, doc, field, want string
	}{
		// Line 7 of the file is "  version: 12.8B"; an unclosed flow list there.
		{"bad YAML", strings.Replace(good, "  version: 12.8B", "  version: [12.8B", 1), "candidates[2]", "line 7:"},
		{"tab indentation", strings.Replace(good, "  producer: EleutherAI", "\tproducer: EleutherAI", 1), "candidates[2]", "line 12:"},
		{"no release name", strings.Replace(good, "  name: Polyglot-Ko\n", "", 1), "candidates[2].release", "name"},
		{"wrong framework", strings.Replace(good, "'Model Openness Framework'", "'Some Other Framework'", 1), "candidates[2].framework.name", "Model Openness Framework"},
		{"components not a list", strings.Replace(good, "  components:\n", "  components: none\n  old_components:\n", 1), "candidates[2].release.components", "array"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.doc == good {
				t.Fatal("the case did not change the file")
			}
			_, err := ParseMOF([]byte(tc.doc), "candidates[2]")
			wantFieldError(t, err, tc.field, tc.want)
		})
	}
}

func TestParseCycloneDX(t *testing.T) {
	c, err := ParseCycloneDX(read(t, "testdata/ml-bom.cdx.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	m := c.Manifest
	if c.Format != FormatCycloneDX || m.Name != "summarizer-7b" || m.Producer != "Example Labs" || m.Weights.License != "Apache-2.0" {
		t.Errorf("format %s, manifest %+v", c.Format, m)
	}
	if !strings.HasPrefix(m.Weights.Digest, "sha256:9f86d0") || m.Weights.Location != "https://huggingface.co/example/summarizer-7b" {
		t.Errorf("weights %+v: want the SHA-256 (lower case) and the distribution URL", m.Weights)
	}
	kinds := map[string]bool{}
	for _, e := range m.Evidence {
		kinds[e.Kind] = true
	}
	if !kinds["model-card"] || !kinds["evaluation-results"] {
		t.Errorf("evidence %+v: want the model card and the performance metrics", m.Evidence)
	}
	datasets := false
	for _, comp := range m.Components {
		datasets = datasets || (comp.Name == "Datasets" && comp.License == "CC-BY-4.0")
	}
	if !datasets {
		t.Errorf("components %+v: want the data component as Datasets under CC-BY-4.0", m.Components)
	}
	for _, field := range []string{"externalReferences[2]", "modelCard.modelParameters", "components"} {
		if !hasUnmapped(c.Unmapped, field) {
			t.Errorf("%s is not reported as unmapped: %+v", field, c.Unmapped)
		}
	}
}

func TestParseCycloneDXRejects(t *testing.T) {
	good := string(read(t, "testdata/ml-bom.cdx.json"))
	cases := []struct {
		name, doc, field, want string
	}{
		{"bad JSON", strings.Replace(good, `"version": 1,`, `"version": 1`, 1), "candidates[1]", "line 6"},
		{"no model", strings.Replace(good, `"type": "machine-learning-model"`, `"type": "application"`, 1), "candidates[1].components", "machine-learning-model"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.doc == good {
				t.Fatal("the case did not change the file")
			}
			_, err := ParseCycloneDX([]byte(tc.doc), "candidates[1]")
			wantFieldError(t, err, tc.field, tc.want)
		})
	}
}

// A CycloneDX BOM in XML reads to the same candidate as its JSON form.
func TestParseCycloneDXXML(t *testing.T) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(read(t, "testdata/ml-bom.cdx.json")), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	bom.XMLNS = "http://cyclonedx.org/schema/bom/1.6" // as every XML BOM declares it
	var xml bytes.Buffer
	if err := cdx.NewBOMEncoder(&xml, cdx.BOMFileFormatXML).Encode(&bom); err != nil {
		t.Fatal(err)
	}
	if f, err := Detect(xml.Bytes()); err != nil || f != FormatCycloneDX {
		t.Fatalf("Detect = %s, %v; want cyclonedx", f, err)
	}
	fromXML, err := ParseCycloneDX(xml.Bytes(), "")
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := ParseCycloneDX(read(t, "testdata/ml-bom.cdx.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	if Hash(fromXML.Manifest) != Hash(fromJSON.Manifest) {
		t.Fatalf("XML and JSON differ:\n%+v\n%+v", fromXML.Manifest, fromJSON.Manifest)
	}
	if _, err := ParseCycloneDX([]byte("<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\"><components>"), ""); err == nil ||
		!strings.Contains(err.Error(), "not valid XML") {
		t.Fatalf("broken XML: %v", err)
	}
}

// CycloneDX licenses are read as written, by id, expression, name or URL;
// several entries all apply (AND), names in parentheses. The license review
// reads the names (internal/licensing).
func TestCycloneDXLicenses(t *testing.T) {
	for _, tc := range []struct{ licenses, want string }{
		{`[{"license": {"id": "Apache-2.0"}}]`, "Apache-2.0"},
		{`[{"expression": "MIT OR Apache-2.0"}]`, "MIT OR Apache-2.0"},
		{`[{"license": {"name": "Llama 3.1 Community License"}}]`, "Llama 3.1 Community License"},
		{`[{"license": {"url": "https://www.apache.org/licenses/LICENSE-2.0"}}]`, "https://www.apache.org/licenses/LICENSE-2.0"},
		{`[{"license": {"id": "MIT"}}, {"license": {"name": "Model Terms v2"}}]`, "MIT AND (Model Terms v2)"},
	} {
		bom := `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
			"metadata": {"component": {"type": "machine-learning-model", "name": "m", "licenses": ` + tc.licenses + `}}}`
		c, err := ParseCycloneDX([]byte(bom), "")
		if err != nil {
			t.Fatalf("%s: %v", tc.licenses, err)
		}
		if c.Manifest.Weights.License != tc.want {
			t.Errorf("licenses %s read as %q, want %q", tc.licenses, c.Manifest.Weights.License, tc.want)
		}
	}
}

// Generators often describe the model twice (metadata.component with the
// license, components with the modelCard) and nest further models: the two
// entries of the same model are read as one, nested ones are reported,
// every dataset counts towards the Datasets license, and one without a
// license makes the Datasets component unlicensed.
func TestParseCycloneDXSplitModel(t *testing.T) {
	c, err := ParseCycloneDX(read(t, "testdata/ml-bom-split.cdx.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	m := c.Manifest
	if m.Name != "translator-3b" || m.Version != "2b1c9e0" || m.Producer != "Example Org" || m.Weights.License != "Apache-2.0" ||
		m.Weights.Location != "https://huggingface.co/example-org/translator-3b" {
		t.Errorf("manifest %+v: want both entries of translator-3b merged", m)
	}
	var card domain.EvidenceItem
	for _, e := range m.Evidence {
		if e.Kind == "model-card" {
			card = e
		}
	}
	for _, want := range []string{"users: public agencies", "mistranslation of legal terms (mitigation: human review of legal notices)", "speakers of low-resource languages lower quality"} {
		if !strings.Contains(card.Summary, want) {
			t.Errorf("model card summary %q lacks %q", card.Summary, want)
		}
	}
	for _, comp := range m.Components {
		if comp.Name == "Datasets" && comp.License != "" {
			t.Errorf("Datasets read under %q although the in-house corpus declares no license", comp.License)
		}
	}
	var reasons []string
	for _, u := range c.Unmapped {
		reasons = append(reasons, u.Value+": "+u.Reason)
	}
	all := strings.Join(reasons, "\n")
	for _, want := range []string{"translator-3b-tokenizer-adapter: a manifest describes one model", `"in-house parallel corpus" declares no license`} {
		if !strings.Contains(all, want) {
			t.Errorf("unmapped notes lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "translator-3b: a manifest") {
		t.Errorf("the model's second entry is reported as another model:\n%s", all)
	}

	// With every dataset licensed, the Datasets component carries them all.
	licensed := strings.Replace(string(read(t, "testdata/ml-bom-split.cdx.json")),
		`{"type": "dataset", "name": "in-house parallel corpus", "classification": "internal"}`, `{"ref": "flores-200"}`, 1)
	c, err = ParseCycloneDX([]byte(licensed), "")
	if err != nil {
		t.Fatal(err)
	}
	datasets := ""
	for _, comp := range c.Manifest.Components {
		if comp.Name == "Datasets" {
			datasets = comp.License
		}
	}
	if datasets != "CC-BY-4.0 AND CC-BY-SA-4.0" {
		t.Errorf("Datasets license %q, want CC-BY-4.0 AND CC-BY-SA-4.0", datasets)
	}
}

// Real ML-BOMs of CycloneDX's own examples (testdata/cyclonedx, see
// testdata/README.md). The open-source model's BOM has a trailing comma,
// which the refusal points at; without it the BOM reads as bert-base-cased
// under Apache-2.0, its two inline datasets as the Datasets component
// (unlicensed: neither declares a license), and its modelCard, which holds
// only datasets, not as a model card. The 1.7 example reads as far as its
// model, which declares no license: the refusal says so.
func TestRealCycloneDXExamples(t *testing.T) {
	open := read(t, "testdata/cyclonedx/bom-examples-MLBOM-Model-OpenSource.json")
	_, err := ParseAll(open, FormatAuto, "candidates[0]")
	wantFieldError(t, err, "candidates[0]", "a comma before the closing '}' (JSON allows no trailing comma); remove the comma at line 8, column 44")

	fixed := bytes.Replace(open, []byte(`"2024-11-24T13:10:49Z",`), []byte(`"2024-11-24T13:10:49Z"`), 1)
	cs, err := ParseAll(fixed, FormatAuto, "candidates[0]")
	if err != nil {
		t.Fatal(err)
	}
	m := cs[0].Manifest
	if cs[0].Format != FormatCycloneDX || m.Name != "bert-base-cased" || m.Producer != "google-bert" || m.Weights.License != "Apache-2.0" {
		t.Errorf("format %s, manifest %+v", cs[0].Format, m)
	}
	if !slices.ContainsFunc(m.Components, func(c domain.Component) bool { return c.Name == "Datasets" && c.Included && c.License == "" }) {
		t.Errorf("components %+v: want the inline datasets as an unlicensed Datasets component", m.Components)
	}
	if slices.ContainsFunc(m.Evidence, func(e domain.EvidenceItem) bool { return e.Kind == "model-card" }) || !hasUnmapped(cs[0].Unmapped, "modelCard") {
		t.Errorf("evidence %+v, unmapped %+v: a modelCard of datasets alone is not a model card", m.Evidence, cs[0].Unmapped)
	}
	if hasUnmapped(cs[0].Unmapped, "modelCard.modelParameters") {
		t.Errorf("unmapped %+v: the parameters state nothing but datasets", cs[0].Unmapped)
	}

	_, err = ParseAll(read(t, "testdata/cyclonedx/bom-examples-MLBOM-Model-Card-With-Dataset.json"), FormatAuto, "candidates[1]")
	wantFieldError(t, err, "candidates[1].weights.license", `the licenses of the machine-learning-model component "support-ticket-classifier"`)
}

// A modelCard that says how the model may be used counts as its model
// card, and what its parameters state is reported, in a stable order.
func TestCycloneDXModelCardParameters(t *testing.T) {
	bom := `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [{"type": "machine-learning-model",
		"name": "m", "licenses": [{"license": {"id": "MIT"}}], "modelCard": {"modelParameters": {"approach": {"type": "supervised"},
		"task": "text-classification", "inputs": [{"format": "text/plain"}], "outputs": [{"format": "application/json"}]},
		"considerations": {"useCases": ["routing tickets"]}}}]}`
	for range 5 {
		c, err := ParseCycloneDX([]byte(bom), "")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(c.Manifest.Evidence, func(e domain.EvidenceItem) bool {
			return e.Kind == "model-card" && e.Summary == "use cases: routing tickets"
		}) {
			t.Fatalf("evidence %+v: want the modelCard as the model card", c.Manifest.Evidence)
		}
		i := slices.IndexFunc(c.Unmapped, func(u Unmapped) bool { return u.Field == "modelCard.modelParameters" })
		if want := "approach supervised; task text-classification; inputs text/plain; outputs application/json"; i < 0 || c.Unmapped[i].Value != want {
			t.Fatalf("unmapped %+v: want the parameters as %q", c.Unmapped, want)
		}
	}
}
