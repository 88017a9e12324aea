// Package license reviews the licenses of a candidate model: it parses the
// SPDX license expression of the weights and of every MOF component, looks
// each license up in the SPDX license list vendored in policies/data, and
// explains the outcome as findings. It also validates the expressions of a
// bid at submission, so a malformed one is refused before it is stored.
//
// Foundation level: a license passes when it is OSI-approved, or, for
// documentation and data components, an open content or open data license
// (the Model Openness Framework accepts those there); everything else (not open, LicenseRef- custom licenses such as the Llama
// community licenses, ids the vendored list does not know) goes to a
// reviewer. Curated facts about AI model licenses come later.
package license

import (
	"errors"
	"fmt"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
)

// WeightsComponent is the MOF component the manifest's weights are.
const WeightsComponent = "Model parameters (Final)"

// Rule ids of the findings a review produces.
const (
	RuleOSIApproved       = "license.osi-approved"
	RuleOpenContent       = "license.open-content"
	RuleNeedsReview       = "license.needs-review"
	RuleInvalidExpression = "license.invalid-expression"
	RuleMissing           = "license.missing"
)

// Status is the outcome of reviewing one component's license.
type Status string

const (
	StatusApproved    Status = "approved"     // an OSI-approved reading of the expression exists
	StatusNeedsReview Status = "needs-review" // a reviewer must resolve it
	StatusInvalid     Status = "invalid"      // not a valid SPDX expression
	StatusMissing     Status = "missing"      // no license given
)

// openContentLicenses are the open data and documentation licenses the Model
// Openness Framework accepts for non-code components, by SPDX id.
var openContentLicenses = map[string]bool{
	"CC-BY-4.0": true, "CC-BY-SA-4.0": true, "CC0-1.0": true,
	"CDLA-Permissive-1.0": true, "CDLA-Permissive-2.0": true, "CDLA-Sharing-1.0": true,
	"ODC-By-1.0": true, "ODbL-1.0": true, "PDDL-1.0": true, "OpenMDW-1.0": true,
}

// contentComponents are the MOF components that are documentation or data,
// not code or parameters.
var contentComponents = map[string]bool{
	"Datasets": true, "Evaluation data": true, "Evaluation results": true, "Model metadata": true,
	"Model card": true, "Data card": true, "Technical report": true, "Research paper": true,
	"Sample model outputs": true,
}

// Analyzer reviews licenses against the vendored SPDX license list. It is
// read-only after NewAnalyzer and safe for concurrent use.
type Analyzer struct {
	version  string
	licenses map[string]licenseFacts
}

// NewAnalyzer loads the vendored SPDX license list.
func NewAnalyzer() (*Analyzer, error) {
	list, err := loadList()
	if err != nil {
		return nil, fmt.Errorf("license analyzer: %w", err)
	}
	a := &Analyzer{version: list.Version, licenses: make(map[string]licenseFacts, len(list.Licenses))}
	for _, l := range list.Licenses {
		a.licenses[l.ID] = l
	}
	return a, nil
}

// Report is the license review of one manifest.
type Report struct {
	Components []ComponentLicense `json:"components"`
	// Findings come in review order: weights first, then components in
	// manifest order, each component's licenses sorted.
	Findings []domain.Finding `json:"findings"`
	// NeedsResolution is set when a reviewer must resolve at least one license.
	NeedsResolution bool `json:"needs_resolution"`
}

// ComponentLicense is the review of one component's license expression.
type ComponentLicense struct {
	Component  string `json:"component"`
	Expression string `json:"expression"`
	// Normalized is the expression as the SPDX list spells it; empty when invalid.
	Normalized string `json:"normalized,omitempty"`
	Status     Status `json:"status"`
	// Selected are the open licenses the agency can take the
	// component under (one OR branch); set only when Status is approved.
	Selected []string `json:"selected,omitempty"`
}

