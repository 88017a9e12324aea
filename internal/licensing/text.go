package licensing

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"regexp"
	"strings"
	"unicode"

	"github.com/modeltender/modeltender/internal/domain"
)

// Thresholds of the near match, measured on word 5-gram shingles: a vendor
// text is a modified copy of a known license when it keeps most of the
// known text and adds or drops little.
const (
	shingleWords     = 5
	nearMatchKept    = 0.80 // share of the known text's shingles the vendor text keeps
	nearMatchJaccard = 0.60 // similarity of the two shingle sets
	maxReportedAdded = 3
	minAddedWords    = 4
)

// textFolds maps typographic characters to the ASCII a license text means
// by them, and drops Markdown emphasis and escapes, so one license copied
// from a web page, a README or a PDF hashes the same.
var textFolds = strings.NewReplacer(
	"\u201c", `"`, "\u201d", `"`, "\u2018", "'", "\u2019", "'", "\u2013", "-", "\u2014", "-", "\u00a0", " ",
	"{", "[", "}", "]", // placeholders: "[yyyy]" and "{yyyy}" alike
	"*", "", "#", "", `\`, "", "`", "",
)

// NormalizeText folds case, typography, Markdown markup and whitespace, so
// texts that differ only in presentation compare equal.
func NormalizeText(s string) string {
	s = textFolds.Replace(strings.ToLower(s))
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// HashText is the identity of a license text: "sha256:<hex>" of its
// matching form (matchForm). Human resolutions are remembered by it.
func HashText(s string) string { return hashNormalized(matchForm(s)) }

// matchForm is the normalised text (NormalizeText) without what the SPDX
// License List Matching Guidelines let a copy of a license change: its
// copyright notices (B.8), the title on its first line (B.7.1), list
// markers and http/https (see below). Two
// copies of the MIT License with different copyright holders, one titled
// "MIT License" and one not, are the same text.
func matchForm(s string) string {
	var kept []string
	titled := false
	for _, line := range strings.Split(s, "\n") {
		t := strings.ToLower(strings.TrimSpace(strings.Trim(line, "#*>_ \t\r")))
		if t == "" || isNotice(t) {
			continue
		}
		if !titled {
			titled = true
			if isTitle(t) {
				continue
			}
		}
		kept = append(kept, line)
	}
	var words []string
	for _, w := range strings.Fields(NormalizeText(strings.Join(kept, "\n"))) {
		// List markers ("(a)", "1.", "-") are omittable (B.6.3), the text
		// means the same with or without a closing period or comma, and
		// every style of quotation mark is equivalent (B.3.4): "as is",
		// 'as is' and ''as is'' alike.
		w = strings.TrimLeft(strings.TrimRight(w, `.,;:"'`), `"'`)
		if w != "" && !isListMarker(w) {
			words = append(words, strings.Replace(w, "https://", "http://", 1)) // B.13: http and https alike
		}
	}
	text := strings.ReplaceAll(strings.Join(words, " "), "copyright owner", "copyright holder")
	for _, v := range holderVariables {
		text = v.pattern.ReplaceAllString(text, v.standard)
	}
	return text
}

// holder is a holder's name in holderVariables: up to 120 characters, no
// sentence end (a period may stand inside a name, as in "CZ.NIC").
const holder = `(?:[^.]|\.[^ ]){1,120}?`

// holderVariables are the passages where the SPDX templates of the BSD,
// MIT and ISC licenses let a copy name its own holder (a <<var>>): "Neither
// the name of Google Inc. nor the names of its contributors", "PROVIDED BY
// RICHARD CROWLEY AS IS", "IN NO EVENT SHALL THE REGENTS OR CONTRIBUTORS BE
// LIABLE". Each is written in one standard form, so a copy that only names
// its holder there is the license itself. A variable does not span a
// sentence.
var holderVariables = []struct {
	pattern  *regexp.Regexp
	standard string
}{
	{regexp.MustCompile(`neither the names? of ` + holder + ` nor the names of (its |the |their )?(authors and )?contributors`), "neither the name of the copyright holder nor the names of its contributors"},
	{regexp.MustCompile(`provided by ` + holder + ` as is`), "provided by the copyright holder as is"},
	{regexp.MustCompile(`in no event shall ` + holder + ` be liable`), "in no event shall the copyright holder be liable"},
}

// isListMarker reports a bullet or a list number or letter standing alone
// (its closing period already trimmed): "-", "•", "a", "(a)", "iv)",
// "12", "1.2.3". It runs on every word of a text, so it is written out
// rather than a regular expression.
func isListMarker(w string) bool {
	switch w {
	case "-", "\u2022", "\u00b7":
		return true
	}
	if len(w) == 1 {
		return w[0] >= 'a' && w[0] <= 'z' || w[0] >= '0' && w[0] <= '9'
	}
	if romanNumeral(w) { // "ii", "viii", "xiv"
		return true
	}
	if inner, ok := strings.CutSuffix(w, ")"); ok { // "(a)", "a)", "(iv)", "12)"
		inner = strings.TrimPrefix(inner, "(")
		return len(inner) >= 1 && len(inner) <= 3 && strings.IndexFunc(inner, func(r rune) bool {
			return (r < 'a' || r > 'z') && (r < '0' || r > '9')
		}) < 0
	}
	group := 0 // digits since the last dot: "12", "1.2.3"
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c >= '0' && c <= '9' && group < 3:
			group++
		case c == '.' && group > 0:
			group = 0
		default:
			return false
		}
	}
	return group > 0
}

