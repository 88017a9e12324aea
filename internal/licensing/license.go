// Package licensing reviews the licenses of a candidate model the way a
// careful license counsel would for the agency. It owns the license
// knowledge base vendored in policies/data (the SPDX license list, and
// curated clause facts with quotes for AI model licenses such as the Llama
// community licenses, Gemma, Tongyi Qianwen, DeepSeek and the RAIL family),
// the parsing of SPDX expressions, the identification of license texts a
// vendor attaches, and the findings that explain each clause against the
// solicitation (user caps, acceptable use, naming duties, litigation,
// government use).
//
// A license passes without a reviewer when it is OSI-approved, or, for
// documentation and data, an open content license, or when its clause facts
// raise nothing to judge; a disqualifying clause (no commercial use) is a
// deny; everything else, including licenses the knowledge base does not
// know, goes to a reviewer, keyed so that the decision can be offered again
// for the same license text (see Resolvable).
package licensing

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/inputguard"
	"github.com/modeltender/modeltender/policies"
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
	RuleNamedLicense      = "license.named"
)

// openContentLicenses are the open data and documentation licenses the Model
// Openness Framework accepts for non-code components, by SPDX id; and
// OpenMDW 1.1, which is not on the SPDX list yet and differs from 1.0 only
// in ending the grant on copyright as well as patent suits.
var openContentLicenses = map[string]bool{
	"CC-BY-4.0": true, "CC-BY-SA-4.0": true, "CC0-1.0": true,
	"CDLA-Permissive-1.0": true, "CDLA-Permissive-2.0": true, "CDLA-Sharing-1.0": true,
	"ODC-By-1.0": true, "ODbL-1.0": true, "PDDL-1.0": true, "OpenMDW-1.0": true, "LicenseRef-OpenMDW-1.1": true,
}

// contentComponents are the MOF components that are documentation or data,
// not code or parameters.
var contentComponents = map[string]bool{
	"Datasets": true, "Evaluation data": true, "Evaluation results": true, "Model metadata": true,
	"Model card": true, "Data card": true, "Technical report": true, "Research paper": true,
	"Sample model outputs": true,
}

// Analyzer reviews licenses against the vendored SPDX license list and the
// curated knowledge base. It is read-only after NewAnalyzer and safe for
// concurrent use.
type Analyzer struct {
	version  string
	licenses map[string]licenseFacts
	kb       *knowledge
	useCases []UseCase
	families map[string]family // by aliasKey of the identifier
	// baseModels is the base-model table lineage reads, in match order.
	baseModels []baseModel
}

// NewAnalyzer loads the vendored SPDX license list and the license
// knowledge base with its texts. With policies.Dir, each of those files is
// read from the policy directory's data/ when it has one and from the
// embedded bundle otherwise (see policies.Data), so a directory that only
// changes the Rego keeps the embedded knowledge base.
func NewAnalyzer(opts ...policies.Option) (*Analyzer, error) {
	data := policies.Data(opts...)
	list, err := loadList(data)
	if err != nil {
		return nil, fmt.Errorf("license analyzer: %w", err)
	}
	kb, err := loadKnowledge(data, list)
	if err != nil {
		return nil, fmt.Errorf("license analyzer: %w", err)
	}
	useCases, err := loadUseCases(data)
	if err != nil {
		return nil, fmt.Errorf("license analyzer: %w", err)
	}
	if err := checkRestrictions(kb.entries, useCases); err != nil {
		return nil, fmt.Errorf("license analyzer: %w", err)
	}
	aliases, err := loadLicenseAliases(data)
	if err != nil {
		return nil, fmt.Errorf("license analyzer: %w", err)
	}
	a := &Analyzer{version: list.Version, licenses: make(map[string]licenseFacts, len(list.Licenses)), kb: kb, useCases: useCases,
		families: map[string]family{}}
	for key, f := range aliases.Families {
		a.families[aliasKey(key)] = f
	}
	for _, l := range list.Licenses {
		a.licenses[l.ID] = l
	}
	if a.baseModels, err = loadBaseModels(data); err != nil {
		return nil, fmt.Errorf("license analyzer: %w", err)
	}
	return a, nil
}

