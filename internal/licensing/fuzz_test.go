package licensing

import (
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/inputguard"
)

// FuzzParseExpression: any input is a valid expression within the bounds
// (the license field's length, maxExpressionDepth, the text rules) or a
// clear *ExpressionError, and the review and explain built on it never
// panic and allocate in proportion to the input. `go test` runs the seeds;
// bench/README.md has a longer run.
func FuzzParseExpression(f *testing.F) {
	for _, seed := range []string{
		"Apache-2.0 OR LicenseRef-llama-3.1", "MIT AND CC-BY-NC-4.0", "GPL-2.0-only WITH Classpath-exception-2.0",
		"", " ", "((", "MIT OR", "Apache 2.0", "llama3.1", "LicenseRef-", "DocumentRef-x:LicenseRef-y", "MIT+",
		strings.Repeat("MIT OR ", 100) + "MIT", strings.Repeat("(", 100), "\x00\xff", "MIT\x00", "MIT\u0085", "\xed\xa0\x80",
		strings.Repeat("(", 9) + "MIT" + strings.Repeat(")", 9), strings.Repeat("(MIT OR Apache-2.0) AND ", 20) + "MIT",
		strings.Repeat("x", 10_000),
	} {
		f.Add(seed)
	}
	a, err := NewAnalyzer()
	if err != nil {
		f.Fatal(err)
	}
	a.Explain("Apache 2.0 OR", "", domain.Criteria{ExpectedMonthlyUsers: 1}) // first use loads the lists
	f.Fuzz(func(t *testing.T, expr string) {
		e, err := ParseExpression(expr)
		if err != nil {
			if ee, ok := err.(*ExpressionError); !ok || ee.Fix() == "" {
				t.Fatalf("ParseExpression(%q) error %T %v, want an *ExpressionError with a fix", expr, err, err)
			}
		} else {
			if e.Normalized == "" || len(e.Terms) == 0 {
				t.Fatalf("ParseExpression(%q) = %+v", expr, e)
			}
			if expressionBounds(expr) != nil {
				t.Fatalf("ParseExpression(%q) accepted an expression out of bounds", expr)
			}
		}
		if n, limit := allocated(func() { a.Explain(expr, "", domain.Criteria{ExpectedMonthlyUsers: 1}) }), 4096*uint64(len(expr))+64<<20; n > limit {
			t.Fatalf("explaining %d bytes allocated %d, over %d", len(expr), n, limit)
		}
	})
}

// FuzzMatchText: any text hashes and matches without panicking, and a
// match is exact only when the hashes agree.
func FuzzMatchText(f *testing.F) {
	a, err := NewAnalyzer()
	if err != nil {
		f.Fatal(err)
	}
	f.Add("")
	f.Add("MIT License\n\nPermission is hereby granted, free of charge")
	f.Add("“quoted” **bold** \\escaped\u00a0text")
	f.Add(strings.Repeat("word ", 3))
	f.Fuzz(func(t *testing.T, text string) {
		m := a.kb.matchText(text)
		texts, _ := a.kb.index()
		if m.Hash != HashText(text) || (m.Exact && !slices.ContainsFunc(texts, func(t knownText) bool { return t.id == m.LicenseID && t.is(m.Hash) })) {
			t.Fatalf("matchText(%q) = %+v", text, m)
		}
		if m.Similarity < 0 || m.Similarity > 1 {
			t.Fatalf("similarity %v", m.Similarity)
		}
	})
}

// FuzzLicenseText: a license text of any size and content is reviewed in
// proportion to its size: one over the license_text limit is not read but
// refused by a finding, and no text makes the review panic.
func FuzzLicenseText(f *testing.F) {
	a, err := NewAnalyzer()
	if err != nil {
		f.Fatal(err)
	}
	apache, err := os.ReadFile("../../policies/data/licenses/apache-2.0.txt")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{"", "\x00", "a\x00b\r\n", "\xed\xa0\x80", string(apache), strings.Repeat("You may not use the Work. ", 10_000)} {
		f.Add(seed, 0)
	}
	f.Add("x", inputguard.MaxLength("license_text"))
	a.Review(domain.Manifest{Weights: domain.Weights{License: "Apache-2.0", LicenseText: string(apache)}}, criteria)
	f.Fuzz(func(t *testing.T, text string, pad int) {
		// pad grows the text past the limit without a seed that large in the corpus.
		if pad > 0 && pad <= 2*inputguard.MaxLength("license_text") {
			text += strings.Repeat("lorem ipsum ", pad/12+1)
		}
		var r domain.LicenseReport
		if n, limit := allocated(func() {
			r = a.Review(domain.Manifest{Weights: domain.Weights{License: "LicenseRef-Vendor", LicenseText: text}}, criteria)
		}), 64*uint64(len(text))+16<<20; n > limit {
			t.Fatalf("reviewing a %d-byte text allocated %d, over %d", len(text), n, limit)
		}
		tooLong := utf8.RuneCountInString(text) > inputguard.MaxLength("license_text")
		refused := slices.ContainsFunc(r.Findings, func(f domain.Finding) bool { return f.Rule == RuleTextTooLong })
		if tooLong != refused || (tooLong && r.Components[0].Text != nil) {
			t.Fatalf("a %d-character text: refused %v, read %v", utf8.RuneCountInString(text), refused, r.Components[0].Text != nil)
		}
	})
}

func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A 10 KB expression gets an answer, not a hang or a panic.
func TestLongExpressions(t *testing.T) {
	a := newAnalyzer(t)
	for _, expr := range []string{
		strings.Repeat("MIT OR ", 1450) + "LicenseRef-llama-3.1",
		strings.Repeat("LicenseRef-a AND ", 600) + "MIT",
		strings.Repeat("x", 10_000),
	} {
		r := a.Review(domain.Manifest{Weights: domain.Weights{License: expr}}, criteria)
		if len(r.Components) != 1 || len(r.Findings) == 0 {
			t.Errorf("%d-byte expression: %+v", len(expr), r.Components)
		}
	}
}

// BenchmarkMatchLicenseFile identifies real license files as vendors attach
// them: an Apache-2.0 copy with its holder filled in (exact), and the Llama
// 3.1 agreement with a clause added (near match, with the added passage).
func BenchmarkMatchLicenseFile(b *testing.B) {
	a, err := NewAnalyzer()
	if err != nil {
		b.Fatal(err)
	}
	read := func(name string) string {
		raw, err := os.ReadFile("../../policies/data/licenses/" + name)
		if err != nil {
			b.Fatal(err)
		}
		return string(raw)
	}
	for name, text := range map[string]string{
		"apache-exact": strings.Replace(read("apache-2.0.txt"), "Copyright [yyyy] [name of copyright owner]", "Copyright 2025 Example Labs", 1),
		"llama-modified": strings.Replace(read("llama-3.1.txt"), "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT",
			"LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nThe Licensee shall not use the Llama Materials for any government purpose.", 1),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if m := a.kb.matchText(text); m.LicenseID == "" {
					b.Fatalf("%s not recognised", name)
				}
			}
		})
	}
}

func BenchmarkMatchText(b *testing.B) {
	a, err := NewAnalyzer()
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("You may not use the Work for any military purpose. ", 40)
	b.ReportAllocs()
	for b.Loop() {
		a.kb.matchText(text)
	}
}
