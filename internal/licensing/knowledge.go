package licensing

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
)

// Clause names: the facts a knowledge-base entry records, each resting on
// quotes from the vendored license text. A human resolution is remembered
// per clause.
const (
	ClauseCommercialUse   = "commercial_use"
	ClauseMAUCap          = "mau_cap"
	ClauseAcceptableUse   = "acceptable_use_policy"
	ClauseFieldOfUse      = "field_of_use_restrictions"
	ClauseUseRestrictions = "use_restrictions"
	ClauseNaming          = "naming_requirement"
	ClauseLitigation      = "termination_on_litigation"
	ClauseDerivatives     = "derivative_restrictions"
	ClauseGovernmentUse   = "government_use_notes"
	ClauseLicense         = "license"      // the license as a whole (unknown, not OSI-approved, unverified)
	ClauseText            = "license_text" // the text a vendor attached
	commercialAllowed     = "allowed"
	commercialRestricted  = "restricted"
	commercialForbidden   = "forbidden"
	knowledgeFile         = "ai-licenses.json"
)

// Entry is what the knowledge base knows about one license: clause facts,
// each backed by quotes from the license text vendored in policies/data.
type Entry struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Licensor string   `json:"licensor,omitempty"`
	Aliases  []string `json:"aliases"`
	URLs     []string `json:"urls"`
	// Texts are the vendored texts the quotes come from, relative to
	// policies/data; the first is the license itself, the others documents
	// it incorporates (an acceptable use policy).
	Texts []string `json:"texts"`
	// EarlierTexts are earlier versions of the license (Texts[0]) still in
	// circulation: a copy of one is recognised as this license in that
	// version, and a reviewer checks the clauses against it.
	EarlierTexts []EarlierText `json:"earlier_texts,omitempty"`
	ClauseFacts
}

// EarlierText is a vendored earlier version of a license.
type EarlierText struct {
	File    string `json:"file"`
	Version string `json:"version"`
}

// ClauseFacts are the clause facts of a license, each backed by Quotes.
type ClauseFacts struct {
	CommercialUse          string   `json:"commercial_use"`
	MAUCap                 *int64   `json:"mau_cap"`
	AcceptableUsePolicy    bool     `json:"acceptable_use_policy"`
	AUPByReference         bool     `json:"aup_by_reference"`
	AUPLicensorMayUpdate   bool     `json:"aup_licensor_may_update"`
	FieldOfUseRestrictions []string `json:"field_of_use_restrictions"`
	// UseRestrictions map the uses the license forbids onto use-case
	// classes, each with its quote, to weigh against a solicitation.
	UseRestrictions         []UseRestriction `json:"use_restrictions,omitempty"`
	NamingRequirement       *string          `json:"naming_requirement"`
	TerminationOnLitigation bool             `json:"termination_on_litigation"`
	DerivativeRestrictions  *string          `json:"derivative_restrictions"`
	// DerivativesBound says derivatives must be offered under this
	// license's terms, quoted under the clause derivatives_bound.
	DerivativesBound   bool   `json:"derivatives_bound,omitempty"`
	GovernmentUseNotes string `json:"government_use_notes,omitempty"`
	// Unverified says why the facts rest on no vendored text; empty when they do.
	Unverified string  `json:"unverified,omitempty"`
	Quotes     []Quote `json:"quotes"`
}

// Quote is a passage of a vendored license text that a clause fact rests on.
type Quote struct {
	Clause string `json:"clause"`
	File   string `json:"file"`
	Text   string `json:"text"`
}

// quote returns the first quote for clause, or "" when the entry has none.
func (e *Entry) quote(clause string) string {
	for _, q := range e.Quotes {
		if q.Clause == clause {
			return q.Text
		}
	}
	return ""
}

// knowledge is the curated license knowledge base of
// policies/data/ai-licenses.json with its vendored texts.
type knowledge struct {
	version string
	entries map[string]*Entry // by id
	names   map[string]string // alias key (see knowledgeKey) -> id
	// listed are the entries in the knowledge base's order and spdx the
	// SPDX license list, which the URL index is built from.
	listed []*Entry
	spdx   licenseList

	// Normalising the few thousand URLs the entries and the SPDX list
	// publish costs more than the rest of the names together, and most
	// licenses are not written as a URL, so the index is built on the first
	// URL (urlIndex).
	urlOnce sync.Once
	urls    map[string]string // normalised URL (see urlKey) -> id
	// sharedURLs are published locations several current licenses list
	// (the GPL-3.0 text for -only and -or-later): they name none alone.
	sharedURLs map[string][]string
	// raw are the vendored texts as read: the first text of every entry
	// that has one, and its earlier versions.
	raw []rawText

	// Preparing every text for matching (normalising, hashing, shingling)
	// costs more than the rest of the knowledge base together, and most
	// reviews match no text, so it is done on the first match (index).
	prepareOnce sync.Once
	texts       []knownText // raw, prepared
	// inTexts indexes texts by shingle: the texts (indices) holding it.
	inTexts map[uint64][]int
	// hashes are the match-form hashes of entries' current texts computed
	// before the texts were prepared (textHash), by id.
	hashMu sync.Mutex
	hashes map[string]string
}

