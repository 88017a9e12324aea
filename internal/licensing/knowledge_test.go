package licensing

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/policies"
)

// Every clause fact rests on a quote that is really in the vendored text it
// cites, and every fact an entry asserts has such a quote.
func TestKnowledgeQuotesAreInTheVendoredTexts(t *testing.T) {
	a := newAnalyzer(t)
	for id, e := range a.kb.entries {
		t.Run(id, func(t *testing.T) {
			for _, q := range e.Quotes {
				text, err := fs.ReadFile(policies.Data(), q.File)
				if err != nil {
					t.Fatalf("%s quote: %v", q.Clause, err)
				}
				if !strings.Contains(NormalizeText(string(text)), NormalizeText(q.Text)) {
					t.Errorf("%s: quote %q is not in %s", q.Clause, q.Text, q.File)
				}
			}
			if e.Unverified != "" {
				if len(e.Quotes) != 0 || len(e.Texts) != 0 {
					t.Errorf("unverified entry has quotes or texts")
				}
				return
			}
			asserted := map[string]bool{
				ClauseCommercialUse:    true,
				ClauseMAUCap:           e.MAUCap != nil,
				ClauseAcceptableUse:    e.AcceptableUsePolicy,
				ClauseFieldOfUse:       len(e.FieldOfUseRestrictions) > 0 && !strings.Contains(e.FieldOfUseRestrictions[0], "not vendored"),
				ClauseNaming:           e.NamingRequirement != nil,
				ClauseLitigation:       e.TerminationOnLitigation,
				ClauseDerivatives:      e.DerivativeRestrictions != nil,
				ClauseDerivativesBound: e.DerivativesBound,
			}
			for clause, yes := range asserted {
				if yes && e.quote(clause) == "" {
					t.Errorf("%s is asserted without a quote", clause)
				}
			}
			if !map[string]bool{commercialAllowed: true, commercialRestricted: true, commercialForbidden: true}[e.CommercialUse] {
				t.Errorf("commercial_use %q", e.CommercialUse)
			}
		})
	}
}

// The list of licenses is covered.
func TestKnowledgeCoverage(t *testing.T) {
	a := newAnalyzer(t)
	for _, id := range []string{
		"LicenseRef-Llama-2-Community", "LicenseRef-Llama-3-Community", "LicenseRef-Llama-3.1-Community",
		"LicenseRef-Llama-3.2-Community", "LicenseRef-Llama-3.3-Community", "LicenseRef-Llama-4-Community",
		"LicenseRef-Gemma-Terms-of-Use", "LicenseRef-Tongyi-Qianwen", "LicenseRef-Tongyi-Qianwen-Research",
		"LicenseRef-Qwen", "LicenseRef-Qwen-Research",
		"LicenseRef-DeepSeek-Model", "LicenseRef-BigScience-OpenRAIL-M", "LicenseRef-BigScience-BLOOM-RAIL-1.0",
		"LicenseRef-CreativeML-OpenRAIL-M", "LicenseRef-TII-Falcon-2.0", "LicenseRef-TII-Falcon-2024",
		"LicenseRef-TII-Falcon-180B-1.0", "LicenseRef-Mistral-Research-License", "LicenseRef-Mistral-Non-Production-License",
		"LicenseRef-BigCode-OpenRAIL-M-v1", "LicenseRef-CreativeML-OpenRAIL-PlusPlus-M", "LicenseRef-DeepFloyd-IF-Research",
		"OpenMDW-1.0", "CC-BY-4.0", "Apache-2.0", "MIT", "CDLA-Permissive-2.0",
	} {
		if e := a.kb.entries[id]; e == nil || e.Name == "" {
			t.Errorf("%s missing or unnamed", id)
		}
	}
}

