package licensing

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

func TestParseExpression(t *testing.T) {
	tests := []struct {
		expr       string
		normalized string
		terms      []Term
		// wantErr are substrings the error must contain; nil means valid.
		wantErr []string
	}{
		{expr: "Apache-2.0", normalized: "Apache-2.0", terms: []Term{{License: "Apache-2.0"}}},
		{expr: "apache-2.0", normalized: "Apache-2.0", terms: []Term{{License: "Apache-2.0"}}},
		{expr: "MIT OR Apache-2.0", normalized: "MIT OR Apache-2.0", terms: []Term{{License: "Apache-2.0"}, {License: "MIT"}}},
		{
			expr:       "Apache-2.0 WITH LLVM-exception",
			normalized: "Apache-2.0 WITH LLVM-exception",
			terms:      []Term{{License: "Apache-2.0", Exception: "LLVM-exception"}},
		},
		{
			expr:       "LicenseRef-Llama-3.1-Community",
			normalized: "LicenseRef-Llama-3.1-Community",
			terms:      []Term{{License: "LicenseRef-Llama-3.1-Community"}},
		},
		{expr: "CC-BY-NC-4.0", normalized: "CC-BY-NC-4.0", terms: []Term{{License: "CC-BY-NC-4.0"}}},
		{expr: "GPL-2.0-only AND MIT", normalized: "GPL-2.0-only AND MIT", terms: []Term{{License: "GPL-2.0-only"}, {License: "MIT"}}},
		{expr: "GPL-2.0+", normalized: "GPL-2.0+", terms: []Term{{License: "GPL-2.0-or-later"}}},
		{
			expr:       "(MIT AND LicenseRef-Gemma) OR Apache-2.0",
			normalized: "MIT AND LicenseRef-Gemma OR Apache-2.0",
			terms:      []Term{{License: "Apache-2.0"}, {License: "LicenseRef-Gemma"}, {License: "MIT"}},
		},
		{
			expr:    "Apache 2.0",
			wantErr: []string{`"Apache 2.0" is not a valid SPDX license expression: use the SPDX id "Apache-2.0" (see https://spdx.org/licenses/)`},
		},
		{expr: "Apache License, Version 2.0", wantErr: []string{`use the SPDX id "Apache-2.0"`}},
		{expr: "MIT License", wantErr: []string{`use the SPDX id "MIT"`}},
		{expr: "Mozilla Public License 2.0", wantErr: []string{`use the SPDX id "MPL-2.0"`}},
		{expr: "mit or apache 2.0", wantErr: []string{`use "MIT OR Apache-2.0"`}},
		{expr: "LicenseRef-Llama 3.1", wantErr: []string{`use "LicenseRef-Llama-3.1" for a license that is not on the SPDX list`}},
		{expr: "", wantErr: []string{`"" is not a valid SPDX license expression (it is empty)`, "LicenseRef-<name>"}},
		{expr: "MIT OR", wantErr: []string{`"MIT OR" is not a valid SPDX license expression (expected expression following OR`, "joined by AND, OR or WITH"}},
		{expr: "Llama 3.1 Community License", wantErr: []string{"unknown license", `"LicenseRef-<name>"`}},
		{expr: "(MIT", wantErr: []string{"open parenthesis"}},
		{expr: "MIT WITH Classpath", wantErr: []string{"not a valid SPDX license expression"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := ParseExpression(tt.expr)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("ParseExpression(%q) = %+v, want an error", tt.expr, got)
				}
				var ee *ExpressionError
				if !errors.As(err, &ee) {
					t.Errorf("error %T, want *ExpressionError", err)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseExpression(%q): %v", tt.expr, err)
			}
			if got.Source != tt.expr || got.Normalized != tt.normalized || !slices.Equal(got.Terms, tt.terms) {
				t.Errorf("ParseExpression(%q) = %+v, want normalized %q terms %+v", tt.expr, got, tt.normalized, tt.terms)
			}
		})
	}
}

func newAnalyzer(t testing.TB) *Analyzer {
	t.Helper()
	a, err := NewAnalyzer()
	if err != nil {
		t.Fatalf("NewAnalyzer: %v", err)
	}
	return a
}

var criteria = domain.Criteria{SolicitationID: "sol-1", RiskTier: domain.RiskStandard, ExpectedMonthlyUsers: 900_000}

