package licensing

import (
	"fmt"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
)

// Explanation is what `modeltender license explain` prints: the licenses a
// query resolves to, their clause facts with quotes, and the findings for
// the given use.
type Explanation struct {
	Query string `json:"query"`
	// Expression is the SPDX expression the query resolved to; empty when it
	// resolved to nothing.
	Expression string            `json:"expression,omitempty"`
	Text       *domain.TextMatch `json:"text,omitempty"`
	Licenses   []LicenseFacts    `json:"licenses"`
	Findings   []domain.Finding  `json:"findings"`
}

// LicenseFacts are the clause facts of one license, as explain prints them.
type LicenseFacts struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	OSIApproved bool   `json:"osi_approved"`
	FSFLibre    bool   `json:"fsf_libre"`
	ClauseFacts
}

// Explain resolves query (an SPDX expression, a license name or alias, or a
// license URL) or, when text is not empty, the license text itself, and
// reviews it as the weights of a candidate under c. Anything it cannot
// resolve is a license.unknown finding, never a pass.
func (a *Analyzer) Explain(query, text string, c domain.Criteria) Explanation {
	x := Explanation{Query: query, Licenses: []LicenseFacts{}, Findings: []domain.Finding{}}
	expr := ""
	if strings.TrimSpace(text) != "" {
		if f := textTooLong(WeightsComponent, text); f != nil {
			x.Findings = append(x.Findings, *f)
			return x
		}
		m := a.kb.matchText(text)
		x.Text = &m
		expr = m.LicenseID
	} else {
		expr = a.resolve(query)
	}
	if expr == "" {
		x.Findings = append(x.Findings, a.unknown(query))
		return x
	}
	x.Expression = expr
	r := a.Review(domain.Manifest{Weights: domain.Weights{License: expr, LicenseText: text}}, c)
	x.Findings = r.Findings
	if parsed, err := ParseExpression(expr); err == nil {
		for _, t := range parsed.Terms {
			x.Licenses = append(x.Licenses, a.facts(t))
		}
	}
	return x
}

// Normalize maps each license the manifest writes other than as the SPDX
// list or the knowledge base spells it to the expression it resolves to
// ("Apache 2.0" -> "Apache-2.0", a license URL -> its id), for the openness
// class with licenses normalized (policies.Input.LicenseNormalization).
// Licenses already spelled right, and those nothing resolves, are left out.
func (a *Analyzer) Normalize(m domain.Manifest) map[string]string {
	out := map[string]string{}
	written := []string{m.Weights.License}
	for _, c := range m.Components {
		written = append(written, c.License)
	}
	for _, raw := range written {
		if _, done := out[raw]; done {
			continue
		}
		if resolved := a.resolve(raw); resolved != "" && resolved != raw {
			out[raw] = resolved
		}
	}
	return out
}

// resolve turns what a vendor wrote into an SPDX expression: a license URL,
// a valid expression (its LicenseRef- ids spelled as the knowledge base
// spells them), a knowledge-base name or alias, or an SPDX name
// ("apache 2.0"). It returns "" when nothing fits.
func (a *Analyzer) resolve(query string) string {
	query = strings.TrimSpace(query)
	if query == "" {
		return ""
	}
	if isURL(query) {
		return a.kb.byURL(query)
	}
	if e, err := ParseExpression(query); err == nil {
		return a.canonical(e)
	}
	if e := a.kb.byName(query); e != nil {
		return e.ID
	}
	return suggest(query)
}

// canonical rewrites the LicenseRef- ids of e that name a known license
// ("LicenseRef-llama3.1") with the knowledge base's id.
func (a *Analyzer) canonical(e *Expression) string {
	out := e.Normalized
	for _, t := range e.Terms {
		if !t.Custom() {
			continue
		}
		if known := a.kb.byName(t.License); known != nil && known.ID != t.License {
			out = strings.ReplaceAll(out, t.License, known.ID)
		}
	}
	return out
}

func (a *Analyzer) unknown(query string) domain.Finding {
	if f, ok := a.family(query); ok {
		return domain.Finding{
			Rule: RuleUnknownLicense, Severity: domain.SeverityWarn,
			Message:  f.fix(query),
			Evidence: domain.Evidence{Quote: query},
			Source:   "modeltender license aliases (policies/data/" + aliasesFile + ")",
			Fix:      "Vendor: " + f.fix(query) + ".",
		}
	}
	return domain.Finding{
		Rule:     RuleUnknownLicense,
		Severity: domain.SeverityWarn,
		Message:  fmt.Sprintf("%q is not an SPDX license expression, a license URL or a license name modeltender knows", query),
		Evidence: domain.Evidence{Quote: query},
		Source:   fmt.Sprintf("SPDX License List %s; modeltender license knowledge base %s", a.version, a.kb.version),
		Fix: fmt.Sprintf(`Write the license as an SPDX expression (e.g. "Apache-2.0"), a known name (e.g. "Llama 3.1 Community License"), or attach its text; `+
			`a reviewer must read any other license in full. Known custom licenses: see policies/data/%s.`, knowledgeFile),
	}
}

// facts are the clause facts of t: the knowledge base's when it has an
// entry, else what the SPDX list says (an OSI-approved license permits
// commercial use: the Open Source Definition forbids discriminating
// against fields of endeavor).
func (a *Analyzer) facts(t Term) LicenseFacts {
	spdx := a.licenses[t.License]
	f := LicenseFacts{ID: t.String(), Name: spdx.Name, OSIApproved: spdx.OSIApproved, FSFLibre: spdx.FSFLibre,
		ClauseFacts: ClauseFacts{CommercialUse: "unknown", FieldOfUseRestrictions: []string{}, Quotes: []Quote{}}}
	if spdx.OSIApproved {
		f.CommercialUse = commercialAllowed
	}
	if e := a.kb.byName(t.License); e != nil {
		f.Name, f.ClauseFacts = e.Name, e.ClauseFacts
	}
	return f
}