// rawText is a vendored license text as read.
type rawText struct{ id, version, text string }

// knownText is a vendored license text prepared for matching.
type knownText struct {
	id string
	// version names an earlier version of the license; "" for the one the
	// entry's clause facts are quoted from.
	version string
	hash    string
	// variants are the hashes of the copies of the text that leave out its
	// optional end (see optionalEnd), which are the same license.
	variants []string
	shingles map[uint64]struct{}
}

// is reports whether hash is the text or one of its variants.
func (t knownText) is(hash string) bool { return t.hash == hash || slices.Contains(t.variants, hash) }

func loadKnowledge(data fs.FS, spdx licenseList) (*knowledge, error) {
	raw, err := fs.ReadFile(data, knowledgeFile)
	if err != nil {
		return nil, fmt.Errorf("read license knowledge base: %w", err)
	}
	var doc struct {
		Version  string   `json:"version"`
		Licenses []*Entry `json:"licenses"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decode license knowledge base %s: %w", knowledgeFile, err)
	}
	k := &knowledge{version: doc.Version, entries: map[string]*Entry{}, names: map[string]string{}, listed: doc.Licenses, spdx: spdx}
	for _, e := range doc.Licenses {
		if _, dup := k.entries[e.ID]; dup {
			return nil, fmt.Errorf("license knowledge base %s: %s appears twice", knowledgeFile, e.ID)
		}
		k.entries[e.ID] = e
		for _, name := range append([]string{e.ID, e.Name}, e.Aliases...) {
			if err := k.addName(name, e.ID); err != nil {
				return nil, err
			}
		}
		if len(e.Texts) == 0 {
			continue
		}
		versions := append([]EarlierText{{File: e.Texts[0]}}, e.EarlierTexts...)
		for _, v := range versions {
			text, err := fs.ReadFile(data, v.File)
			if err != nil {
				return nil, fmt.Errorf("license knowledge base: text of %s: %w", e.ID, err)
			}
			k.raw = append(k.raw, rawText{id: e.ID, version: v.Version, text: string(text)})
		}
	}
	for _, l := range spdx.Licenses {
		if e := k.entries[l.ID]; e != nil && e.Name == "" {
			e.Name = l.Name
		}
	}
	return k, nil
}

// urlIndex returns the license each normalised URL names and the
// locations several current licenses share, built on the first call: the
// entries' own URLs, then the SPDX list's pages of each license, then the
// locations the list publishes for each (url, seeAlso) that neither
// claims.
func (k *knowledge) urlIndex() (urls map[string]string, shared map[string][]string) {
	k.urlOnce.Do(func() {
		k.urls, k.sharedURLs = map[string]string{}, map[string][]string{}
		for _, e := range k.listed {
			for _, u := range e.URLs {
				k.urls[urlKey(u)] = e.ID
			}
		}
		published := map[string][]licenseFacts{} // a license's published locations, by urlKey
		for _, l := range k.spdx.Licenses {
			for _, page := range []string{"", ".html", ".json"} {
				k.urls[urlKey(spdxListURL+l.ID+page)] = l.ID
			}
			for _, u := range append([]string{l.URL}, l.SeeAlso...) {
				if u == "" {
					continue
				}
				key := urlKey(u)
				if !slices.ContainsFunc(published[key], func(f licenseFacts) bool { return f.ID == l.ID }) {
					published[key] = append(published[key], l)
				}
			}
		}
		for key, ls := range published {
			if _, taken := k.urls[key]; taken {
				continue
			}
			if id := onlyCurrent(ls); id != "" {
				k.urls[key] = id
				continue
			}
			for _, l := range ls {
				if !l.Deprecated {
					k.sharedURLs[key] = append(k.sharedURLs[key], l.ID)
				}
			}
		}
	})
	return k.urls, k.sharedURLs
}

// onlyCurrent picks the license a published location names: the one
// license listing it, or the one current license among deprecated ids
// listing it too (GPL-2.0-only, not GPL-2.0). A location several current
// licenses list (the GPL text for -only and -or-later) names none.
func onlyCurrent(ls []licenseFacts) string {
	current := slices.DeleteFunc(slices.Clone(ls), func(f licenseFacts) bool { return f.Deprecated })
	switch {
	case len(ls) == 1:
		return ls[0].ID
	case len(current) == 1:
		return current[0].ID
	}
	return ""
}

func (k *knowledge) addName(name, id string) error {
	key := knowledgeKey(name)
	if key == "" {
		return nil
	}
	if other, taken := k.names[key]; taken && other != id {
		return fmt.Errorf("license knowledge base %s: %q names both %s and %s", knowledgeFile, name, other, id)
	}
	k.names[key] = id
	return nil
}

// byName finds the entry a loose spelling names: an id in any case, a name
// or an alias ("llama3.1", "Llama 3.1 Community License").
func (k *knowledge) byName(s string) *Entry {
	if after, ok := cutFold(s, "LicenseRef-"); ok {
		if e := k.entries["LicenseRef-"+after]; e != nil {
			return e
		}
		s = after
	}
	return k.entries[k.names[knowledgeKey(s)]]
}

// byURL returns the id of the license a URL points at, or "".
func (k *knowledge) byURL(s string) string {
	urls, _ := k.urlIndex()
	return urls[urlKey(s)]
}

// knowledgeKey folds what aliasKey folds and also the words "community",
// "agreement" and "meta", which vendors add or drop at will.
func knowledgeKey(s string) string {
	var b strings.Builder
	for _, word := range strings.FieldsFunc(plusPlus.Replace(strings.ToLower(s)), func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	}) {
		switch word {
		case "license", "licence", "the", "version", "community", "agreement", "meta":
		default:
			b.WriteString(word)
		}
	}
	return b.String()
}

// urlKey drops what differs between spellings of one license URL: scheme,
// "www.", case, tracking parameters, fragment and trailing slash. A GitHub
// raw URL becomes its blob URL, an OSI page its current address.
func urlKey(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return strings.ToLower(s)
	}
	host := strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	p := strings.ToLower(strings.TrimSuffix(path.Clean("/"+u.Path), "/"))
	if host == "raw.githubusercontent.com" {
		// /owner/repo/ref/path -> github.com/owner/repo/blob/ref/path
		if parts := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 4); len(parts) == 4 {
			host, p = "github.com", "/"+strings.Join([]string{parts[0], parts[1], "blob", parts[2], parts[3]}, "/")
		}
	}
	if host == "opensource.org" {
		// The OSI moved its pages from /licenses/<id> to /license/<id>.
		p = strings.Replace(p, "/licenses/", "/license/", 1)
	}
	// A query can name the document (a gitweb blob of one version), so it
	// stays, without the tracking parameters links pick up.
	q := u.Query()
	for name := range q {
		if strings.HasPrefix(name, "utm_") || name == "ref" {
			q.Del(name)
		}
	}
	if len(q) > 0 {
		return host + p + "?" + strings.ToLower(q.Encode())
	}
	return host + p
}

// isURL reports whether s looks like a web address rather than a license name.
func isURL(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") ||
		(!strings.Contains(s, " ") && strings.Contains(s, "/") && strings.Contains(strings.SplitN(s, "/", 2)[0], "."))
}

func cutFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// textHash returns the hash of the vendored text of id, or "" when the
// knowledge base holds none.
// endOfTerms ends the terms of licenses whose appendix, on how to apply
// the license, is optional in their SPDX template (Apache-2.0 and the
// licenses written on it): copies often leave the appendix out.
const endOfTerms = "end of terms and conditions"

// optionalEnd returns the normalized text without its optional appendix,
// with and without the line that ends the terms; none when it has none.
func optionalEnd(normalized string) []string {
	i := strings.LastIndex(normalized, endOfTerms)
	if i < 0 || i+len(endOfTerms) == len(normalized) {
		return nil
	}
	return []string{strings.TrimSpace(normalized[:i+len(endOfTerms)]), strings.TrimSpace(normalized[:i])}
}

// index prepares every vendored text for matching, once, and returns them
// with their shingle index.
func (k *knowledge) index() ([]knownText, map[uint64][]int) {
	k.prepareOnce.Do(func() {
		k.texts = make([]knownText, len(k.raw))
		k.inTexts = map[uint64][]int{}
		for i, r := range k.raw {
			normalized := matchForm(r.text)
			t := knownText{id: r.id, version: r.version, hash: hashNormalized(normalized), shingles: shingles(normalized)}
			for _, variant := range optionalEnd(normalized) {
				t.variants = append(t.variants, hashNormalized(variant))
			}
			k.texts[i] = t
			for s := range t.shingles {
				k.inTexts[s] = append(k.inTexts[s], i)
			}
		}
	})
	return k.texts, k.inTexts
}

// textHash is the match-form hash of the current text of license id ("" if
// it has none), without preparing every text for it.
func (k *knowledge) textHash(id string) string {
	k.hashMu.Lock()
	defer k.hashMu.Unlock()
	if h, ok := k.hashes[id]; ok {
		return h
	}
	h := ""
	for _, r := range k.raw {
		if r.id == id {
			h = HashText(r.text)
			break
		}
	}
	if k.hashes == nil {
		k.hashes = map[string]string{}
	}
	k.hashes[id] = h
	return h
}