func TestReviewWeights(t *testing.T) {
	a := newAnalyzer(t)
	llama31 := []string{
		"license.user-cap LicenseRef-Llama-3.1-Community mau_cap",
		"license.acceptable-use LicenseRef-Llama-3.1-Community acceptable_use_policy",
		"license.naming LicenseRef-Llama-3.1-Community naming_requirement",
		"license.termination-on-litigation LicenseRef-Llama-3.1-Community termination_on_litigation",
		"license.government-use LicenseRef-Llama-3.1-Community government_use_notes",
	}
	tests := []struct {
		license         string
		status          domain.LicenseStatus
		selected        []string
		findings        []string // rule and clause of each finding
		needsResolution bool
	}{
		{license: "Apache-2.0", status: domain.LicenseApproved, selected: []string{"Apache-2.0"}, findings: []string{"license.osi-approved Apache-2.0"}},
		{license: "MIT OR Apache-2.0", status: domain.LicenseApproved, selected: []string{"MIT"}, findings: []string{"license.osi-approved MIT OR Apache-2.0"}},
		{
			license:  "Apache-2.0 WITH LLVM-exception",
			status:   domain.LicenseApproved,
			selected: []string{"Apache-2.0 WITH LLVM-exception"},
			findings: []string{"license.osi-approved Apache-2.0 WITH LLVM-exception"},
		},
		{
			license:         "LicenseRef-Llama-3.1-Community",
			status:          domain.LicenseNeedsReview,
			selected:        []string{"LicenseRef-Llama-3.1-Community"},
			findings:        llama31,
			needsResolution: true,
		},
		{license: "CC-BY-3.0", status: domain.LicenseNeedsReview, selected: []string{"CC-BY-3.0"}, findings: []string{"license.needs-review CC-BY-3.0"}, needsResolution: true},
		{
			// NonCommercial: the knowledge base quotes the clause, so it is a deny, not a judgement call.
			license: "CC-BY-NC-4.0", status: domain.LicenseDenied, selected: []string{"CC-BY-NC-4.0"},
			findings: []string{
				"license.needs-review CC-BY-NC-4.0",
				"license.commercial-use CC-BY-NC-4.0 commercial_use",
				"license.government-use CC-BY-NC-4.0 government_use_notes",
			},
			needsResolution: true,
		},
		{license: "GPL-2.0-only AND MIT", status: domain.LicenseApproved, selected: []string{"GPL-2.0-only", "MIT"}, findings: []string{"license.osi-approved GPL-2.0-only AND MIT"}},
		{
			// The OSI-approved branch wins over the custom license.
			license:  "LicenseRef-Llama-3.1-Community OR Apache-2.0",
			status:   domain.LicenseApproved,
			selected: []string{"Apache-2.0"},
			findings: []string{"license.osi-approved LicenseRef-Llama-3.1-Community OR Apache-2.0"},
		},
		{
			// Under AND every license must pass.
			license:  "Apache-2.0 AND LicenseRef-Gemma-Terms-of-Use",
			status:   domain.LicenseNeedsReview,
			selected: []string{"Apache-2.0", "LicenseRef-Gemma-Terms-of-Use"},
			findings: []string{
				"license.acceptable-use LicenseRef-Gemma-Terms-of-Use acceptable_use_policy",
				"license.derivative-restrictions LicenseRef-Gemma-Terms-of-Use derivative_restrictions",
				"license.government-use LicenseRef-Gemma-Terms-of-Use government_use_notes",
			},
			needsResolution: true,
		},
		{
			// A known license to judge is a better reading than an unknown one.
			license:         "CC-BY-3.0 OR LicenseRef-Research-Only",
			status:          domain.LicenseNeedsReview,
			selected:        []string{"CC-BY-3.0"},
			findings:        []string{"license.needs-review CC-BY-3.0"},
			needsResolution: true,
		},
		{
			// On go-spdx's newer SPDX list but not on the vendored one.
			license:         "Hippocratic-3.0-core",
			status:          domain.LicenseNeedsReview,
			selected:        []string{"Hippocratic-3.0-core"},
			findings:        []string{"license.needs-review Hippocratic-3.0-core"},
			needsResolution: true,
		},
		{
			license:  "OpenMDW-1.0",
			status:   domain.LicenseNeedsReview,
			selected: []string{"OpenMDW-1.0"},
			findings: []string{
				"license.needs-review OpenMDW-1.0",
				"license.termination-on-litigation OpenMDW-1.0 termination_on_litigation",
				"license.government-use OpenMDW-1.0 government_use_notes",
			},
			needsResolution: true,
		},
		{
			// Research only: no production use, whatever the reviewer thinks.
			license:  "LicenseRef-Tongyi-Qianwen-Research",
			status:   domain.LicenseDenied,
			selected: []string{"LicenseRef-Tongyi-Qianwen-Research"},
			findings: []string{
				"license.commercial-use LicenseRef-Tongyi-Qianwen-Research commercial_use",
				"license.field-of-use LicenseRef-Tongyi-Qianwen-Research field_of_use_restrictions",
				"license.termination-on-litigation LicenseRef-Tongyi-Qianwen-Research termination_on_litigation",
				"license.derivative-restrictions LicenseRef-Tongyi-Qianwen-Research derivative_restrictions",
				"license.government-use LicenseRef-Tongyi-Qianwen-Research government_use_notes",
			},
			needsResolution: true,
		},
		// A license written as a name (as MOF YAML and CycloneDX allow) is
		// read as the license it names, and says so.
		{license: "Apache 2.0", status: domain.LicenseApproved, selected: []string{"Apache-2.0"},
			findings: []string{"license.named ", "license.osi-approved Apache-2.0"}},
		{
			license: "Llama 3.1 Community License", status: domain.LicenseNeedsReview, selected: []string{"LicenseRef-Llama-3.1-Community"},
			findings: append([]string{"license.named "}, llama31...), needsResolution: true,
		},
		// A name nobody knows is a custom license a reviewer must read.
		{license: "Northwind Research License v2", status: domain.LicenseNeedsReview, selected: []string{"LicenseRef-Northwind-Research-License-v2"},
			findings: []string{"license.named ", "license.unknown LicenseRef-Northwind-Research-License-v2"}, needsResolution: true},
		// Names joined by operators, as a BOM with several license entries reads.
		{license: "(Apache License 2.0) OR (Llama 3.1 Community License)", status: domain.LicenseApproved, selected: []string{"Apache-2.0"},
			findings: []string{"license.named ", "license.osi-approved Apache-2.0 OR LicenseRef-Llama-3.1-Community"}},
		{license: "https://www.apache.org/licenses/LICENSE-2.0", status: domain.LicenseApproved, selected: []string{"Apache-2.0"},
			findings: []string{"license.named ", "license.osi-approved Apache-2.0"}},
		// What is still no expression once the names are read stays invalid.
		{license: "MIT OR", status: domain.LicenseInvalid, findings: []string{"license.invalid-expression "}},
		{license: "Apache 2.0 AND (MIT", status: domain.LicenseInvalid, findings: []string{"license.invalid-expression "}},
		{license: "", status: domain.LicenseMissing, findings: []string{"license.missing weights.license"}},
		// Words that say there is no license, as Model Openness Tool files write them.
		{license: "Undisclosed", status: domain.LicenseMissing, findings: []string{"license.missing weights.license"}},
		{license: "unlicensed", status: domain.LicenseMissing, findings: []string{"license.missing weights.license"}},
		// The Unlicense is a license, not the absence of one.
		{license: "Unlicense", status: domain.LicenseApproved, selected: []string{"Unlicense"}, findings: []string{"license.osi-approved Unlicense"}},
	}
	for _, tt := range tests {
		t.Run(tt.license, func(t *testing.T) {
			r := a.Review(domain.Manifest{Name: "m", Weights: domain.Weights{License: tt.license}}, criteria)
			if len(r.Components) != 1 {
				t.Fatalf("components = %+v, want one", r.Components)
			}
			cl := r.Components[0]
			if cl.Component != WeightsComponent || cl.Status != tt.status || !slices.Equal(cl.Selected, tt.selected) {
				t.Errorf("component = %+v, want %s status %s selected %q", cl, WeightsComponent, tt.status, tt.selected)
			}
			var got []string
			for _, f := range r.Findings {
				got = append(got, f.Rule+" "+f.Evidence.Clause)
				checkFinding(t, f)
			}
			if !slices.Equal(got, tt.findings) {
				t.Errorf("findings = %q, want %q", got, tt.findings)
			}
			if r.NeedsResolution != tt.needsResolution {
				t.Errorf("NeedsResolution = %v, want %v", r.NeedsResolution, tt.needsResolution)
			}
		})
	}
}