// Review reviews the weights' license and the license of every included
// component that has one. c supplies what a reviewer weighs a custom license
// against (expected monthly users).
func (a *Analyzer) Review(m domain.Manifest, c domain.Criteria) domain.LicenseReport {
	r := domain.LicenseReport{Components: []domain.ComponentLicense{}, Findings: []domain.Finding{}}
	if noLicense(m.Weights.License) {
		r.Components = append(r.Components, domain.ComponentLicense{Component: WeightsComponent, Expression: m.Weights.License, Status: domain.LicenseMissing})
		r.Findings = append(r.Findings, domain.Finding{
			Rule:     RuleMissing,
			Severity: domain.SeverityDeny,
			Message:  "the model weights (" + WeightsComponent + ") have no license, so the agency has no right to use them",
			Evidence: domain.Evidence{Component: WeightsComponent, Clause: "weights.license", Quote: m.Weights.License},
			Source:   "SPDX License Expressions; MOF component " + WeightsComponent,
			Fix:      `State the license of the weights in weights.license as an SPDX expression, e.g. "Apache-2.0", or "LicenseRef-<name>" with the license text for a custom license.`,
		})
	} else {
		a.reviewComponent(&r, WeightsComponent, m.Weights.License, m.Weights.LicenseText, c)
	}
	for _, comp := range m.Components {
		if !comp.Included || noLicense(comp.License) {
			continue
		}
		if comp.Name == WeightsComponent && comp.License == m.Weights.License {
			continue // reviewed above as the weights
		}
		a.reviewComponent(&r, comp.Name, comp.License, comp.LicenseText, c)
	}
	a.reviewLineage(&r, m, c)
	return r
}

func (a *Analyzer) reviewComponent(r *domain.LicenseReport, component, license, text string, c domain.Criteria) {
	expr, err := ParseExpression(license)
	var named *domain.Finding
	var ee *ExpressionError
	if err != nil {
		if errors.As(err, &ee) && ee.outOfBounds {
			r.Components = append(r.Components, domain.ComponentLicense{Component: component, Expression: license, Status: domain.LicenseInvalid})
			r.Findings = append(r.Findings, invalidExpression(component, license, err))
			return
		}
		if expr, named = a.readName(component, license); expr == nil {
			r.Components = append(r.Components, domain.ComponentLicense{Component: component, Expression: license, Status: domain.LicenseInvalid})
			r.Findings = append(r.Findings, invalidExpression(component, license, err))
			return
		}
	}
	cl := domain.ComponentLicense{Component: component, Expression: license, Normalized: expr.Normalized}
	var textFindings []clauseFinding
	if strings.TrimSpace(text) != "" {
		if f := textTooLong(component, text); f != nil {
			textFindings = []clauseFinding{{clause: ClauseLicense, finding: *f}}
		} else {
			match := a.kb.matchText(text)
			cl.Text = &match
			textFindings = a.textFindings(component, expr, match)
		}
	}
	reviews := map[Term]termReview{}
	for _, t := range expr.Terms {
		reviews[t] = a.reviewTerm(component, expr, t, c)
	}
	selected := expr.reading(func(t Term) int { return reviews[t].cost })
	for _, t := range selected {
		cl.Selected = append(cl.Selected, t.String())
	}
	var findings []clauseFinding
	open := true
	for _, t := range selected {
		open = open && a.open(component, t)
		findings = append(findings, reviews[t].findings...)
	}
	findings = append(findings, textFindings...)
	if open {
		findings = append([]clauseFinding{{clause: ClauseLicense, finding: a.approved(component, expr, selected)}}, findings...)
	}
	if named != nil {
		findings = append([]clauseFinding{{clause: ClauseLicense, finding: *named}}, findings...)
	}
	cl.Status = domain.LicenseApproved
	for _, f := range findings {
		switch f.finding.Severity {
		case domain.SeverityDeny:
			cl.Status = domain.LicenseDenied
		case domain.SeverityWarn:
			if cl.Status == domain.LicenseApproved {
				cl.Status = domain.LicenseNeedsReview
			}
			r.NeedsResolution = true
			r.Resolvable = append(r.Resolvable, domain.Resolvable{Key: a.resolutionKey(selected, cl.Text, f.clause, c), Finding: f.finding})
		}
		r.Findings = append(r.Findings, f.finding)
	}
	r.Components = append(r.Components, cl)
}