// Review reviews the weights' license and the license of every included
// component that has one. c supplies what a reviewer weighs a custom license
// against (expected monthly users).
func (a *Analyzer) Review(m domain.Manifest, c domain.Criteria) Report {
	r := Report{Components: []ComponentLicense{}, Findings: []domain.Finding{}}
	if strings.TrimSpace(m.Weights.License) == "" {
		r.Components = append(r.Components, ComponentLicense{Component: WeightsComponent, Status: StatusMissing})
		r.Findings = append(r.Findings, domain.Finding{
			Rule:     RuleMissing,
			Severity: domain.SeverityDeny,
			Message:  "the model weights (" + WeightsComponent + ") have no license, so the agency has no right to use them",
			Evidence: domain.Evidence{Component: WeightsComponent, Clause: "weights.license"},
			Source:   "SPDX License Expressions; MOF component " + WeightsComponent,
			Fix:      `State the license of the weights in weights.license as an SPDX expression, e.g. "Apache-2.0", or "LicenseRef-<name>" with the license text for a custom license.`,
		})
	} else {
		a.reviewComponent(&r, WeightsComponent, m.Weights.License, c)
	}
	for _, comp := range m.Components {
		if !comp.Included || strings.TrimSpace(comp.License) == "" {
			continue
		}
		if comp.Name == WeightsComponent && comp.License == m.Weights.License {
			continue // reviewed above as the weights
		}
		a.reviewComponent(&r, comp.Name, comp.License, c)
	}
	return r
}

func (a *Analyzer) reviewComponent(r *Report, component, license string, c domain.Criteria) {
	expr, err := ParseExpression(license)
	if err != nil {
		r.Components = append(r.Components, ComponentLicense{Component: component, Expression: license, Status: StatusInvalid})
		r.Findings = append(r.Findings, invalidExpression(component, license, err))
		return
	}
	cl := ComponentLicense{Component: component, Expression: license, Normalized: expr.Normalized}
	if selected := a.openReading(component, expr); len(selected) > 0 {
		cl.Status = StatusApproved
		for _, t := range selected {
			cl.Selected = append(cl.Selected, t.String())
		}
		r.Components = append(r.Components, cl)
		r.Findings = append(r.Findings, a.approved(component, expr, selected))
		return
	}
	cl.Status = StatusNeedsReview
	r.Components = append(r.Components, cl)
	r.NeedsResolution = true
	for _, t := range expr.Terms {
		if !a.open(component, t) {
			r.Findings = append(r.Findings, a.needsReview(component, expr, t, c))
		}
	}
}

// openReading returns the fewest open terms that satisfy expr (the OR branch
// most permissive for the agency), or nil when no branch is made only of
// open licenses.
func (a *Analyzer) openReading(component string, expr *Expression) []Term {
	var approved []Term
	for _, t := range expr.Terms {
		if a.open(component, t) {
			approved = append(approved, t)
		}
	}
	if !expr.satisfiedBy(approved) {
		return nil
	}
	// Drop each term the expression can do without, so "MIT OR Apache-2.0"
	// reports the one license the agency relies on.
	for i := 0; i < len(approved); {
		rest := append(approved[:i:i], approved[i+1:]...)
		if expr.satisfiedBy(rest) {
			approved = rest
		} else {
			i++
		}
	}
	return approved
}

// osiApproved reports whether t is an SPDX license the OSI approved; custom
// licenses are not on the list. An SPDX exception only adds permissions, so
// it does not change the answer.
func (a *Analyzer) osiApproved(t Term) bool {
	return a.licenses[t.License].OSIApproved
}

// open reports whether t is an open license for the component: OSI-approved
// anywhere, or an open content license on documentation and data.
func (a *Analyzer) open(component string, t Term) bool {
	return a.osiApproved(t) || (contentComponents[component] && openContentLicenses[t.License])
}

func (a *Analyzer) approved(component string, expr *Expression, selected []Term) domain.Finding {
	var names, deprecated []string
	osi := true
	for _, t := range selected {
		names = append(names, t.String())
		osi = osi && a.osiApproved(t)
		if a.licenses[t.License].Deprecated {
			deprecated = append(deprecated, t.License)
		}
	}
	rule, message, source := RuleOSIApproved,
		fmt.Sprintf("%s: the agency can use it under %s, which the OSI approved", component, strings.Join(names, " AND ")),
		fmt.Sprintf("SPDX License List %s (OSI-approved)", a.version)
	if !osi {
		rule = RuleOpenContent
		message = fmt.Sprintf("%s: the agency can use it under %s, an open content license accepted for documentation and data", component, strings.Join(names, " AND "))
		source = "Model Openness Framework: open data and documentation licenses"
	}
	if len(deprecated) > 0 {
		message += fmt.Sprintf("; %s is a deprecated SPDX id", strings.Join(deprecated, ", "))
	}
	return domain.Finding{
		Rule:     rule,
		Severity: domain.SeverityInfo,
		Message:  message,
		Evidence: domain.Evidence{Component: component, Clause: expr.Normalized},
		Source:   source,
	}
}

