package licensing

import (
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

// An expression is parsed only within the license field's length, a
// nesting depth and the text rules; past them the error says which bound.
func TestExpressionBounds(t *testing.T) {
	atLimit := "LicenseRef-" + strings.Repeat("x", 500-len("LicenseRef-"))
	for _, ok := range []string{atLimit, strings.Repeat("(", 8) + "MIT" + strings.Repeat(")", 8)} {
		if _, err := ParseExpression(ok); err != nil {
			t.Errorf("ParseExpression(%.40q…) = %v", ok, err)
		}
	}
	for expr, want := range map[string]string{
		atLimit + "y": "501 characters long, at most 500 allowed",
		strings.Repeat("(", 9) + "MIT" + strings.Repeat(")", 9): "nest more than 8 deep",
		"MIT\x00":   "NUL",
		"MIT\xff":   "not valid UTF-8",
		"MIT\u0085": "U+0085",
	} {
		_, err := ParseExpression(expr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseExpression(%.40q…) = %v, want %q", expr, err, want)
		}
	}
	fields := ValidateManifestLicenses(domain.Manifest{Weights: domain.Weights{License: "MIT"},
		Components: []domain.Component{{Name: "Training code", License: atLimit + "y"}}})
	if len(fields) != 1 || fields[0].Path != "components[0].license" {
		t.Errorf("ValidateManifestLicenses: %+v", fields)
	}
}

// A license text over the limit is refused by a finding, not read.
func TestLicenseTextTooLong(t *testing.T) {
	a := newAnalyzer(t)
	long := strings.Repeat("You may not use the Work. ", 8000) // 208,000 characters
	r := a.Review(domain.Manifest{Weights: domain.Weights{License: "LicenseRef-Vendor", LicenseText: long}}, criteria)
	var found bool
	for _, f := range r.Findings {
		found = found || (f.Rule == RuleTextTooLong && f.Severity == domain.SeverityDeny && strings.Contains(f.Message, "208000 characters"))
	}
	if !found || r.Components[0].Text != nil {
		t.Errorf("findings %+v, text %+v", r.Findings, r.Components[0].Text)
	}
	x := a.Explain("", long, criteria)
	if len(x.Findings) != 1 || x.Findings[0].Rule != RuleTextTooLong || x.Text != nil {
		t.Errorf("Explain: %+v", x)
	}
}
