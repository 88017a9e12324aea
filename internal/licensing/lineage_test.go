package licensing

import (
	"slices"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

// Every entry of the base-model table names a license the embedded
// knowledge base or SPDX list describes, and its example repository id
// reaches that entry and no earlier one.
func TestBaseModelTable(t *testing.T) {
	a := newAnalyzer(t)
	if len(a.baseModels) < 40 {
		t.Fatalf("base-model table has %d entries", len(a.baseModels))
	}
	for i, m := range a.baseModels {
		if a.kb.byName(m.License) == nil && !a.licenses[m.License].OSIApproved {
			t.Errorf("models[%d] %s: license %s is neither in the knowledge base nor OSI-approved", i, m.Pattern, m.License)
		}
		got, pattern, ok := a.BaseModelLicense(m.Example)
		if !ok || pattern != m.Pattern || got != m.License {
			t.Errorf("example %s matches %q (%s), want %q (%s): an earlier entry shadows it", m.Example, pattern, got, m.Pattern, m.License)
		}
		if m.Note == "" {
			t.Errorf("models[%d] %s has no note saying where its license comes from", i, m.Pattern)
		}
	}
	for name, want := range map[string]string{
		"META-LLAMA/llama-3.1-8b":                                   "LicenseRef-Llama-3.1-Community", // the Hub ignores case
		"https://huggingface.co/meta-llama/Llama-3.3-70B-Instruct/": "LicenseRef-Llama-3.3-Community",
		"hf.co/google/gemma-3-27b-it":                               "LicenseRef-Gemma-Terms-of-Use",
		"Qwen/Qwen2.5-72B-Instruct-AWQ":                             "LicenseRef-Qwen",
		"Qwen/Qwen2.5-32B-Instruct":                                 "Apache-2.0",
		"mistralai/Mistral-Large-Instruct-2407":                     "LicenseRef-Mistral-Research-License",
		"mistralai/Mixtral-8x7B-Instruct-v0.1":                      "Apache-2.0",
		"deepseek-ai/DeepSeek-V3":                                   "LicenseRef-DeepSeek-Model",
		"deepseek-ai/DeepSeek-R1":                                   "MIT",
		"microsoft/phi-4":                                           "MIT",
		"ibm-granite/granite-4.0-micro":                             "Apache-2.0",
	} {
		if got, _, _ := a.BaseModelLicense(name); got != want {
			t.Errorf("%s: base license %q, want %s", name, got, want)
		}
	}
}

func TestLineage(t *testing.T) {
	a := newAnalyzer(t)
	tests := []struct {
		name     string
		base     domain.BaseModel
		weights  string
		verdict  domain.LineageVerdict
		severity domain.Severity // of the license.lineage finding; "" for none
		quote    string          // in the finding's quote
	}{
		{"Llama relicensed as Apache", domain.BaseModel{Name: "meta-llama/Llama-3.1-8B-Instruct", Relation: "finetune"}, "Apache-2.0",
			domain.LineageMorePermissive, domain.SeverityDeny, "provide a copy of this Agreement"},
		{"Llama quantized under Llama", domain.BaseModel{Name: "meta-llama/Llama-3.1-70B-Instruct", Relation: "quantized"}, "LicenseRef-Llama-3.1-Community",
			domain.LineageSameLicense, "", ""},
		{"Llama under Llama and MIT", domain.BaseModel{Name: "meta-llama/Llama-3.1-8B"}, "MIT AND LicenseRef-Llama-3.1-Community",
			domain.LineageSameLicense, "", ""},
		{"Gemma adapter written as a name", domain.BaseModel{Name: "google/gemma-2-9b-it", Relation: "adapter"}, "Gemma Terms of Use",
			domain.LineageSameLicense, "", ""},
		{"Gemma relicensed as MIT", domain.BaseModel{Name: "google/gemma-2-9b-it", Relation: "adapter"}, "MIT",
			domain.LineageMorePermissive, domain.SeverityDeny, "transfer of patterns of the weights"},
		{"RAIL base under Apache", domain.BaseModel{Name: "bigscience/bloom-7b1"}, "Apache-2.0",
			domain.LineageMorePermissive, domain.SeverityDeny, "enforceable provision"},
		{"Qwen 72B under Apache", domain.BaseModel{Name: "Qwen/Qwen2.5-72B-Instruct", Relation: "finetune"}, "Apache-2.0",
			domain.LineageMorePermissive, domain.SeverityWarn, ""},
		{"permissive base", domain.BaseModel{Name: "Qwen/Qwen2.5-7B-Instruct", Relation: "adapter"}, "MIT",
			domain.LineagePermitted, "", ""},
		{"unknown derivative license", domain.BaseModel{Name: "Qwen/Qwen2.5-72B-Instruct"}, "LicenseRef-Our-Own-Terms",
			domain.LineageUnknownLicense, "", ""},
		{"unknown base", domain.BaseModel{Name: "someone/homegrown-7b"}, "Apache-2.0",
			domain.LineageUnknownBase, domain.SeverityInfo, ""},
		{"no license", domain.BaseModel{Name: "meta-llama/Llama-3.1-8B"}, "",
			domain.LineageNoDeclaredTerms, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.Review(domain.Manifest{Name: "m", Weights: domain.Weights{License: tt.weights}, BaseModels: []domain.BaseModel{tt.base}}, criteria)
			if len(r.Lineage) != 1 || r.Lineage[0].Verdict != tt.verdict || r.Lineage[0].BaseModel != tt.base.Name {
				t.Fatalf("lineage = %+v, want one %s", r.Lineage, tt.verdict)
			}
			var lineage []domain.Finding
			for _, f := range r.Findings {
				checkFinding(t, f)
				if f.Rule == RuleLineage {
					lineage = append(lineage, f)
				}
			}
			if tt.severity == "" {
				if len(lineage) != 0 {
					t.Errorf("unexpected lineage findings %+v", lineage)
				}
				return
			}
			if len(lineage) != 1 || lineage[0].Severity != tt.severity || !strings.Contains(lineage[0].Evidence.Quote, tt.quote) ||
				!strings.Contains(lineage[0].Message, tt.base.Name) {
				t.Fatalf("lineage findings %+v, want one %s quoting %q", lineage, tt.severity, tt.quote)
			}
			if tt.severity == domain.SeverityWarn {
				resolvable := slices.ContainsFunc(r.Resolvable, func(rv domain.Resolvable) bool {
					return rv.Key.Clause == ClauseLineage && rv.Key.LicenseID == r.Lineage[0].BaseLicense && rv.Finding.Rule == RuleLineage
				})
				if !resolvable || !r.NeedsResolution {
					t.Errorf("a lineage warning must go to a reviewer: resolvable %+v", r.Resolvable)
				}
				if !strings.Contains(lineage[0].Message, "conditions on commercial use") {
					t.Errorf("message %q should name the dropped terms", lineage[0].Message)
				}
			}
		})
	}
}

