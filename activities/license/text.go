package license

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"strings"
	"unicode"
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
	"*", "", "#", "", `\`, "", "`", "",
)

// NormalizeText folds case, typography, Markdown markup and whitespace, so
// texts that differ only in presentation compare equal.
func NormalizeText(s string) string {
	s = textFolds.Replace(strings.ToLower(s))
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// HashText is the identity of a license text: "sha256:<hex>" of its
// normalised form. Human resolutions are remembered by it.
func HashText(s string) string { return hashNormalized(NormalizeText(s)) }

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

// TextMatch is how a vendor's license text compares with the knowledge base.
type TextMatch struct {
	// Hash is the vendor text's HashText.
	Hash string `json:"hash"`
	// LicenseID is the known license the text is (Exact) or resembles; empty when none.
	LicenseID string `json:"license_id,omitempty"`
	Exact     bool   `json:"exact"`
	// Similarity is the Jaccard similarity of the shingle sets, 1 when exact.
	Similarity float64 `json:"similarity"`
	// Added are passages of the vendor text that the known text lacks.
	Added []string `json:"added,omitempty"`
}

// matchText identifies text: the known license with the same hash, else the
// most similar one above the near-match thresholds, else none.
func (k *knowledge) matchText(text string) TextMatch {
	normalized := NormalizeText(text)
	m := TextMatch{Hash: hashNormalized(normalized)}
	for _, t := range k.texts {
		if t.hash == m.Hash {
			return TextMatch{Hash: m.Hash, LicenseID: t.id, Exact: true, Similarity: 1}
		}
	}
	vendor := shingles(normalized)
	var best *knownText
	for i := range k.texts {
		t := &k.texts[i]
		common := 0
		for s := range t.shingles {
			if _, ok := vendor[s]; ok {
				common++
			}
		}
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
	m.LicenseID = best.id
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