// romanNumeral reports a lower-case Roman numeral from 1 to 39 in its
// standard form, as lists number their items ("ii", "viii", "xiv"); words
// made of the same letters ("mix", "civil") are not.
func romanNumeral(w string) bool {
	rest := strings.TrimLeft(w, "x")
	if len(w)-len(rest) > 3 {
		return false
	}
	switch rest {
	case "", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix":
		return w != ""
	}
	return false
}

// copyrightNotice is a copyright notice line (lower case, trimmed): the
// word, then a year, a (c) or © sign, or a placeholder for the year, as
// "Copyright (c) 2023 Example Labs" or "Copyright [yyyy] [name of copyright
// owner]"; not a sentence of the terms that a line break starts with
// "copyright", such as "copyright notice that is included in...".
var copyrightNotice = regexp.MustCompile(`^(copyright\s*(\(c\)|\x{a9}|[\[<{]?(yyyy|year)|\d{4})|\(c\)\s*\d{4}|\x{a9}\s*\d{4}|all rights reserved\.?$)`)

func isNotice(line string) bool {
	if copyrightNotice.MatchString(line) {
		return true
	}
	// "Copyright OWASP Foundation": a short line naming a holder, not a
	// sentence of the terms going on from "copyright"; and the end of a
	// notice that took two lines ("Authors. All rights reserved.").
	words := strings.Fields(line)
	if len(words) <= 8 && strings.HasSuffix(strings.TrimRight(line, "."), "all rights reserved") {
		return true
	}
	return len(words) >= 2 && len(words) <= 8 && words[0] == "copyright" && !termWords[words[1]]
}

// termWords follow "copyright" in the terms of licenses, not in notices.
var termWords = map[string]bool{
	"notice": true, "notices": true, "license": true, "licenses": true, "owner": true, "owners": true, "holder": true,
	"holders": true, "and": true, "or": true, "law": true, "laws": true, "statement": true, "infringement": true,
	"to": true, "of": true, "in": true, "the": true, "by": true, "for": true, "is": true, "that": true, "protection": true,
	"interest": true, "rights": true, "claim": true, "claims": true, "act": true,
}

// isTitle reports a first line that names the license rather than states
// a term: short, not a sentence, and saying what it is.
func isTitle(line string) bool {
	if len(strings.Fields(line)) > 8 || strings.HasSuffix(line, ".") || strings.HasSuffix(line, ":") {
		return false
	}
	for _, word := range []string{"license", "licence", "agreement", "terms"} {
		if strings.Contains(line, word) {
			return true
		}
	}
	return false
}

func hashNormalized(normalized string) string {
	sum := sha256.Sum256([]byte(normalized))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// shingles returns the hashed word n-grams of a normalised text; a text
// shorter than one n-gram is a single shingle.
func shingles(normalized string) map[uint64]struct{} {
	words := strings.Fields(normalized)
	set := map[uint64]struct{}{}
	for i := 0; i == 0 || i+shingleWords <= len(words); i++ {
		set[shingleHash(words[i:min(i+shingleWords, len(words))])] = struct{}{}
	}
	return set
}

func shingleHash(words []string) uint64 {
	h := fnv.New64a()
	for _, w := range words {
		h.Write([]byte(w))
		h.Write([]byte{' '})
	}
	return h.Sum64()
}

// matchText identifies text: the known license with the same hash, else the
// most similar one above the near-match thresholds, else none.
func (k *knowledge) matchText(text string) domain.TextMatch {
	normalized := matchForm(text)
	m := domain.TextMatch{Hash: hashNormalized(normalized)}
	texts, inTexts := k.index()
	for _, t := range texts {
		if t.is(m.Hash) {
			return domain.TextMatch{Hash: m.Hash, LicenseID: t.id, Version: t.version, Exact: true, Similarity: 1}
		}
	}
	vendor := shingles(normalized)
	// Count each known text's shingles the vendor text shares, through the
	// index: the work follows the vendor text, not the knowledge base.
	shared := make([]int, len(texts))
	for s := range vendor {
		for _, i := range inTexts[s] {
			shared[i]++
		}
	}
	var best *knownText
	for i := range texts {
		t, common := &texts[i], shared[i]
		kept := float64(common) / float64(len(t.shingles))
		jaccard := float64(common) / float64(len(t.shingles)+len(vendor)-common)
		if kept >= nearMatchKept && jaccard >= nearMatchJaccard && jaccard > m.Similarity {
			m.Similarity, best = jaccard, t
		}
	}
	if best == nil {
		m.Similarity = 0
		return m
	}
	m.LicenseID, m.Version = best.id, best.version
	m.Added = addedPassages(normalized, best.shingles)
	return m
}

// addedPassages returns up to maxReportedAdded runs of at least
// minAddedWords words of normalized that no shingle of the known text
// covers: what the vendor added to the standard text.
func addedPassages(normalized string, known map[uint64]struct{}) []string {
	words := strings.Fields(normalized)
	covered := make([]bool, len(words))
	for i := 0; i+shingleWords <= len(words); i++ {
		if _, ok := known[shingleHash(words[i:i+shingleWords])]; ok {
			for j := i; j < i+shingleWords; j++ {
				covered[j] = true
			}
		}
	}
	var added []string
	for i := 0; i < len(words) && len(added) < maxReportedAdded; {
		if covered[i] {
			i++
			continue
		}
		j := i
		for j < len(words) && !covered[j] {
			j++
		}
		if j-i >= minAddedWords {
			added = append(added, strings.Join(words[i:j], " "))
		}
		i = j
	}
	return added
}
