package licensing

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
)

const (
	baseModelsFile = "base-models.json"
	// RuleLineage is the finding on a derivative offered under a license
	// its base model's license does not allow.
	RuleLineage = "license.lineage"
	// ClauseLineage keys a reviewer's decision on a lineage finding.
	ClauseLineage = "lineage"
	// ClauseDerivativesBound is the clause fact that a license binds
	// derivatives: they cannot be offered under other terms.
	ClauseDerivativesBound = "derivatives_bound"
)

// baseModel is one entry of policies/data/base-models.json.
type baseModel struct {
	Pattern string `json:"pattern"`
	License string `json:"license"`
	Example string `json:"example"`
	Note    string `json:"note"`
}

// loadBaseModels reads the base-model table. A license the knowledge base
// in use does not know is not an error (an agency's own knowledge base may
// leave out licenses the table names): lineage then reports the base as
// unknown rather than guessing its terms.
func loadBaseModels(data fs.FS) ([]baseModel, error) {
	raw, err := fs.ReadFile(data, baseModelsFile)
	if err != nil {
		return nil, fmt.Errorf("read base models: %w", err)
	}
	var doc struct {
		Models []baseModel `json:"models"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decode base models %s: %w", baseModelsFile, err)
	}
	for i, m := range doc.Models {
		if _, err := path.Match(strings.ToLower(m.Pattern), ""); err != nil {
			return nil, fmt.Errorf("base models %s: models[%d] pattern %q: %w", baseModelsFile, i, m.Pattern, err)
		}
		if _, err := ParseExpression(m.License); err != nil {
			return nil, fmt.Errorf("base models %s: models[%d] (%s) license %q: %w", baseModelsFile, i, m.Pattern, m.License, err)
		}
	}
	return doc.Models, nil
}

// BaseModelLicense returns the license the base-model table gives a model
// hub id (e.g. "meta-llama/Llama-3.1-8B-Instruct" or its huggingface.co
// URL), and the pattern that matched; ok is false when no entry matches.
func (a *Analyzer) BaseModelLicense(name string) (license, pattern string, ok bool) {
	m, ok := a.baseModel(name)
	return m.License, m.Pattern, ok
}

func (a *Analyzer) baseModel(name string) (baseModel, bool) {
	id := strings.ToLower(hubRepoID(name))
	for _, m := range a.baseModels {
		if ok, _ := path.Match(strings.ToLower(m.Pattern), id); ok {
			return m, true
		}
	}
	return baseModel{}, false
}

// hubRepoID strips what surrounds a Hugging Face repository id when it is
// written as a link: the host, "/tree/<rev>" and a trailing slash.
func hubRepoID(name string) string {
	s := strings.TrimSpace(name)
	for _, prefix := range []string{"https://", "http://", "www.", "huggingface.co/", "hf.co/"} {
		s = strings.TrimPrefix(s, prefix)
	}
	if i := strings.Index(s, "/tree/"); i > 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, "/")
}

// reviewLineage compares the weights' license, as the review read it, with
// the license of each base model: a derivative cannot be offered under
// terms its base's license does not allow. A base license that binds
// derivatives (Llama, Gemma, the RAIL family, copyleft) makes any other
// license a deny; one that only imposes terms (a user cap, an acceptable
// use policy) makes a license lacking them a warning for a reviewer.
func (a *Analyzer) reviewLineage(r *domain.LicenseReport, m domain.Manifest, c domain.Criteria) {
	if len(m.BaseModels) == 0 {
		return
	}
	var weights *domain.ComponentLicense
	for i := range r.Components {
		if r.Components[i].Component == WeightsComponent {
			weights = &r.Components[i]
			break
		}
	}
	for _, bm := range m.BaseModels {
		l := domain.Lineage{BaseModel: bm.Name, Relation: bm.Relation}
		entry, ok := a.baseModel(bm.Name)
		l.Pattern, l.BaseLicense = entry.Pattern, entry.License
		if !ok || (a.kb.byName(entry.License) == nil && !a.licenses[entry.License].OSIApproved) {
			l.Verdict = domain.LineageUnknownBase
			r.Lineage = append(r.Lineage, l)
			r.Findings = append(r.Findings, a.unknownBase(bm, entry.License))
			continue
		}
		switch {
		case weights == nil || len(weights.Selected) == 0:
			l.Verdict = domain.LineageNoDeclaredTerms
		case slices.Contains(weights.Selected, entry.License):
			l.Verdict = domain.LineageSameLicense
		default:
			a.compareLineage(r, &l, weights, c)
		}
		r.Lineage = append(r.Lineage, l)
	}
}

func (a *Analyzer) compareLineage(r *domain.LicenseReport, l *domain.Lineage, weights *domain.ComponentLicense, c domain.Criteria) {
	base := a.kb.byName(l.BaseLicense)
	baseTerms := a.imposedTerms(l.BaseLicense)
	if len(baseTerms) == 0 {
		l.Verdict = domain.LineagePermitted
		return
	}
	var declared []string
	for _, t := range weights.Selected {
		terms, known := a.declaredTerms(t)
		if !known {
			l.Verdict = domain.LineageUnknownLicense
			return
		}
		declared = append(declared, terms...)
	}
	for _, t := range baseTerms {
		if !slices.Contains(declared, t) {
			l.Dropped = append(l.Dropped, t)
		}
	}
	bound := base != nil && base.DerivativesBound
	if len(l.Dropped) == 0 && !bound {
		l.Verdict = domain.LineagePermitted
		return
	}
	l.Verdict = domain.LineageMorePermissive
	f := a.lineageFinding(*l, base, weights.Normalized, bound)
	r.Findings = append(r.Findings, f)
	if f.Severity == domain.SeverityWarn {
		r.NeedsResolution = true
		key := domain.ResolutionKey{LicenseHash: a.kb.textHash(l.BaseLicense), LicenseID: l.BaseLicense, Clause: ClauseLineage, UseCaseClass: UseCaseClass(c)}
		if key.LicenseHash == "" {
			key.LicenseHash = "id:" + l.BaseLicense
		}
		r.Resolvable = append(r.Resolvable, domain.Resolvable{Key: key, Finding: f})
	}
}

// imposedTerms are the terms a license imposes that a derivative could
// drop, in words; none for a permissive license.
func (a *Analyzer) imposedTerms(id string) []string {
	e := a.kb.byName(id)
	if e == nil {
		return nil
	}
	var terms []string
	switch e.CommercialUse {
	case commercialForbidden:
		terms = append(terms, "no commercial use")
	case commercialRestricted:
		terms = append(terms, "conditions on commercial use")
	}
	if e.MAUCap != nil {
		terms = append(terms, fmt.Sprintf("a cap of %s monthly active users", humanCount(*e.MAUCap)))
	}
	if e.AcceptableUsePolicy || len(e.FieldOfUseRestrictions) > 0 || len(e.UseRestrictions) > 0 {
		terms = append(terms, "use restrictions")
	}
	if e.NamingRequirement != nil {
		terms = append(terms, "a naming or attribution duty")
	}
	if e.DerivativeRestrictions != nil {
		terms = append(terms, "restrictions on derivatives")
	}
	return terms
}

// declaredTerms are the terms one license of the derivative imposes;
// known is false for a license neither the knowledge base nor the SPDX
// list describes, which the review already sends to a reviewer.
func (a *Analyzer) declaredTerms(license string) (terms []string, known bool) {
	if a.kb.byName(license) != nil {
		return a.imposedTerms(license), true
	}
	facts, listed := a.licenses[license]
	return nil, listed && facts.OSIApproved
}

func (a *Analyzer) lineageFinding(l domain.Lineage, base *Entry, declared string, bound bool) domain.Finding {
	name, clause, quote, source := l.BaseLicense, "", "", "modeltender base-model table (policies/data/"+baseModelsFile+")"
	if base != nil {
		name = fmt.Sprintf("%s (%s)", base.Name, base.ID)
		for _, c := range []string{ClauseDerivativesBound, ClauseDerivatives} {
			if quote = base.quote(c); quote != "" {
				clause = c
				break
			}
		}
		if clause != "" {
			source = base.citation(clause) + "; " + source
		}
	}
	from := l.BaseModel
	if l.Relation != "" {
		from = fmt.Sprintf("%s (%s)", l.BaseModel, l.Relation)
	}
	f := domain.Finding{
		Rule:     RuleLineage,
		Severity: domain.SeverityWarn,
		Evidence: domain.Evidence{Component: WeightsComponent, Clause: strings.TrimSpace(l.BaseLicense + " " + clause), Quote: quote},
		Source:   source,
	}
	offer := fmt.Sprintf(`Vendor: offer the weights under the base model's license ("%s", or "(%s) AND %s" to keep your own terms as well)`, l.BaseLicense, declared, l.BaseLicense)
	if bound {
		f.Severity = domain.SeverityDeny
		f.Message = fmt.Sprintf("%s: the model derives from %s, which is licensed under %s; that license binds derivatives, so the weights cannot be offered under %s",
			WeightsComponent, from, name, declared)
		f.Fix = offer + fmt.Sprintf(", or show a license from %s that lets derivatives be relicensed.", base.licensor())
		return f
	}
	f.Message = fmt.Sprintf("%s: the model derives from %s, which is licensed under %s; the weights are offered under %s, which drops %s of the base license",
		WeightsComponent, from, name, declared, strings.Join(l.Dropped, ", "))
	f.Fix = offer + ". Reviewer: the base license's terms still reach the agency through the derivative: weigh them (" +
		strings.Join(l.Dropped, ", ") + ") against the intended use and decide in the license resolution task."
	return f
}

func (a *Analyzer) unknownBase(bm domain.BaseModel, license string) domain.Finding {
	why := "which modeltender's base-model table does not list"
	if license != "" {
		why = fmt.Sprintf("whose license %s the license knowledge base does not describe", license)
	}
	return domain.Finding{
		Rule:     RuleLineage,
		Severity: domain.SeverityInfo,
		Message:  fmt.Sprintf("%s: the model derives from %s, %s, so its license was not compared with the weights'", WeightsComponent, bm.Name, why),
		Evidence: domain.Evidence{Component: WeightsComponent, Quote: bm.Name},
		Source:   "modeltender base-model table (policies/data/" + baseModelsFile + ")",
		Fix:      "Reviewer: check the base model's license on its model card. Maintainers: add the base model to policies/data/" + baseModelsFile + ".",
	}
}