// The SPDX list carries the FSF-libre flag of the official list data next to
// the OSI flag, and explain reports both.
func TestSPDXListFlags(t *testing.T) {
	a := newAnalyzer(t)
	for _, c := range []struct {
		id       string
		osi, fsf bool
	}{
		{"Apache-2.0", true, true}, {"MIT", true, true}, {"GPL-3.0-only", true, true},
		{"CC-BY-4.0", false, true}, {"CC0-1.0", false, true}, {"WTFPL", false, true},
		{"0BSD", true, false}, {"MIT-0", true, false}, {"CC-BY-NC-4.0", false, false}, {"OpenMDW-1.0", false, false},
		// Deprecated ids carry the official flags too; ids new in list 3.29.0 are there.
		{"GPL-2.0", true, true}, {"BSD-3-Clause-OpenWebUI", false, false},
	} {
		l, ok := a.licenses[c.id]
		if !ok {
			t.Errorf("%s not in the SPDX list", c.id)
			continue
		}
		if l.OSIApproved != c.osi || l.FSFLibre != c.fsf {
			t.Errorf("%s: osi %v fsf %v; want osi %v fsf %v", c.id, l.OSIApproved, l.FSFLibre, c.osi, c.fsf)
		}
		if x := a.Explain(c.id, "", domain.Criteria{}); len(x.Licenses) != 1 || x.Licenses[0].FSFLibre != c.fsf {
			t.Errorf("explain %s: %+v; want fsf_libre %v", c.id, x.Licenses, c.fsf)
		}
	}
}

// What vendors actually write resolves to one license, and anything else is
// a clear unknown-license finding.
func TestResolve(t *testing.T) {
	a := newAnalyzer(t)
	tests := map[string]string{
		"llama3.1":                                "LicenseRef-Llama-3.1-Community",
		"Llama 3.1 Community License":             "LicenseRef-Llama-3.1-Community",
		"LicenseRef-llama-3.1":                    "LicenseRef-Llama-3.1-Community",
		"apache 2.0":                              "Apache-2.0",
		"Apache License, Version 2.0":             "Apache-2.0",
		"https://www.llama.com/llama3_1/license/": "LicenseRef-Llama-3.1-Community",
		"https://raw.githubusercontent.com/meta-llama/llama-models/main/models/llama3_3/LICENSE": "LicenseRef-Llama-3.3-Community",
		"https://spdx.org/licenses/MIT.html":                                                     "MIT",
		"ai.google.dev/gemma/terms":                                                              "LicenseRef-Gemma-Terms-of-Use",
		"Gemma Terms of Use":                                                                     "LicenseRef-Gemma-Terms-of-Use",
		"creativeml-openrail-m":                                                                  "LicenseRef-CreativeML-OpenRAIL-M",
		"Apache-2.0 OR LicenseRef-llama3.1":                                                      "Apache-2.0 OR LicenseRef-Llama-3.1-Community",
		"MIT AND CC-BY-NC-4.0":                                                                   "MIT AND CC-BY-NC-4.0",
		"GPL-2.0-only WITH Classpath-exception-2.0":                                              "GPL-2.0-only WITH Classpath-exception-2.0",
		// The 2024 Qwen agreements are not the 2023 Tongyi Qianwen ones.
		"qwen":                            "LicenseRef-Qwen",
		"Qwen License Agreement":          "LicenseRef-Qwen",
		"qwen-research":                   "LicenseRef-Qwen-Research",
		"Qwen Research License":           "LicenseRef-Qwen-Research",
		"tongyi-qianwen":                  "LicenseRef-Tongyi-Qianwen",
		"Tongyi Qianwen Research License": "LicenseRef-Tongyi-Qianwen-Research",
		// Falcon 2 and Falcon 3 models carry different TII texts, and Falcon 180B a third.
		"TII Falcon License 2.0": "LicenseRef-TII-Falcon-2.0",
		"https://falconllm-staging.tii.ae/falcon-2-terms-and-conditions.html": "LicenseRef-TII-Falcon-2.0",
		"falcon-llm-license": "LicenseRef-TII-Falcon-2024",
		"https://falconllm.tii.ae/falcon-terms-and-conditions.html": "LicenseRef-TII-Falcon-2024",
		"falcon-180b-license":                    "LicenseRef-TII-Falcon-180B-1.0",
		"mrl":                                    "LicenseRef-Mistral-Research-License",
		"https://mistral.ai/licenses/MRL-0.1.md": "LicenseRef-Mistral-Research-License",
		"mnpl":                                   "LicenseRef-Mistral-Non-Production-License",
		"Mistral AI Non-Production License":      "LicenseRef-Mistral-Non-Production-License",
		"my own license":                         "",
		"":                                       "",
		"https://example.com/license":            "",
	}
	for query, want := range tests {
		if got := a.resolve(query); got != want {
			t.Errorf("resolve(%q) = %q, want %q", query, got, want)
		}
	}
	x := a.Explain("my own license", "", criteria)
	if len(x.Findings) != 1 || x.Findings[0].Rule != RuleUnknownLicense || x.Findings[0].Severity != domain.SeverityWarn || x.Findings[0].Fix == "" {
		t.Errorf("unknown license findings = %+v", x.Findings)
	}
}