// checkFinding holds every finding to the explanation contract: a rule, a
// severity matching the rule, a message naming the component, a source, and a
// fix wherever someone has something to do.
func checkFinding(t *testing.T, f domain.Finding) {
	t.Helper()
	want := map[string]domain.Severity{
		RuleOSIApproved:       domain.SeverityInfo,
		RuleNeedsReview:       domain.SeverityWarn,
		RuleInvalidExpression: domain.SeverityDeny,
		RuleNamedLicense:      domain.SeverityInfo,
		RuleMissing:           domain.SeverityDeny,
		RuleUnknownLicense:    domain.SeverityWarn,
		RuleAcceptableUse:     domain.SeverityWarn,
		RuleNaming:            domain.SeverityWarn,
		RuleCommercialUse:     domain.SeverityDeny,
		RuleLitigation:        domain.SeverityInfo,
		RuleDerivatives:       domain.SeverityInfo,
		RuleGovernmentUse:     domain.SeverityInfo,
	}[f.Rule]
	// These rules take more than one severity.
	if want == "" && f.Rule != RuleUserCap && f.Rule != RuleFieldOfUse && f.Rule != RuleLineage {
		t.Errorf("finding rule %q is not known to the test", f.Rule)
	}
	if want != "" && f.Severity != want {
		t.Errorf("%s has severity %s, want %s", f.Rule, f.Severity, want)
	}
	if f.Source == "" || !strings.Contains(f.Message, f.Evidence.Component) {
		t.Errorf("finding %+v lacks a source or does not name its component", f)
	}
	if f.Severity != domain.SeverityInfo && f.Fix == "" {
		t.Errorf("finding %+v has no fix", f)
	}
}