// termReview is what one license of an expression means for the agency.
type termReview struct {
	findings []clauseFinding
	// cost orders licenses for the agency: 0 when there is nothing to
	// judge, else one of the cost constants.
	cost int
}

func (a *Analyzer) reviewTerm(component string, expr *Expression, t Term, c domain.Criteria) termReview {
	if a.open(component, t) {
		return termReview{}
	}
	var findings []clauseFinding
	e := a.kb.byName(t.License)
	if e == nil || !t.Custom() {
		// A standard license that is not open for this component still goes
		// to a reviewer; the knowledge base adds what its clauses say.
		findings = append(findings, clauseFinding{clause: ClauseLicense, finding: a.needsReview(component, expr, t, c)})
	}
	if e != nil {
		findings = append(findings, clauseFindings(component, e, c)...)
		findings = append(findings, a.useFindings(component, e, c)...)
	}
	tr := termReview{findings: findings}
	for _, f := range findings {
		switch {
		case f.finding.Severity == domain.SeverityDeny:
			tr.cost = max(tr.cost, costDeny)
		case f.finding.Rule == RuleUnknownLicense:
			tr.cost = max(tr.cost, costUnknown)
		case f.finding.Severity == domain.SeverityWarn:
			tr.cost = max(tr.cost, costReview)
		}
	}
	return tr
}

// maxReadingORs bounds the work of picking an OR branch (see reading).
const maxReadingORs = 8

// Costs of a license for the agency, to pick the most permissive OR branch:
// a known license to judge beats an unknown one, and both beat one that
// disqualifies.
const (
	costReview  = 1
	costUnknown = 2
	costDeny    = 3
)