// The scenario: Llama 3.1 at 800M expected users needs the vendor's
// commercial license; at 1M users only the naming duty and the AUP are left
// for the reviewer.
func TestLlamaUserCap(t *testing.T) {
	a := newAnalyzer(t)
	m := domain.Manifest{Weights: domain.Weights{License: "LicenseRef-Llama-3.1-Community"}}
	warns := func(users int64) (rules []string, r domain.LicenseReport) {
		r = a.Review(m, domain.Criteria{ExpectedMonthlyUsers: users})
		for _, f := range r.Findings {
			if f.Severity == domain.SeverityDeny {
				t.Errorf("%d users: deny %s", users, f.Rule)
			}
			if f.Severity == domain.SeverityWarn {
				rules = append(rules, f.Rule)
			}
		}
		return rules, r
	}
	big, r := warns(800_000_000)
	if strings.Join(big, " ") != "license.user-cap license.acceptable-use license.naming" || !r.NeedsResolution {
		t.Errorf("800M: warns %q, needs resolution %v", big, r.NeedsResolution)
	}
	if fix := r.Findings[0].Fix; !strings.Contains(fix, "Ask the vendor for a commercial license covering > 700M MAU") {
		t.Errorf("cap fix = %q", fix)
	}
	small, _ := warns(1_000_000)
	if strings.Join(small, " ") != "license.acceptable-use license.naming" {
		t.Errorf("1M: warns %q", small)
	}
}

