package licensing

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
)

const useCasesFile = "use_cases.json"

// UseCase is a class of intended use a solicitation declares
// (policies/data/use_cases.json); license use restrictions name the classes
// they touch.
type UseCase struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// HighImpact marks a class whose uses usually meet OMB M-25-21's test
	// of high-impact AI (a principal basis for decisions with a legal,
	// material, binding or significant effect on rights or safety).
	HighImpact bool `json:"high_impact,omitempty"`
}

// UseRestriction is a use a license (or the policy it incorporates)
// forbids, mapped onto the use-case classes it touches. Absolute means
// every use in those classes is forbidden; otherwise only some are (an
// automated decision, an unlicensed practice) and a reviewer judges the
// agency's use against the quote.
type UseRestriction struct {
	Uses        []string `json:"uses"`             // use-case ids; "*" is every class
	Except      []string `json:"except,omitempty"` // with "*": the classes left out
	Absolute    bool     `json:"absolute"`
	Restriction string   `json:"restriction"`
	File        string   `json:"file"`
	Quote       string   `json:"quote"`
}

// touches returns the declared use cases the restriction reaches.
func (r UseRestriction) touches(declared []string) []string {
	var hit []string
	for _, u := range declared {
		if (slices.Contains(r.Uses, "*") && !slices.Contains(r.Except, u)) || slices.Contains(r.Uses, u) {
			hit = append(hit, u)
		}
	}
	return hit
}

func loadUseCases(data fs.FS) ([]UseCase, error) {
	raw, err := fs.ReadFile(data, useCasesFile)
	if err != nil {
		return nil, fmt.Errorf("read use cases: %w", err)
	}
	var doc struct {
		UseCases []UseCase `json:"use_cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decode use cases %s: %w", useCasesFile, err)
	}
	if len(doc.UseCases) == 0 {
		return nil, fmt.Errorf("use cases %s: the list is empty", useCasesFile)
	}
	return doc.UseCases, nil
}

// checkRestrictions refuses a knowledge base whose restrictions name a use
// case the taxonomy does not have, so a typo cannot silently never match.
func checkRestrictions(entries map[string]*Entry, cases []UseCase) error {
	known := map[string]bool{"*": true}
	for _, u := range cases {
		known[u.ID] = true
	}
	for id, e := range entries {
		for _, r := range e.UseRestrictions {
			for _, u := range slices.Concat(r.Uses, r.Except) {
				if !known[u] {
					return fmt.Errorf("license knowledge base %s: %s restricts use case %q, which %s does not define", knowledgeFile, id, u, useCasesFile)
				}
			}
		}
	}
	return nil
}

// UseCases lists the classes of intended use a solicitation may declare.
func (a *Analyzer) UseCases() []UseCase { return a.useCases }

// CheckUseCases returns one message per declared use case that is not in
// the taxonomy or is declared twice, naming the valid ids.
func (a *Analyzer) CheckUseCases(declared []string) []string {
	var ids []string
	for _, u := range a.useCases {
		ids = append(ids, u.ID)
	}
	var problems []string
	seen := map[string]bool{}
	for _, d := range declared {
		switch {
		case !slices.Contains(ids, d):
			problems = append(problems, fmt.Sprintf("%q is not a use case: use one or more of %s", d, strings.Join(ids, ", ")))
		case seen[d]:
			problems = append(problems, fmt.Sprintf("%q is listed twice", d))
		}
		seen[d] = true
	}
	return problems
}

// UseCaseTitle names a use case by its title; an id the taxonomy lacks
// stands for itself.
func (a *Analyzer) UseCaseTitle(id string) string {
	if i := slices.IndexFunc(a.useCases, func(u UseCase) bool { return u.ID == id }); i >= 0 {
		return a.useCases[i].Title
	}
	return id
}

// HighImpactUses names the declared use cases that usually make AI
// high-impact, for a solicitation at the standard tier to be flagged.
func (a *Analyzer) HighImpactUses(declared []string) []string {
	var titles []string
	for _, u := range a.useCases {
		if u.HighImpact && slices.Contains(declared, u.ID) {
			titles = append(titles, u.Title)
		}
	}
	return titles
}

// useCaseTitles writes use-case ids as their titles, in running text.
func (a *Analyzer) useCaseTitles(ids []string) string {
	var titles []string
	for _, id := range ids {
		if title := a.UseCaseTitle(id); title != "" {
			titles = append(titles, strings.ToLower(title[:1])+title[1:])
		}
	}
	return strings.Join(titles, ", ")
}

// useFindings weighs the license's use restrictions against the uses the
// solicitation declares: a restriction that forbids a declared use outright
// denies; one that forbids some uses of a declared class asks a reviewer.
// Without declared uses nothing is weighed, and the acceptable-use finding
// asks the reviewer to compare by hand.
func (a *Analyzer) useFindings(component string, e *Entry, c domain.Criteria) []clauseFinding {
	if len(c.UseCases) == 0 || len(e.UseRestrictions) == 0 {
		return nil
	}
	var out []clauseFinding
	for _, r := range e.UseRestrictions {
		hit := r.touches(c.UseCases)
		if len(hit) == 0 {
			continue
		}
		f := domain.Finding{
			Rule:     RuleUseRestricted,
			Severity: domain.SeverityWarn,
			Message: fmt.Sprintf("%s: %s restricts %s, and the solicitation declares %s",
				component, e.Name, r.Restriction, a.useCaseTitles(hit)),
			Evidence: domain.Evidence{Component: component, Clause: e.ID + " " + ClauseUseRestrictions, Quote: r.Quote},
			Source:   fmt.Sprintf("%s (policies/data/%s)", e.Name, r.File),
			Fix: "Reviewer: judge whether the agency's use falls under the quoted restriction; accept for the intended use only if it does not, and record why. " +
				"Vendor: offer the model under a license without this restriction.",
		}
		if r.Absolute {
			f.Severity = domain.SeverityDeny
			f.Message = fmt.Sprintf("%s: %s forbids %s, which the solicitation declares as its intended use (%s)",
				component, e.Name, r.Restriction, a.useCaseTitles(hit))
			f.Fix = fmt.Sprintf("Vendor: offer the model under a license that permits this use, or a separate license from %s covering it; otherwise the candidate cannot be used for this solicitation.", e.licensor())
		}
		out = append(out, clauseFinding{clause: ClauseUseRestrictions, finding: f})
	}
	if len(out) == 0 {
		out = append(out, clauseFinding{clause: ClauseUseRestrictions, finding: domain.Finding{
			Rule: RuleUseRestricted, Severity: domain.SeverityInfo,
			Message: fmt.Sprintf("%s: none of the %d use restrictions of %s reaches the uses the solicitation declares (%s)",
				component, len(e.UseRestrictions), e.Name, a.useCaseTitles(c.UseCases)),
			Evidence: domain.Evidence{Component: component, Clause: e.ID + " " + ClauseUseRestrictions},
			Source:   e.Name + " (modeltender license knowledge base)",
		}})
	}
	return out
}