// reading returns the terms of one OR branch that satisfies e, chosen to be
// the most permissive for the agency: it drops the costliest terms first as
// long as the rest still satisfy e, so "Apache-2.0 OR LicenseRef-x" keeps
// Apache-2.0 and "MIT OR Apache-2.0" reports the one license relied on.
//
// go-spdx decides satisfaction by expanding the expression into its OR
// branches, which grows exponentially with the number of ORs; beyond
// maxReadingORs the reading is every license, so a reviewer sees them all.
func (e *Expression) reading(cost func(Term) int) []Term {
	terms := slices.Clone(e.Terms)
	if strings.Count(e.Normalized, " OR ") > maxReadingORs {
		return terms
	}
	slices.SortStableFunc(terms, func(a, b Term) int { return cost(b) - cost(a) })
	for i := 0; i < len(terms); {
		rest := append(terms[:i:i], terms[i+1:]...)
		if e.satisfiedBy(rest) {
			terms = rest
		} else {
			i++
		}
	}
	slices.SortFunc(terms, func(a, b Term) int { return strings.Compare(a.String(), b.String()) })
	return terms
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
		f.Rule = RuleUnknownLicense
		f.Message = fmt.Sprintf("%s is licensed under %s, a license that is not on the SPDX list and unknown to modeltender's license knowledge base; a reviewer must read its terms", component, t.License)
		f.Source = "SPDX License Expressions: LicenseRef- (license not on the SPDX list); modeltender license knowledge base " + a.kb.version
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

// noLicense reports a license that is absent, or written as a word that
// says there is none to read ("unlicensed", "undisclosed", as Model
// Openness Tool files write): the agency has no licence to rely on.
func noLicense(license string) bool {
	switch aliasKey(license) {
	case "", "unlicensed", "undisclosed", "notdisclosed", "unknown", "none", "na", "notspecified", "noassertion":
		return true
	}
	return false
}

// readName reads a license written with names rather than SPDX ids, as
// the Model Openness Tool's YAML and CycloneDX's license name allow
// ("Llama 3.1 Community License", "(Apache 2.0) AND (MIT)"): each name
// between the operators (upper-case AND, OR, WITH) and parentheses that the
// knowledge base or the SPDX list knows, by name, alias or URL, is read as
// that license; any other as a custom license of that name, which a
// reviewer must read. The finding says how it was read. When the result is
// still not an expression ("MIT OR"), it returns nil: the license is invalid.
func (a *Analyzer) readName(component, license string) (*Expression, *domain.Finding) {
	var read, unknown, families []string
	written, _ := rewriteNames(license, func(word string) (string, bool) {
		switch word {
		case "AND", "OR", "WITH", "(", ")":
			return word, true
		}
		return "", false
	}, func(name string) (string, bool) {
		id := a.resolve(name)
		if f, ok := a.family(name); ok && id == "" {
			id = "LicenseRef-" + refIDString(name)
			families = append(families, f.fix(name))
		} else if id == "" {
			id = "LicenseRef-" + refIDString(name)
			unknown = append(unknown, id)
		}
		if id != name {
			read = append(read, fmt.Sprintf("%q as %s", name, id))
		}
		if strings.Contains(id, " ") {
			id = "(" + id + ")"
		}
		return id, true
	})
	expr, err := ParseExpression(written)
	if err != nil || len(read) == 0 {
		return nil, nil
	}
	f := domain.Finding{
		Rule: RuleNamedLicense, Severity: domain.SeverityInfo,
		Evidence: domain.Evidence{Component: component, Quote: license},
		Message: fmt.Sprintf("%s: the license is written %q rather than as an SPDX expression; it is reviewed as %s, reading %s",
			component, license, expr.Normalized, strings.Join(read, ", ")),
		Source: fmt.Sprintf("SPDX License List %s; modeltender license knowledge base %s", a.version, a.kb.version),
		Fix:    fmt.Sprintf("Write %q as the license (in a CycloneDX BOM: the license id or expression field) so that it cannot be read another way.", expr.Normalized),
	}
	if len(unknown) > 0 {
		f.Message += fmt.Sprintf("; %s: neither on the SPDX list nor in modeltender's knowledge base, so a reviewer must read it", strings.Join(unknown, ", "))
		f.Fix = "Give the license text (or its location), or an SPDX expression if the license is on the SPDX list; a reviewer reads any other license in full."
	}
	if len(families) > 0 {
		f.Severity = domain.SeverityWarn
		f.Message += "; " + strings.Join(families, "; ")
		f.Fix = "Vendor: " + strings.Join(families, "; ") + "."
	}
	return expr, &f
}

// textTooLong is the finding for an attached license text over the
// license_text limit, which is not read: matching it would cost in
// proportion to its size, and the manifest schema refuses such a text.
func textTooLong(component, text string) *domain.Finding {
	n, limit := utf8.RuneCountInString(text), inputguard.MaxLength("license_text")
	if n <= limit {
		return nil
	}
	return &domain.Finding{
		Rule: RuleTextTooLong, Severity: domain.SeverityDeny,
		Message:  fmt.Sprintf("%s: the attached license text is %d characters, over the %d-character limit, and was not read", component, n, limit),
		Evidence: domain.Evidence{Component: component},
		Source:   "modeltender manifest schema 1 (license_text maxLength)",
		Fix:      "Vendor: attach the license text alone, without other documents.",
	}
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

// UseCaseClass is the class of use a resolution holds for: the risk tier
// and the use cases the solicitation declares, so a decision for standard
// internal use is not offered for high-impact use or for another use.
func UseCaseClass(c domain.Criteria) string {
	tier := string(c.RiskTier)
	if tier == "" {
		tier = string(domain.RiskStandard)
	}
	if len(c.UseCases) == 0 {
		return tier
	}
	uses := slices.Clone(c.UseCases)
	slices.Sort(uses)
	return tier + ":" + strings.Join(uses, "+")
}

// resolutionKey keys a finding about the selected licenses of a component.
func (a *Analyzer) resolutionKey(selected []Term, text *domain.TextMatch, clause string, c domain.Criteria) domain.ResolutionKey {
	var judged []string
	hash := ""
	for _, t := range selected {
		if !t.Custom() && a.osiApproved(t) {
			continue // the open part of an AND does not change what is decided
		}
		judged = append(judged, t.String())
		if e := a.kb.byName(t.License); e != nil {
			hash = a.kb.textHash(e.ID)
		}
	}
	k := domain.ResolutionKey{LicenseID: strings.Join(judged, " AND "), Clause: clause, UseCaseClass: UseCaseClass(c), LicenseHash: hash}
	switch {
	case text != nil:
		k.LicenseHash = text.Hash
	case len(judged) != 1 || hash == "":
		k.LicenseHash = "id:" + k.LicenseID
	}
	return k
}

// textFindings explains how the attached license text compares with the
// knowledge base and with the expression the vendor declared.
func (a *Analyzer) textFindings(component string, expr *Expression, m domain.TextMatch) []clauseFinding {
	declared := slices.ContainsFunc(expr.Terms, func(t Term) bool { return t.License == m.LicenseID })
	f := domain.Finding{Severity: domain.SeverityWarn, Evidence: domain.Evidence{Component: component, Clause: ClauseText}}
	name := a.licenseName(m.LicenseID)
	if m.Version != "" {
		name += " in its " + m.Version + " version"
	}
	switch {
	case m.LicenseID == "":
		f.Rule = RuleUnrecognisedTxt
		f.Message = fmt.Sprintf("%s: the attached license text (%s) matches no license modeltender knows", component, m.Hash)
		f.Source = "modeltender license knowledge base " + a.kb.version
		f.Fix = "Reviewer: read the attached text in full and decide in the license resolution task. Vendor: if it is a standard license, declare its SPDX id and attach the unmodified text."
	case !m.Exact:
		f.Rule = RuleModifiedText
		f.Message = fmt.Sprintf("%s: the attached license text is %s with changes (%.0f%% similar)", component, name, 100*m.Similarity)
		if len(m.Added) > 0 {
			f.Message += "; it adds terms the standard text lacks"
			f.Evidence.Quote = strings.Join(m.Added, " … ")
		}
		f.Source = fmt.Sprintf("modeltender license knowledge base %s (near match against the vendored text of %s)", a.kb.version, m.LicenseID)
		f.Fix = fmt.Sprintf("Reviewer: the modified text, not %s, is what binds the agency: read the changes and decide. Vendor: offer the component under the unmodified %s or explain the changes.", m.LicenseID, m.LicenseID)
	case !declared:
		f.Rule = RuleTextMismatch
		f.Message = fmt.Sprintf("%s: the attached license text is %s, but the declared license is %s", component, name, expr.Normalized)
		f.Source = "modeltender license knowledge base " + a.kb.version
		f.Fix = fmt.Sprintf("Vendor: declare %s, or attach the text of the license you declared.", m.LicenseID)
	case m.Version != "":
		f.Rule = RuleEarlierVersion
		f.Message = fmt.Sprintf("%s: the attached license text is %s, an earlier version than the one modeltender's clause facts quote", component, name)
		f.Source = fmt.Sprintf("modeltender license knowledge base %s (exact match against an earlier vendored text of %s)", a.kb.version, m.LicenseID)
		f.Fix = "Reviewer: the attached version is what binds the agency: check the findings' quoted clauses against it and decide. Vendor: say whether the current version applies instead."
	default:
		return nil
	}
	return []clauseFinding{{clause: ClauseText, finding: f}}
}

// licenseName is the name the knowledge base or the SPDX list gives id.
func (a *Analyzer) licenseName(id string) string {
	if e := a.kb.entries[id]; e != nil && e.Name != "" {
		return fmt.Sprintf("%s (%s)", e.Name, id)
	}
	if l, ok := a.licenses[id]; ok {
		return fmt.Sprintf("%s (%s)", l.Name, id)
	}
	return id
}