func TestLicenseText(t *testing.T) {
	a := newAnalyzer(t)
	apache, err := fs.ReadFile(policies.Data(), "licenses/apache-2.0.txt")
	if err != nil {
		t.Fatal(err)
	}
	// Typography and Markdown do not change the identity of a text.
	if HashText(string(apache)) != HashText("**"+strings.ReplaceAll(string(apache), "\"", "\u201c")+"**\n") {
		t.Error("normalisation does not fold quotes and emphasis")
	}
	review := func(expr, text string) domain.LicenseReport {
		return a.Review(domain.Manifest{Weights: domain.Weights{License: expr, LicenseText: text}}, criteria)
	}
	if r := review("Apache-2.0", string(apache)); r.NeedsResolution || r.Components[0].Text == nil || !r.Components[0].Text.Exact {
		t.Errorf("exact Apache text: %+v", r.Components[0])
	}
	modified := string(apache) + "\nYou may not use the Work for any military purpose or for surveillance of any person.\n"
	r := review("Apache-2.0", modified)
	if !r.NeedsResolution || r.Findings[len(r.Findings)-1].Rule != RuleModifiedText {
		t.Fatalf("modified Apache text: %+v", r.Findings)
	}
	if q := r.Findings[len(r.Findings)-1].Evidence.Quote; !strings.Contains(q, "military purpose") {
		t.Errorf("added passage quote = %q", q)
	}
	if r.Resolvable[0].Key.LicenseHash != HashText(modified) {
		t.Errorf("resolution key %+v is not the attached text's hash", r.Resolvable[0].Key)
	}
	llama, err := fs.ReadFile(policies.Data(), "licenses/llama-3.1.txt")
	if err != nil {
		t.Fatal(err)
	}
	if r := review("Apache-2.0", string(llama)); r.Findings[len(r.Findings)-1].Rule != RuleTextMismatch {
		t.Errorf("Llama text declared as Apache: %+v", r.Findings)
	}
	// The 2024 Qwen texts share most words with the 2023 Tongyi Qianwen
	// ones, the two TII Falcon texts with each other and the two Mistral
	// licenses likewise; each must still be recognised as itself.
	for file, id := range map[string]string{
		"licenses/qwen.txt": "LicenseRef-Qwen", "licenses/qwen-research.txt": "LicenseRef-Qwen-Research",
		"licenses/tongyi-qianwen.txt": "LicenseRef-Tongyi-Qianwen", "licenses/tongyi-qianwen-research.txt": "LicenseRef-Tongyi-Qianwen-Research",
		"licenses/tii-falcon-2.0.txt": "LicenseRef-TII-Falcon-2.0", "licenses/tii-falcon-2024.txt": "LicenseRef-TII-Falcon-2024",
		"licenses/mistral-mrl-0.1.txt": "LicenseRef-Mistral-Research-License", "licenses/mistral-mnpl-0.1.txt": "LicenseRef-Mistral-Non-Production-License",
	} {
		text, err := fs.ReadFile(policies.Data(), file)
		if err != nil {
			t.Fatal(err)
		}
		if m := a.kb.matchText(string(text)); !m.Exact || m.LicenseID != id {
			t.Errorf("%s matches %+v, want exactly %s", file, m, id)
		}
	}
	if r := review("LicenseRef-Mine", "Do what you like, but not on Tuesdays."); r.Findings[len(r.Findings)-1].Rule != RuleUnrecognisedTxt {
		t.Errorf("unknown text: %+v", r.Findings)
	}
}

