package licensing

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/policies"
)

// useFindingsOf reviews weights under license for a solicitation declaring
// uses, and returns "severity rule" of each use-restriction finding.
func useFindingsOf(t *testing.T, a *Analyzer, license string, uses ...string) ([]string, domain.LicenseReport) {
	t.Helper()
	r := a.Review(domain.Manifest{Weights: domain.Weights{License: license}}, domain.Criteria{ExpectedMonthlyUsers: 1000, UseCases: uses})
	var got []string
	for _, f := range r.Findings {
		if f.Rule == RuleUseRestricted {
			got = append(got, string(f.Severity))
			if f.Severity != domain.SeverityInfo && (f.Evidence.Quote == "" || !strings.Contains(f.Source, "policies/data/licenses/")) {
				t.Errorf("%s for %v: finding without its quote and source: %+v", license, uses, f)
			}
		}
	}
	return got, r
}

// A license's use restrictions are weighed against the uses a solicitation
// declares: forbidden outright denies, forbidden in part asks a reviewer,
// untouched is recorded, and nothing declared weighs nothing.
func TestUseRestrictionsAgainstDeclaredUses(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		license string
		uses    []string
		want    []string
	}{
		{"LicenseRef-Llama-3.1-Community", []string{"military-and-defense"}, []string{"deny"}},
		{"LicenseRef-Llama-3.1-Community", []string{"internal-productivity"}, []string{"info"}},
		{"LicenseRef-Llama-3.1-Community", nil, nil},
		{"LicenseRef-Gemma-Terms-of-Use", []string{"rights-affecting-decisions"}, []string{"warn", "warn"}},
		{"LicenseRef-Gemma-Terms-of-Use", []string{"internal-productivity"}, []string{"info"}},
		{"LicenseRef-BigScience-OpenRAIL-M", []string{"law-enforcement-and-immigration"}, []string{"deny"}},
		{"LicenseRef-Qwen-Research", []string{"public-information"}, []string{"deny"}},
		{"LicenseRef-Qwen-Research", []string{"research"}, []string{"info"}},
		{"Apache-2.0", []string{"military-and-defense"}, nil},
	}
	for _, tc := range cases {
		got, _ := useFindingsOf(t, a, tc.license, tc.uses...)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s for %v: use-restriction findings %v, want %v", tc.license, tc.uses, got, tc.want)
		}
	}

	// The deny names the use and tells the vendor what would do.
	_, r := useFindingsOf(t, a, "LicenseRef-Llama-3.1-Community", "military-and-defense", "internal-productivity")
	var deny domain.Finding
	for _, f := range r.Findings {
		if f.Rule == RuleUseRestricted && f.Severity == domain.SeverityDeny {
			deny = f
		}
	}
	if !strings.Contains(deny.Message, "military, defense and intelligence") || strings.Contains(deny.Message, "internal productivity") ||
		!strings.Contains(deny.Evidence.Quote, "Military, warfare") || !strings.Contains(deny.Fix, "Meta") {
		t.Errorf("deny finding %+v", deny)
	}

	// Of an OR, the agency takes the branch whose license permits the use.
	if got, r := useFindingsOf(t, a, "LicenseRef-Llama-3.1-Community OR Apache-2.0", "military-and-defense"); len(got) != 0 || r.Components[0].Status != domain.LicenseApproved {
		t.Errorf("Llama OR Apache for military use: findings %v, status %s", got, r.Components[0].Status)
	}
}

// Every use restriction quotes its vendored text, names use cases the
// taxonomy defines, and the AI licenses with a prohibited-use list have some.
func TestUseRestrictionsRestOnTheirTexts(t *testing.T) {
	a := newAnalyzer(t)
	known := map[string]bool{"*": true}
	for _, u := range a.UseCases() {
		known[u.ID] = true
	}
	for id, e := range a.kb.entries {
		for i, r := range e.UseRestrictions {
			text, err := fs.ReadFile(policies.Data(), r.File)
			if err != nil {
				t.Fatalf("%s use_restrictions[%d]: %v", id, i, err)
			}
			if r.Quote == "" || !strings.Contains(NormalizeText(string(text)), NormalizeText(r.Quote)) {
				t.Errorf("%s use_restrictions[%d]: quote %q is not in %s", id, i, r.Quote, r.File)
			}
			if !slices.Contains(e.Texts, r.File) {
				t.Errorf("%s use_restrictions[%d]: %s is not one of the entry's texts %v", id, i, r.File, e.Texts)
			}
			if len(r.Uses) == 0 || r.Restriction == "" {
				t.Errorf("%s use_restrictions[%d]: no uses or no statement", id, i)
			}
		}
	}
	for _, id := range []string{"LicenseRef-Llama-2-Community", "LicenseRef-Llama-3.1-Community", "LicenseRef-Llama-4-Community",
		"LicenseRef-Gemma-Terms-of-Use", "LicenseRef-BigScience-OpenRAIL-M", "LicenseRef-CreativeML-OpenRAIL-M", "LicenseRef-DeepSeek-Model"} {
		if len(a.kb.entries[id].UseRestrictions) == 0 {
			t.Errorf("%s has no use restrictions", id)
		}
	}

	// A restriction naming a use case the taxonomy lacks is refused at load.
	bad := map[string]*Entry{"LicenseRef-X": {ID: "LicenseRef-X", ClauseFacts: ClauseFacts{UseRestrictions: []UseRestriction{{Uses: []string{"warfare"}}}}}}
	if err := checkRestrictions(bad, a.UseCases()); err == nil || !strings.Contains(err.Error(), `"warfare"`) {
		t.Errorf("unknown use case: %v", err)
	}
}

// Declared use cases are checked against the taxonomy, and a resolution
// for one use is not offered for another.
func TestUseCasesAreChecked(t *testing.T) {
	a := newAnalyzer(t)
	if p := a.CheckUseCases([]string{"benefits-and-services", "public-information"}); len(p) != 0 {
		t.Errorf("valid use cases refused: %v", p)
	}
	p := a.CheckUseCases([]string{"chatbots", "research", "research"})
	if len(p) != 2 || !strings.Contains(p[0], `"chatbots" is not a use case: use one or more of internal-productivity`) || !strings.Contains(p[1], "twice") {
		t.Errorf("problems %q", p)
	}
	if got := a.HighImpactUses([]string{"public-information", "rights-affecting-decisions", "employment"}); !slices.Equal(got,
		[]string{"Decisions affecting individuals' rights", "Employment and workforce decisions"}) {
		t.Errorf("high-impact uses %q", got)
	}
	for _, tc := range []struct {
		c    domain.Criteria
		want string
	}{
		{domain.Criteria{}, "standard"},
		{domain.Criteria{RiskTier: domain.RiskHighImpact}, "high-impact"},
		{domain.Criteria{RiskTier: domain.RiskStandard, UseCases: []string{"public-information", "benefits-and-services"}}, "standard:benefits-and-services+public-information"},
	} {
		if got := UseCaseClass(tc.c); got != tc.want {
			t.Errorf("UseCaseClass(%s) = %q, want %q", fmt.Sprint(tc.c.UseCases), got, tc.want)
		}
	}
}