func TestReviewMessages(t *testing.T) {
	a := newAnalyzer(t)
	find := func(license string) domain.Finding {
		t.Helper()
		r := a.Review(domain.Manifest{Weights: domain.Weights{License: license}}, criteria)
		if len(r.Findings) != 1 {
			t.Fatalf("findings for %q = %+v, want one", license, r.Findings)
		}
		return r.Findings[0]
	}

	llama := find("LicenseRef-Northwind-Research-Only")
	for _, want := range []string{"Model parameters (Final)", "LicenseRef-Northwind-Research-Only", "not on the SPDX list"} {
		if !strings.Contains(llama.Message, want) {
			t.Errorf("message %q does not contain %q", llama.Message, want)
		}
	}
	for _, want := range []string{"license resolution task", "900000 monthly users", `"LicenseRef-Northwind-Research-Only OR Apache-2.0"`} {
		if !strings.Contains(llama.Fix, want) {
			t.Errorf("fix %q does not contain %q", llama.Fix, want)
		}
	}

	nc := find("CC-BY-3.0")
	if !strings.Contains(nc.Message, "Creative Commons Attribution 3.0 Unported") ||
		!strings.Contains(nc.Fix, "https://creativecommons.org/licenses/by/3.0/legalcode") {
		t.Errorf("finding %+v should name the license and link its text", nc)
	}

	invalid := find("Apache-2.0 OR")
	if !strings.HasPrefix(invalid.Message, `Model parameters (Final): "Apache-2.0 OR" is not a valid SPDX license expression`) || invalid.Fix == "" {
		t.Errorf("invalid finding = %+v", invalid)
	}

	deprecated := find("GPL-2.0")
	if !strings.Contains(deprecated.Message, "GPL-2.0 is a deprecated SPDX id") {
		t.Errorf("message %q should note the deprecated id", deprecated.Message)
	}
}

func TestReviewComponents(t *testing.T) {
	a := newAnalyzer(t)
	m := domain.Manifest{
		Name:    "Llama-3.1-8B-Instruct",
		Weights: domain.Weights{License: "LicenseRef-Northwind-Research-Only"},
		Components: []domain.Component{
			{Name: "Model parameters (Final)", License: "LicenseRef-Northwind-Research-Only", Included: true},
			{Name: "Inference code", License: "MIT", Included: true},
			{Name: "Training code", License: "Apache-2.0", Included: false},
			{Name: "Datasets", Included: true},
			{Name: "Model card", License: "CC-BY 4.0", Included: true},
		},
	}
	r := a.Review(m, criteria)
	var got []string
	for _, c := range r.Components {
		got = append(got, c.Component+"="+string(c.Status))
	}
	want := []string{"Model parameters (Final)=needs-review", "Inference code=approved", "Model card=approved"}
	if !slices.Equal(got, want) {
		t.Errorf("components = %q, want %q", got, want)
	}
	var rules []string
	for _, f := range r.Findings {
		rules = append(rules, f.Evidence.Component+" "+f.Rule)
	}
	wantRules := []string{
		"Model parameters (Final) license.unknown",
		"Inference code license.osi-approved",
		"Model card license.named",
		"Model card license.open-content",
	}
	if !slices.Equal(rules, wantRules) {
		t.Errorf("findings = %q, want %q", rules, wantRules)
	}
	if !r.NeedsResolution {
		t.Error("NeedsResolution = false, want true")
	}
	if again := a.Review(m, criteria); !slices.Equal(again.Findings, r.Findings) {
		t.Error("two reviews of one manifest differ")
	}
}