// useTerms is what a reviewer checks a license against.
func useTerms(c domain.Criteria) string {
	return fmt.Sprintf("commercial and government use, any user cap against the expected %d monthly users, "+
		"acceptable-use policy, field-of-use limits, attribution, termination", c.ExpectedMonthlyUsers)
}

func (a *Analyzer) needsReview(component string, expr *Expression, t Term, c domain.Criteria) domain.Finding {
	alternative := fmt.Sprintf(`offer the component under an OSI-approved license as well, e.g. "%s OR Apache-2.0"`, expr.Normalized)
	if strings.Contains(expr.Normalized, " ") {
		alternative = fmt.Sprintf(`offer the component under an OSI-approved license as well, e.g. "(%s) OR Apache-2.0"`, expr.Normalized)
	}
	f := domain.Finding{
		Rule:     RuleNeedsReview,
		Severity: domain.SeverityWarn,
		Evidence: domain.Evidence{Component: component, Clause: t.String(), Quote: expr.Source},
	}
	facts, known := a.licenses[t.License]
	switch {
	case t.Custom():
		f.Message = fmt.Sprintf("%s is licensed under %s, a license that is not on the SPDX list; a reviewer must read its terms", component, t.License)
		f.Source = "SPDX License Expressions: LicenseRef- (license not on the SPDX list)"
		f.Fix = fmt.Sprintf("Reviewer: read the license text and decide in the license resolution task whether it permits the intended use (%s). Vendor: give the location of the license text, or %s.", useTerms(c), alternative)
	case known:
		f.Message = fmt.Sprintf("%s is licensed under %s (%s), which is on the SPDX list but not OSI-approved; a reviewer must check its terms", component, t.License, facts.Name)
		f.Source = fmt.Sprintf("SPDX License List %s (not OSI-approved)", a.version)
		f.Fix = fmt.Sprintf("Reviewer: read the license at %s and decide in the license resolution task whether it permits the intended use (%s). Vendor: %s.", facts.URL, useTerms(c), alternative)
	default:
		f.Message = fmt.Sprintf("%s is licensed under %s, an SPDX id that the vendored SPDX License List %s does not describe, so whether the OSI approved it is unknown", component, t.License, a.version)
		f.Source = fmt.Sprintf("SPDX License List %s (id not listed)", a.version)
		f.Fix = fmt.Sprintf("Reviewer: look the license up at %s%s.html and decide in the license resolution task (%s). Maintainers: vendor a newer SPDX list into policies/data/spdx-licenses.json.", spdxListURL, t.License, useTerms(c))
	}
	return f
}

func invalidExpression(component, license string, err error) domain.Finding {
	what, fix := err.Error(), ""
	var ee *ExpressionError
	if errors.As(err, &ee) {
		what, fix = ee.What(), ee.Fix()
	}
	return domain.Finding{
		Rule:     RuleInvalidExpression,
		Severity: domain.SeverityDeny,
		Message:  fmt.Sprintf("%s: %s", component, what),
		Evidence: domain.Evidence{Component: component, Quote: license},
		Source:   "SPDX License Expressions (SPDX specification, Annex D)",
		Fix:      capitalize(fix),
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// FieldError is an invalid license field of a manifest.
type FieldError struct {
	// Path is the JSON path of the field within the manifest, e.g.
	// "weights.license" or "components[2].license"; callers that hold the
	// manifest inside a larger document prefix it ("candidates[0]." + Path).
	Path    string `json:"path"`
	Message string `json:"message"`
}

// ValidateManifestLicenses checks, before a bid is stored, that the weights
// have a license and that every license field is a valid SPDX expression.
// It returns nil when all are valid.
func ValidateManifestLicenses(m domain.Manifest) []FieldError {
	var errs []FieldError
	if strings.TrimSpace(m.Weights.License) == "" {
		errs = append(errs, FieldError{
			Path: "weights.license",
			Message: fmt.Sprintf(`the weights license is required: give the SPDX license expression the weights are offered under, e.g. "Apache-2.0", `+
				`or "LicenseRef-<name>" for a license that is not on the SPDX list (see %s)`, spdxListURL),
		})
	} else if _, err := ParseExpression(m.Weights.License); err != nil {
		errs = append(errs, FieldError{Path: "weights.license", Message: err.Error()})
	}
	for i, c := range m.Components {
		if c.License == "" {
			continue // a component may be offered without a license; openness scoring counts that
		}
		if _, err := ParseExpression(c.License); err != nil {
			errs = append(errs, FieldError{Path: fmt.Sprintf("components[%d].license", i), Message: err.Error()})
		}
	}
	return errs
}