// A policy directory with only Rego in it keeps the embedded knowledge base;
// one that brings its own knowledge base is read from there.
func TestAnalyzerWithPolicyDir(t *testing.T) {
	regoOnly := t.TempDir()
	if err := os.WriteFile(filepath.Join(regoOnly, "evaluation.rego"), []byte("package modeltender.evaluation\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := NewAnalyzer(policies.Dir(regoOnly))
	if err != nil {
		t.Fatalf("NewAnalyzer with a Rego-only directory: %v", err)
	}
	if a.kb.version != newAnalyzer(t).kb.version || len(a.kb.entries) == 0 {
		t.Errorf("knowledge base %q with %d entries, want the embedded one", a.kb.version, len(a.kb.entries))
	}

	own := t.TempDir()
	if err := os.MkdirAll(filepath.Join(own, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(own, "data", knowledgeFile), []byte(`{"version": "agency-1", "licenses": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err = NewAnalyzer(policies.Dir(own))
	if err != nil {
		t.Fatal(err)
	}
	if a.kb.version != "agency-1" || len(a.kb.entries) != 0 || len(a.licenses) == 0 {
		t.Errorf("knowledge base %q with %d entries and %d SPDX licenses, want the directory's (empty) with the embedded SPDX list",
			a.kb.version, len(a.kb.entries), len(a.licenses))
	}
}

// Every license on the SPDX list whose name says non-commercial or no
// derivatives is in the knowledge base with that clause quoted: a
// non-commercial license is a deny (PolyForm Noncommercial, which names
// government institutions as permitted users, is restricted), and a
// no-derivatives license restricts derivatives. The list has no license
// whose name says research only; the research-only model licenses are
// tested in TestReviewWeights.
func TestKnowledgeNonCommercialAndNoDerivatives(t *testing.T) {
	a := newAnalyzer(t)
	nonCommercial := regexp.MustCompile(`(?i)non[- ]?commercial`)
	noDerivatives := regexp.MustCompile(`(?i)no[- ]?deriv`)
	researchOnly := regexp.MustCompile(`(?i)research[- ]only|research use only`)
	checked := 0
	for id, l := range a.licenses {
		nc, nd := nonCommercial.MatchString(l.Name), noDerivatives.MatchString(l.Name)
		if researchOnly.MatchString(l.Name) {
			t.Errorf("%s (%s) says research only: give it commercial_use forbidden and extend this test", id, l.Name)
		}
		if !nc && !nd {
			continue
		}
		checked++
		t.Run(id, func(t *testing.T) {
			e := a.kb.entries[id]
			if e == nil {
				t.Fatalf("%s (%s) is not in the knowledge base", id, l.Name)
			}
			if nc {
				want := commercialForbidden
				if strings.HasPrefix(id, "PolyForm-") {
					want = commercialRestricted
				}
				if e.CommercialUse != want {
					t.Errorf("commercial_use = %q, want %s", e.CommercialUse, want)
				}
				if e.quote(ClauseCommercialUse) == "" && e.Unverified == "" {
					t.Errorf("commercial_use has no quote")
				}
				x := a.Explain(id, "", domain.Criteria{ExpectedMonthlyUsers: 1000})
				if len(x.Licenses) != 1 || x.Licenses[0].CommercialUse != want {
					t.Errorf("explain %s: %+v", id, x.Licenses)
				}
			}
			if nd && (e.DerivativeRestrictions == nil || e.quote(ClauseDerivatives) == "") {
				t.Errorf("no-derivatives license without a quoted derivative restriction")
			}
		})
	}
	if checked < 30 {
		t.Errorf("only %d licenses checked; the SPDX list has more than 30 non-commercial or no-derivatives licenses", checked)
	}
}

// The original LLaMA license resolves by the names vendors write and is a deny.
func TestLLaMA1License(t *testing.T) {
	a := newAnalyzer(t)
	for _, name := range []string{"LLaMA License", "llama-1", "LLaMA 1"} {
		x := a.Explain(name, "", domain.Criteria{ExpectedMonthlyUsers: 1000})
		if x.Expression != "LicenseRef-LLaMA-1" || len(x.Licenses) != 1 || x.Licenses[0].CommercialUse != commercialForbidden {
			t.Errorf("explain %q: expression %q, licenses %+v", name, x.Expression, x.Licenses)
			continue
		}
		denied := false
		for _, f := range x.Findings {
			denied = denied || (f.Rule == RuleCommercialUse && f.Severity == domain.SeverityDeny && strings.Contains(f.Evidence.Quote, "Non-commercial"))
		}
		if !denied {
			t.Errorf("explain %q findings %+v: want a commercial-use deny quoting the model card", name, x.Findings)
		}
	}
}

// A text's hash taken before the texts are prepared for matching is the
// one matching gives afterwards, for every vendored text.
func TestTextHashBeforeAndAfterPreparing(t *testing.T) {
	a, err := NewAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]string{}
	for _, r := range a.kb.raw {
		before[r.id] = a.kb.textHash(r.id)
	}
	texts, _ := a.kb.index()
	for _, kt := range texts {
		if kt.version == "" && before[kt.id] != kt.hash {
			t.Errorf("%s: hash %s before preparing, %s after", kt.id, before[kt.id], kt.hash)
		}
	}
	if len(texts) == 0 || a.kb.textHash("no-such-license") != "" {
		t.Fatalf("%d texts prepared; an unknown id must have no hash", len(texts))
	}
}
