package licensing

import (
	"os"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

// Copies of a standard license as projects ship them are the license: a
// copyright notice of their own, a title or none, list markers or none,
// "{yyyy}" placeholders, https links, the optional Apache appendix left
// out (SPDX License List Matching Guidelines). A real change is still one.
func TestTextMatchFollowsTheSPDXMatchingGuidelines(t *testing.T) {
	a := newAnalyzer(t)
	read := func(name string) string {
		b, err := os.ReadFile("../../policies/data/licenses/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	mit, apache, bsd := read("mit.txt"), read("apache-2.0.txt"), read("bsd-3-clause.txt")
	appendix := strings.Index(apache, "APPENDIX")
	if appendix < 0 {
		t.Fatal("the vendored Apache-2.0 text has no appendix")
	}
	same := map[string]string{
		"MIT with a title and a holder":    "MIT License\n\nCopyright (c) 2023 Example Labs, Inc.\nAll rights reserved.\n\n" + mit,
		"MIT after a holder without year":  "Copyright OWASP Foundation\n\n" + mit,
		"MIT with curly quotes":            strings.ReplaceAll(mit, `"`, "\u201c"),
		"Apache without its appendix":      apache[:appendix],
		"Apache with braces":               strings.NewReplacer("[", "{", "]", "}").Replace(apache),
		"Apache without list markers":      strings.NewReplacer("(a) ", "", "(b) ", "", "(c) ", "", "(d) ", "").Replace(apache),
		"Apache with the holder filled in": strings.Replace(apache, "Copyright [yyyy] [name of copyright owner]", "Copyright 2024 Example Labs", 1),
		"BSD-3-Clause naming its holder":   "Copyright 2009 The Go Authors.\n\n" + strings.NewReplacer("the copyright holder nor", "Google LLC nor", "the ORGANIZATION nor", "Google LLC nor", "HOLDER", "OWNER").Replace(bsd),
		// The holder named in all three places the template leaves open,
		// with a dot in its name, old-style quotes and a two-line notice.
		"BSD-3-Clause naming its holder throughout": "Copyright (c) 2011 CZ.NIC z.s.p.o. Portions Copyright (c) 2009 The Go\nAuthors. All rights reserved.\n\n" +
			strings.NewReplacer("the ORGANIZATION nor the names of its", "CZ.NIC nor the names of the",
				"COPYRIGHT HOLDERS AND CONTRIBUTORS", "CZ.NIC Z.S.P.O.", `"AS IS"`, "``AS IS''",
				"COPYRIGHT HOLDER OR CONTRIBUTORS", "CZ.NIC OR ITS CONTRIBUTORS").Replace(bsd),
	}
	for name, text := range same {
		if text == mit || text == apache || text == bsd {
			t.Fatalf("%s: the case changed nothing", name)
		}
		if m := a.kb.matchText(text); !m.Exact {
			t.Errorf("%s: %+v, want an exact match", name, m)
		}
	}
	changed := map[string]string{
		"MIT for non-commercial use only":         strings.Replace(mit, "free of charge,", "free of charge, for non-commercial use only,", 1),
		"BSD-3-Clause with an endorsement clause": strings.Replace(bsd, "prior written permission.", "prior written permission, and may not be used by any government agency.", 1),
		"Apache with a sentence that starts a line with copyright": strings.Replace(apache, "END OF TERMS AND CONDITIONS",
			"Copyright license grants end when the Licensee sues.\nEND OF TERMS AND CONDITIONS", 1),
	}
	for name, text := range changed {
		if text == mit || text == apache || text == bsd {
			t.Fatalf("%s: the case changed nothing", name)
		}
		if m := a.kb.matchText(text); m.Exact || m.LicenseID == "" || len(m.Added) == 0 {
			t.Errorf("%s: %+v, want a near match with the added terms", name, m)
		}
	}
}

// List markers are dropped wherever they stand; words are not.
func TestListMarkers(t *testing.T) {
	for _, w := range []string{"-", "\u2022", "\u00b7", "a", "1", "12", "123", "1.2", "1.2.3", "(a)", "a)", "(iv)", "(12)", "ii", "viii", "xiv", "xxxix"} {
		if !isListMarker(w) {
			t.Errorf("%q is a list marker", w)
		}
	}
	for _, w := range []string{"1234", "1..2", ".1", "(abcd)", "()", "(", "ab", "the", "(a", "a.b", "1.a", "--", "2023", "mix", "civil", "xxxx", "iix", "vv"} {
		if isListMarker(w) {
			t.Errorf("%q is not a list marker", w)
		}
	}
}

// A copy of an earlier version of a known license is recognised as that
// license in that version, and the reviewer is asked to check the quoted
// clauses against it; a changed copy of it is a near match naming the version.
func TestEarlierLicenseVersions(t *testing.T) {
	a := newAnalyzer(t)
	old, err := os.ReadFile("../../policies/data/licenses/gemma-2024-02-21.txt")
	if err != nil {
		t.Fatal(err)
	}
	m := a.kb.matchText(string(old))
	if !m.Exact || m.LicenseID != "LicenseRef-Gemma-Terms-of-Use" || m.Version != "February 21, 2024" {
		t.Fatalf("the February 2024 Gemma terms: %+v", m)
	}
	if cur := a.kb.matchText(readVendored(t, "gemma.txt")); !cur.Exact || cur.Version != "" {
		t.Fatalf("the current Gemma terms: %+v", cur)
	}
	r := a.Review(domain.Manifest{Weights: domain.Weights{License: "LicenseRef-Gemma-Terms-of-Use", LicenseText: string(old)}}, criteria)
	var found bool
	for _, f := range r.Findings {
		if f.Rule == RuleEarlierVersion {
			found = f.Severity == domain.SeverityWarn && strings.Contains(f.Message, "February 21, 2024 version") && strings.Contains(f.Fix, "check the findings' quoted clauses")
		}
	}
	if !found || !r.NeedsResolution {
		t.Errorf("no earlier-version warning: %+v", r.Findings)
	}
	changed := strings.Replace(string(old), "Gemma Terms of Use", "Gemma Terms of Use\n\nThe Licensee may not use Gemma for any government service.", 1)
	if m := a.kb.matchText(changed); m.Exact || m.LicenseID != "LicenseRef-Gemma-Terms-of-Use" || m.Version != "February 21, 2024" || len(m.Added) == 0 {
		t.Errorf("a changed February 2024 copy: %+v", m)
	}
}

func readVendored(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../policies/data/licenses/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
