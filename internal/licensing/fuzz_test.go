package licensing

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

// FuzzParseExpression: any input is a valid expression or a clear
// *ExpressionError, and the review and explain built on it never panic.
// `go test` runs the seeds; `go test -fuzz=FuzzParseExpression` explores.
func FuzzParseExpression(f *testing.F) {
	for _, seed := range []string{
		"Apache-2.0 OR LicenseRef-llama-3.1", "MIT AND CC-BY-NC-4.0", "GPL-2.0-only WITH Classpath-exception-2.0",
		"", " ", "((", "MIT OR", "Apache 2.0", "llama3.1", "LicenseRef-", "DocumentRef-x:LicenseRef-y", "MIT+",
		strings.Repeat("MIT OR ", 100) + "MIT", strings.Repeat("(", 100), "\x00\xff",
	} {
		f.Add(seed)
	}
	a, err := NewAnalyzer()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		e, err := ParseExpression(expr)
		if err != nil {
			if ee, ok := err.(*ExpressionError); !ok || ee.Fix() == "" {
				t.Fatalf("ParseExpression(%q) error %T %v, want an *ExpressionError with a fix", expr, err, err)
			}
		} else if e.Normalized == "" || len(e.Terms) == 0 {
			t.Fatalf("ParseExpression(%q) = %+v", expr, e)
		}
		if len(expr) <= 200 {
			// The review is quadratic in the number of licenses; long inputs
			// are covered by TestLongExpressions.
			a.Explain(expr, "", domain.Criteria{ExpectedMonthlyUsers: 1})
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
		if m.Hash != HashText(text) || (m.Exact && !slices.ContainsFunc(a.kb.texts, func(t knownText) bool { return t.id == m.LicenseID && t.is(m.Hash) })) {
			t.Fatalf("matchText(%q) = %+v", text, m)
		}
		if m.Similarity < 0 || m.Similarity > 1 {
			t.Fatalf("similarity %v", m.Similarity)
		}
	})
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
