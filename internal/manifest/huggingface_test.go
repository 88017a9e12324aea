package manifest

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/licensing"
)

func hasFinding(fs []domain.Finding, rule string, sev domain.Severity) bool {
	return slices.ContainsFunc(fs, func(f domain.Finding) bool { return f.Rule == rule && f.Severity == sev })
}

func evidenceKinds(m domain.Manifest) map[string]int {
	out := map[string]int{}
	for _, e := range m.Evidence {
		out[e.Kind]++
	}
	return out
}

// Real model cards (testdata/huggingface/README.md says where each comes
// from) read into the manifest the evaluation needs.
func TestParseHuggingFaceCards(t *testing.T) {
	tests := []struct {
		file, name, license, task string
		bases                     []domain.BaseModel
		findings                  []string // rule/severity the card must yield
		evidence                  map[string]int
		unmapped                  []string
	}{
		{file: "meta-llama-Llama-3.2-1B-Instruct.md", name: "unnamed Hugging Face model", license: "LicenseRef-Llama-3.2-Community", task: "text-generation",
			findings: []string{RuleCardName + "/warn", RuleCardLicenseTx + "/info"},
			evidence: map[string]int{"model-card": 4, "evaluation-results": 3, "data-card": 1}, unmapped: []string{"extra_gated_fields", "extra_gated_button_content"}},
		{file: "google-gemma-2b-sfp-cpp.md", name: "Gemma Model Card", license: "LicenseRef-Gemma-Terms-of-Use", task: "text-generation",
			evidence: map[string]int{"model-card": 1}, unmapped: []string{"extra_gated_prompt", "extra_gated_heading"}},
		{file: "mistralai-Mistral-7B-v0.1.md", name: "Model Card for Mistral-7B-v0.1", license: "Apache-2.0", task: "text-generation",
			evidence: map[string]int{"model-card": 1}, unmapped: []string{"inference", "extra_gated_description"}},
		{file: "ibm-granite-granite-4.0-micro-GGUF.md", name: "unnamed Hugging Face model", license: "Apache-2.0",
			bases:    []domain.BaseModel{{Name: "ibm-granite/granite-4.0-micro", Relation: "quantized"}},
			findings: []string{RuleCardName + "/warn", RuleCardLineage + "/info"}, evidence: map[string]int{"model-card": 1}},
		{file: "CompVis-stable-diffusion-v1-4.md", name: "Stable Diffusion v1-4 Model Card", license: "LicenseRef-CreativeML-OpenRAIL-M",
			evidence: map[string]int{"model-card": 7, "evaluation-results": 1}, unmapped: []string{"widget", "extra_gated_prompt"}},
		{file: "NbAiLab-nb-wav2vec2-300m-bokmaal.md", name: "nb-wav2vec2-300m-bokmaal", license: "Apache-2.0",
			evidence: map[string]int{"model-card": 1, "evaluation-results": 1, "data-card": 1}, unmapped: []string{"datasets"}},
		{file: "1aurent-ppo-Huggy.md", name: "ppo Agent playing Huggy", license: "",
			findings: []string{RuleCardLicense + "/deny"}, evidence: map[string]int{"model-card": 1}},
		{file: "qwen2.5-0.5b-instruct-lora-adapter.md", name: "Model Card for Model ID", license: "",
			bases:    []domain.BaseModel{{Name: "Qwen/Qwen2.5-0.5B-Instruct", Relation: "adapter"}},
			findings: []string{RuleCardLicense + "/deny"}, evidence: map[string]int{"model-card": 1}},
		{file: "qwen2.5-7b-lora-llama-factory.md", name: "qwen2.5-7b-lora", license: "",
			bases:    []domain.BaseModel{{Name: "Qwen/Qwen2.5-7B-Instruct", Relation: "adapter"}},
			findings: []string{RuleCardLicense + "/deny", RuleCardLineage + "/info"}, evidence: map[string]int{"model-card": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := read(t, "testdata/huggingface/"+tt.file)
			if f, err := Detect(data); err != nil || f != FormatHuggingFace {
				t.Fatalf("Detect = %s, %v", f, err)
			}
			c, err := Parse(data, FormatAuto, "candidates[0]")
			if err != nil {
				t.Fatal(err)
			}
			m := c.Manifest
			if c.Format != FormatHuggingFace || m.Name != tt.name || m.Weights.License != tt.license || m.Task != tt.task {
				t.Errorf("format %s name %q license %q task %q", c.Format, m.Name, m.Weights.License, m.Task)
			}
			if !slices.Equal(m.BaseModels, tt.bases) {
				t.Errorf("base models %+v, want %+v", m.BaseModels, tt.bases)
			}
			var got []string
			for _, f := range c.Findings {
				got = append(got, f.Rule+"/"+string(f.Severity))
				if f.Message == "" || f.Source == "" || (f.Severity != domain.SeverityInfo && f.Fix == "") {
					t.Errorf("finding %+v lacks a message, source or fix", f)
				}
			}
			if !slices.Equal(got, tt.findings) {
				t.Errorf("findings %q, want %q", got, tt.findings)
			}
			if kinds := evidenceKinds(m); !mapsEqual(kinds, tt.evidence) {
				t.Errorf("evidence kinds %v, want %v", kinds, tt.evidence)
			}
			for _, field := range tt.unmapped {
				if !hasUnmapped(c.Unmapped, field) {
					t.Errorf("%s not reported as unmapped: %+v", field, c.Unmapped)
				}
			}
			for _, e := range m.Evidence {
				if !strings.HasPrefix(e.Location, "README.md") {
					t.Errorf("evidence %+v is not located in the card", e)
				}
			}
			m.IntakeFindings = nil // set by the reader, not part of the vendor's schema
			if err := Validate(mustJSONValue(t, m), ""); err != nil && tt.license != "" {
				t.Errorf("the mapped manifest breaks the manifest schema: %v", err)
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// The Llama card's gated prompt holds the license and its use policy; the
// license part is attached as the weights' license text, and the review
// reads it as Llama 3.2's.
func TestHuggingFaceLicenseText(t *testing.T) {
	c, err := ParseHuggingFace(read(t, "testdata/huggingface/meta-llama-Llama-3.2-1B-Instruct.md"), "")
	if err != nil {
		t.Fatal(err)
	}
	text := c.Manifest.Weights.LicenseText
	if !strings.HasPrefix(text, "### LLAMA 3.2 COMMUNITY LICENSE AGREEMENT") || strings.Contains(text, "Acceptable Use Policy\n") {
		t.Fatalf("license text %.200q", text)
	}
	a, err := licensing.NewAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	r := a.Review(c.Manifest, domain.Criteria{ExpectedMonthlyUsers: 1000})
	if r.Components[0].Text == nil || r.Components[0].Text.LicenseID != "LicenseRef-Llama-3.2-Community" {
		t.Errorf("review of the attached text: %+v", r.Components[0].Text)
	}
}

// The Hub's license identifiers, license_name/license_link and the
// license-less cases, each as a card says them.
func TestHuggingFaceLicenses(t *testing.T) {
	a, err := licensing.NewAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		front, want string
		deny        bool
	}{
		{"license: apache-2.0", "Apache-2.0", false},
		{"license: MIT", "MIT", false},
		{"license: llama3.1", "LicenseRef-Llama-3.1-Community", false},
		{"license: llama3.3", "LicenseRef-Llama-3.3-Community", false},
		{"license: llama4", "LicenseRef-Llama-4-Community", false},
		{"license: gemma", "LicenseRef-Gemma-Terms-of-Use", false},
		{"license: openrail++", "LicenseRef-CreativeML-OpenRAIL-PlusPlus-M", false},
		{"license: bigscience-bloom-rail-1.0", "LicenseRef-BigScience-BLOOM-RAIL-1.0", false},
		{"license: cc-by-nc-4.0", "CC-BY-NC-4.0", false},
		{"license: gpl-3.0", "GPL-3.0-only", false},
		{"license: openrail", "openrail", false}, // a family: the review asks which member
		{"license: [apache-2.0, cc-by-4.0]", "Apache-2.0 AND CC-BY-4.0", false},
		{"license: other\nlicense_name: qwen-research\nlicense_link: https://huggingface.co/Qwen/Qwen2.5-3B/blob/main/LICENSE", "LicenseRef-Qwen-Research", false},
		{"license: other\nlicense_name: deepseek\nlicense_link: LICENSE", "LicenseRef-DeepSeek-Model", false},
		{"license: other\nlicense_link: https://www.llama.com/llama3_1/license/", "LicenseRef-Llama-3.1-Community", false},
		{"license: other\nlicense_name: acme-model-license\nlicense_link: LICENSE", "LicenseRef-acme-model-license", false},
		{"license: other", "", true},
		{"license: unknown", "", true},
		{"tags: [text-generation]", "", true},
		{"license: Apache License 2.0", "Apache-2.0", false}, // not a Hub id, but a name the review knows
	}
	for _, tt := range tests {
		c, err := ParseHuggingFace([]byte("---\n"+tt.front+"\n---\n# M\n"), "")
		if err != nil {
			t.Errorf("%q: %v", tt.front, err)
			continue
		}
		if c.Manifest.Weights.License != tt.want || hasFinding(c.Findings, RuleCardLicense, domain.SeverityDeny) != tt.deny {
			t.Errorf("%q: license %q findings %+v; want %q deny %v", tt.front, c.Manifest.Weights.License, c.Findings, tt.want, tt.deny)
		}
		if tt.deny {
			// Never qualified: the review denies a missing license too.
			if r := a.Review(c.Manifest, domain.Criteria{}); !slices.ContainsFunc(r.Findings, func(f domain.Finding) bool { return f.Severity == domain.SeverityDeny }) {
				t.Errorf("%q: the review does not deny %+v", tt.front, r.Findings)
			}
		}
	}
}

// Front matter as the Hub reads it: CRLF, blank lines and indentation
// before it, a BOM; broken YAML is an invalid-input error naming the line
// of the card.
func TestHuggingFaceFrontMatter(t *testing.T) {
	for name, card := range map[string]string{
		"crlf":           "---\r\nlicense: mit\r\nbase_model: Qwen/Qwen2.5-7B\r\n---\r\n# M\r\n",
		"blank lines":    "\n\n---\nlicense: mit\nbase_model: Qwen/Qwen2.5-7B\n---\n# M\n",
		"indented":       "\n---\n    license: mit\n    base_model: Qwen/Qwen2.5-7B\n---\n  # M\n",
		"bom":            "\xef\xbb\xbf---\nlicense: mit\nbase_model: [Qwen/Qwen2.5-7B]\n---\n# M",
		"folded license": "---\nlicense: >-\n  mit\nbase_model: |\n  Qwen/Qwen2.5-7B\n---\n",
	} {
		c, err := Parse([]byte(card), FormatAuto, "")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if c.Manifest.Weights.License != "MIT" || len(c.Manifest.BaseModels) != 1 || strings.TrimSpace(c.Manifest.BaseModels[0].Name) != "Qwen/Qwen2.5-7B" {
			t.Errorf("%s: %+v", name, c.Manifest)
		}
	}
	for name, tc := range map[string]struct{ card, want string }{
		"bad indentation": {"\n\n---\nlicense: mit\ntags:\n  - a\n - b\n---\n", "line 7:"},
		"unclosed flow":   {"---\r\nlicense: mit\r\ntags: [a, b\r\n---\r\n", "line "},
		"not a mapping":   {"---\n- a\n- b\n---\n", "not a mapping"},
		"NUL":             {"---\nlicense: mit\x00\n---\n", "line "},
		"no front matter": {"# Just a README\n", "front matter"},
	} {
		_, err := ParseHuggingFace([]byte(tc.card), "candidates[3]")
		if domain.KindOf(err) != domain.ErrInvalid {
			t.Errorf("%s: error %v, want invalid input", name, err)
			continue
		}
		wantFieldError(t, err, "candidates[3]", tc.want)
	}
}

// An alias bomb is refused, not expanded.
func TestHuggingFaceAliasBomb(t *testing.T) {
	bomb := "---\nlicense: mit\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n---\n"
	_, err := ParseHuggingFace([]byte(bomb), "")
	if k := domain.KindOf(err); (k != domain.ErrInvalid && k != domain.ErrTooLarge) || !strings.Contains(err.Error(), "alias") {
		t.Fatalf("alias bomb: %v", err)
	}
}

func mustJSONValue(t *testing.T, m domain.Manifest) any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Hub READMEs without front matter (real ones, testdata/README.md) are
// told apart from YAML that is not a model file: the refusal says the card
// states no license and how to add its metadata. Broken YAML is still
// told as YAML, with its line, and a YAML mapping without release as a
// format nobody can tell.
func TestCardsWithoutFrontMatter(t *testing.T) {
	for _, file := range []string{"FrGes-xlm-roberta-large-finetuned-EUJAV-datasetAB.md", "adam-chell-tweet-sentiment-analyzer.md"} {
		_, err := Detect(read(t, "testdata/huggingface/"+file))
		if err == nil || !strings.Contains(err.Error(), "without front matter") || !strings.Contains(err.Error(), "license: apache-2.0") {
			t.Errorf("%s: %v", file, err)
		}
	}
	for doc, want := range map[string]string{
		"name: granite\nversion: 3\n":  "cannot tell the format",
		"# a comment\nname: granite\n": "cannot tell the format",
		"framework:\n  name: Model Openness Framework\nrelease:\n  name: [unclosed\n  x: y\n": "nor valid YAML: line 4",
		"```\nfrom transformers import pipeline\n```\n- a list\n- of lines\nkey: value\n":     "without front matter",
		"granite-3.1 is our model": "without front matter",
	} {
		if _, err := Detect([]byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", doc, err, want)
		}
	}
}