func TestValidateManifestLicenses(t *testing.T) {
	m := domain.Manifest{
		Weights: domain.Weights{License: "Apache 2.0"},
		Components: []domain.Component{
			{Name: "Training code", License: "Apache-2.0", Included: true},
			{Name: "Datasets", Included: false},
			{Name: "Evaluation code", License: "MIT OR", Included: false},
		},
	}
	got := ValidateManifestLicenses(m)
	if len(got) != 2 || got[0].Path != "weights.license" || got[1].Path != "components[2].license" {
		t.Fatalf("errors = %+v, want weights.license and components[2].license", got)
	}
	if !strings.Contains(got[0].Message, `use the SPDX id "Apache-2.0"`) {
		t.Errorf("message %q should suggest the SPDX id", got[0].Message)
	}

	if got := ValidateManifestLicenses(domain.Manifest{}); len(got) != 1 || !strings.Contains(got[0].Message, "weights license is required") {
		t.Errorf("no weights license: errors = %+v", got)
	}

	valid := domain.Manifest{Weights: domain.Weights{License: "LicenseRef-Llama-3.1-Community"}, Components: m.Components[:2]}
	if got := ValidateManifestLicenses(valid); got != nil {
		t.Errorf("valid manifest: errors = %+v", got)
	}
}

func BenchmarkReview(b *testing.B) {
	a := newAnalyzer(b)
	m := domain.Manifest{
		Weights: domain.Weights{License: "LicenseRef-Llama-3.1-Community OR Apache-2.0"},
		Components: []domain.Component{
			{Name: "Inference code", License: "MIT OR Apache-2.0", Included: true},
			{Name: "Training code", License: "Apache-2.0 WITH LLVM-exception", Included: true},
			{Name: "Model card", License: "CC-BY-4.0", Included: true},
			{Name: "Datasets", License: "CC-BY-NC-4.0 AND ODC-By-1.0", Included: true},
		},
	}
	b.ReportAllocs()
	for b.Loop() {
		a.Review(m, criteria)
	}
}

func BenchmarkParseExpressionInvalid(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseExpression("Apache 2.0"); err == nil {
			b.Fatal("want an error")
		}
	}
}

// Open content licenses pass on documentation and data, not on code or weights.
func TestReviewOpenContentLicenses(t *testing.T) {
	a := newAnalyzer(t)
	m := domain.Manifest{
		Weights: domain.Weights{License: "CC-BY-4.0"},
		Components: []domain.Component{
			{Name: "Data card", License: "CC-BY-4.0", Included: true},
			{Name: "Datasets", License: "CDLA-Permissive-2.0", Included: true},
			{Name: "Training code", License: "CC-BY-4.0", Included: true},
		},
	}
	r := a.Review(m, criteria)
	var got []string
	for _, c := range r.Components {
		got = append(got, c.Component+"="+string(c.Status))
	}
	want := []string{"Model parameters (Final)=needs-review", "Data card=approved", "Datasets=approved", "Training code=needs-review"}
	if !slices.Equal(got, want) {
		t.Errorf("components = %q, want %q", got, want)
	}
	for _, f := range r.Findings {
		if f.Evidence.Component == "Data card" && f.Rule != RuleOpenContent {
			t.Errorf("data card finding %s, want %s", f.Rule, RuleOpenContent)
		}
	}
}

func TestNormalize(t *testing.T) {
	a := newAnalyzer(t)
	m := domain.Manifest{
		Weights: domain.Weights{License: "Apache 2.0"},
		Components: []domain.Component{
			{Name: "Model card", License: "CC-BY-4.0"},          // already the SPDX id
			{Name: "Training code", License: "mit"},             // valid, spelled otherwise
			{Name: "Data card", License: "Apache 2.0"},          // repeated
			{Name: "Inference code", License: "no idea at all"}, // nothing resolves it
			{Name: "Research paper", License: ""},               // none given
		},
	}
	want := map[string]string{"Apache 2.0": "Apache-2.0", "mit": "MIT"}
	if got := a.Normalize(m); !maps.Equal(got, want) {
		t.Errorf("Normalize = %v, want %v", got, want)
	}
}