// Every identifier of the Hub's license table reads as a license the
// review knows, a family, other or none; the identifiers the issue names
// map as expected.
func TestHubLicenseTable(t *testing.T) {
	a := newAnalyzer(t)
	table, err := HubIdentifiers()
	if err != nil {
		t.Fatal(err)
	}
	if len(table) < 80 {
		t.Fatalf("Hub table has %d identifiers", len(table))
	}
	unreviewed := map[string]bool{"h-research": true, "intel-research": true, "apple-ascl": true, "apple-amlr": true,
		"fair-noncommercial-research-license": true, "grok2-community": true}
	for id, h := range table {
		switch h.Kind {
		case HubLicense:
			if unreviewed[id] {
				if !strings.HasPrefix(h.Expression, "LicenseRef-") || a.kb.byName(h.Expression) != nil {
					t.Errorf("%s: %s", id, h.Expression)
				}
				continue
			}
			if got := a.Resolve(h.Expression); got != h.Expression {
				t.Errorf("%s names %s, which resolves to %q", id, h.Expression, got)
			}
			if _, listed := a.licenses[h.Expression]; !listed && a.kb.entries[h.Expression] == nil {
				t.Errorf("%s names %s, unknown to the SPDX list and the knowledge base", id, h.Expression)
			}
		case HubFamily:
			if len(h.Members) < 2 {
				t.Errorf("family %s has members %v", id, h.Members)
			}
		case HubOther, HubNone:
		default:
			t.Errorf("%s: kind %q", id, h.Kind)
		}
	}
	for id, want := range map[string]string{
		"apache-2.0": "Apache-2.0", "MIT": "MIT", "llama2": "LicenseRef-Llama-2-Community", "llama3": "LicenseRef-Llama-3-Community",
		"llama3.1": "LicenseRef-Llama-3.1-Community", "llama3.2": "LicenseRef-Llama-3.2-Community", "llama3.3": "LicenseRef-Llama-3.3-Community",
		"llama4": "LicenseRef-Llama-4-Community", "gemma": "LicenseRef-Gemma-Terms-of-Use", "openrail++": "LicenseRef-CreativeML-OpenRAIL-PlusPlus-M",
		"bigscience-bloom-rail-1.0": "LicenseRef-BigScience-BLOOM-RAIL-1.0", "bigscience-openrail-m": "LicenseRef-BigScience-OpenRAIL-M",
		"bigcode-openrail-m": "LicenseRef-BigCode-OpenRAIL-M-v1", "creativeml-openrail-m": "LicenseRef-CreativeML-OpenRAIL-M",
		"deepfloyd-if-license": "LicenseRef-DeepFloyd-IF-Research", "cc-by-nc-4.0": "CC-BY-NC-4.0", "gpl-3.0": "GPL-3.0-only",
		"openrail": "family", "other": "other", "unknown": "none", "openmdw-1.1": "LicenseRef-OpenMDW-1.1",
	} {
		h, ok, err := LookupHubIdentifier(id)
		got := h.Expression
		if h.Kind != HubLicense {
			got = string(h.Kind)
		}
		if err != nil || !ok || got != want {
			t.Errorf("%s: %+v %v %v, want %s", id, h, ok, err, want)
		}
	}
	if _, ok, _ := LookupHubIdentifier("not-a-hub-id"); ok {
		t.Error("an identifier the Hub does not list was found")
	}
}
