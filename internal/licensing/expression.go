package licensing

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/github/go-spdx/v2/spdxexp"
	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"

	"github.com/modeltender/modeltender/internal/inputguard"
	"github.com/modeltender/modeltender/policies"
)

const spdxListURL = "https://spdx.org/licenses/"

// Expression is a valid SPDX license expression.
type Expression struct {
	// Source is the expression as the vendor wrote it.
	Source string
	// Normalized is the expression with ids spelled as the SPDX list spells them.
	Normalized string
	// Terms are the distinct licenses the expression names, sorted.
	Terms []Term
}

// Term is one license of an expression, with its exception if any.
type Term struct {
	// License is an SPDX license id, or a LicenseRef- (optionally
	// DocumentRef-…:LicenseRef-) naming a license that is not on the SPDX list.
	License string
	// Exception is the SPDX exception id after WITH, if any.
	Exception string
	// OrLater is set for "id+": this version or any later one.
	OrLater bool
}

// String renders t in SPDX expression syntax.
func (t Term) String() string {
	s := t.License
	if t.OrLater {
		s += "+"
	}
	if t.Exception != "" {
		s += " WITH " + t.Exception
	}
	return s
}

// Custom reports whether t names a license outside the SPDX list.
func (t Term) Custom() bool {
	return strings.HasPrefix(t.License, "LicenseRef-") || strings.HasPrefix(t.License, "DocumentRef-")
}

// ParseExpression parses an SPDX license expression (AND, OR, WITH,
// parentheses, "+", LicenseRef-). Every id must be on the SPDX license list
// that go-spdx carries; anything else must be written as LicenseRef-<name>.
// The error, an *ExpressionError, says what is wrong and how to write it.
//
// An expression is at most inputguard.MaxLength("license") characters with
// parentheses at most maxExpressionDepth deep, so what the parser and the
// review built on it do stays bounded.
func ParseExpression(expr string) (*Expression, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, &ExpressionError{Expression: expr, Problem: "it is empty"}
	}
	if err := expressionBounds(expr); err != nil {
		return nil, err
	}
	leaves, err := spdxexp.ExtractLicenses(expr)
	if err != nil {
		return nil, &ExpressionError{Expression: expr, Problem: err.Error(), Suggestion: suggest(expr)}
	}
	normalized, _ := spdxexp.ValidateAndNormalizeLicensesWithOptions([]string{expr}, spdxexp.ValidateLicensesOptions{})
	if len(normalized) != 1 {
		// ExtractLicenses and validation share one parser, so this would be a go-spdx bug.
		return nil, &ExpressionError{Expression: expr, Problem: "go-spdx could not normalize it"}
	}
	e := &Expression{Source: expr, Normalized: normalized[0]}
	for _, leaf := range leaves {
		e.Terms = append(e.Terms, parseTerm(leaf))
	}
	slices.SortFunc(e.Terms, func(a, b Term) int { return strings.Compare(a.String(), b.String()) })
	return e, nil
}

// maxExpressionDepth bounds how deep an expression's parentheses nest; a
// real one nests one or two deep.
const maxExpressionDepth = 8

// expressionBounds refuses an expression that is not text, is longer than
// the license field's limit, or nests deeper than maxExpressionDepth.
func expressionBounds(expr string) *ExpressionError {
	if p := inputguard.TextProblem(expr); p != "" {
		return &ExpressionError{Expression: expr, Problem: "it " + p, outOfBounds: true}
	}
	if n, limit := utf8.RuneCountInString(expr), inputguard.MaxLength("license"); n > limit {
		return &ExpressionError{Expression: expr, Problem: fmt.Sprintf("it is %d characters long, at most %d allowed", n, limit), outOfBounds: true}
	}
	depth := 0
	for _, r := range expr {
		switch r {
		case '(':
			if depth++; depth > maxExpressionDepth {
				return &ExpressionError{Expression: expr, Problem: fmt.Sprintf("its parentheses nest more than %d deep", maxExpressionDepth), outOfBounds: true}
			}
		case ')':
			depth--
		}
	}
	return nil
}

// parseTerm splits a license as go-spdx renders it: "id[+][ WITH exception]".
func parseTerm(leaf string) Term {
	license, exception, _ := strings.Cut(leaf, " WITH ")
	base, orLater := strings.CutSuffix(license, "+")
	return Term{License: base, Exception: exception, OrLater: orLater}
}

// satisfiedBy reports whether the licenses in allowed satisfy e: one OR
// branch whose AND terms are all allowed.
func (e *Expression) satisfiedBy(allowed []Term) bool {
	if len(allowed) == 0 {
		return false
	}
	names := make([]string, len(allowed))
	for i, t := range allowed {
		names[i] = t.String()
	}
	ok, err := spdxexp.Satisfies(e.Normalized, names)
	// e parsed already, so an error is a go-spdx bug; not satisfied sends
	// the component to a reviewer rather than passing it.
	return err == nil && ok
}

// ExpressionError is an invalid SPDX license expression.
type ExpressionError struct {
	Expression string
	// Problem is what the parser found wrong.
	Problem string
	// Suggestion is a valid expression the vendor probably meant, if one was found.
	Suggestion string
	// outOfBounds says the expression was not parsed at all (expressionBounds).
	outOfBounds bool
}

func (e *ExpressionError) Error() string {
	return e.What() + ": " + e.Fix()
}

// What says what is wrong with the expression.
func (e *ExpressionError) What() string {
	if e.Suggestion != "" {
		return fmt.Sprintf("%q is not a valid SPDX license expression", e.Expression)
	}
	return fmt.Sprintf("%q is not a valid SPDX license expression (%s)", e.Expression, e.Problem)
}

// Fix says how to write the expression.
func (e *ExpressionError) Fix() string {
	switch {
	case strings.HasPrefix(e.Suggestion, "LicenseRef-"):
		return fmt.Sprintf("use %q for a license that is not on the SPDX list (see %s)", e.Suggestion, spdxListURL)
	case e.Suggestion != "" && !strings.Contains(e.Suggestion, " "):
		return fmt.Sprintf("use the SPDX id %q (see %s)", e.Suggestion, spdxListURL)
	case e.Suggestion != "":
		return fmt.Sprintf("use %q (see %s)", e.Suggestion, spdxListURL)
	}
	return fmt.Sprintf(`write SPDX license ids joined by AND, OR or WITH, e.g. "Apache-2.0" or "MIT OR Apache-2.0", `+
		`and name a license that is not on the SPDX list as "LicenseRef-<name>", e.g. "LicenseRef-Llama-3.1-Community" (see %s)`, spdxListURL)
}

// suggest rewrites expr with each license phrase replaced by the SPDX id it
// names ("Apache 2.0" -> "Apache-2.0") and operators in upper case, and
// returns the result if it is valid; otherwise "".
func suggest(expr string) string {
	aliases, err := loadAliases()
	if err != nil {
		// Without the list there is nothing to suggest; the error still says how to fix it.
		return ""
	}
	s, ok := rewriteNames(expr, func(word string) (string, bool) {
		switch upper := strings.ToUpper(word); upper {
		case "AND", "OR", "WITH", "(", ")":
			return upper, true
		}
		return "", false
	}, func(phrase string) (string, bool) {
		id := aliases.lookup(phrase)
		return id, id != ""
	})
	if !ok || s == strings.TrimSpace(expr) {
		return ""
	}
	if ok, _ := spdxexp.ValidateLicenses([]string{s}); !ok {
		return ""
	}
	return s
}

// rewriteNames splits expr into the license names written between its
// operators and parentheses, replaces each with what name makes of it, and
// joins the result back into an expression. operator says whether a word is
// an operator and how to write it; ok is false when name refuses a name.
func rewriteNames(expr string, operator, name func(string) (string, bool)) (string, bool) {
	var out, phrase []string
	flush := func() bool {
		if len(phrase) == 0 {
			return true
		}
		id, ok := name(strings.Join(phrase, " "))
		phrase = phrase[:0]
		out = append(out, id)
		return ok
	}
	for _, word := range strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ").Replace(expr)) {
		if op, isOperator := operator(word); isOperator {
			if !flush() {
				return "", false
			}
			out = append(out, op)
		} else {
			phrase = append(phrase, word)
		}
	}
	if !flush() {
		return "", false
	}
	return strings.NewReplacer("( ", "(", " )", ")").Replace(strings.Join(out, " ")), true
}

// aliases maps a loose spelling of a license (see aliasKey) to its SPDX id.
type aliases map[string]string

func (a aliases) lookup(phrase string) string {
	const ref = "licenseref-"
	if len(phrase) > len(ref) && strings.EqualFold(phrase[:len(ref)], ref) {
		return "LicenseRef-" + refIDString(phrase[len(ref):])
	}
	base, plus := strings.CutSuffix(phrase, "+")
	id := a[aliasKey(base)]
	if id != "" && plus {
		id += "+"
	}
	return id
}

// refIDString replaces each run of characters a LicenseRef id may not
// contain (anything but letters, digits, "." and "-") with "-".
func refIDString(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		case !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// plusPlus keeps "++" in a name as a word, so "Open RAIL++-M" and "Open
// RAIL-M" stay two licenses when punctuation is folded away.
var plusPlus = strings.NewReplacer("++", " plusplus ")

// aliasKey folds case, punctuation and the filler words "license",
// "licence", "the" and "version", so "Apache License, Version 2.0",
// "apache 2.0" and "Apache-2.0" meet.
func aliasKey(s string) string {
	var b strings.Builder
	for _, word := range strings.FieldsFunc(plusPlus.Replace(strings.ToLower(s)), func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	}) {
		switch word {
		case "license", "licence", "the", "version":
		default:
			b.WriteString(word)
		}
	}
	return b.String()
}

// loadAliases indexes ids and names of the vendored SPDX list and go-spdx's
// exception ids. It runs only for an invalid expression, so the index is
// built then rather than held for the life of the process.
func loadAliases() (aliases, error) {
	list, err := loadList(policies.Data())
	if err != nil {
		return nil, err
	}
	type candidate struct {
		id         string
		deprecated bool
	}
	found := map[string][]candidate{}
	add := func(key string, c candidate) {
		if key != "" && !slices.Contains(found[key], c) {
			found[key] = append(found[key], c)
		}
	}
	for _, l := range list.Licenses {
		add(aliasKey(l.ID), candidate{l.ID, l.Deprecated})
		add(aliasKey(l.Name), candidate{l.ID, l.Deprecated})
	}
	for _, id := range spdxlicenses.GetExceptions() {
		add(aliasKey(id), candidate{id, false})
	}
	hub, err := loadLicenseAliases(policies.Data())
	if err != nil {
		return nil, err
	}
	for alias, id := range hub.Aliases {
		add(aliasKey(alias), candidate{id, false})
	}
	a := aliases{}
	for key, cs := range found {
		// A current id wins over a deprecated one with the same spelling
		// (GPL-2.0-only over GPL-2.0); otherwise an ambiguous key suggests nothing.
		if current := slices.DeleteFunc(slices.Clone(cs), func(c candidate) bool { return c.deprecated }); len(current) > 0 {
			cs = current
		}
		if len(cs) == 1 {
			a[key] = cs[0].id
		}
	}
	return a, nil
}

// licenseList is policies/data/spdx-licenses.json.
type licenseList struct {
	Version  string         `json:"license_list_version"`
	Licenses []licenseFacts `json:"licenses"`
}

// licenseFacts is what the SPDX list says about one license.
type licenseFacts struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	OSIApproved bool   `json:"osi_approved"`
	FSFLibre    bool   `json:"fsf_libre"`
	Deprecated  bool   `json:"deprecated"`
	URL         string `json:"url"`
	// SeeAlso are the license's other published locations.
	SeeAlso []string `json:"see_also,omitempty"`
}

const listFile = "spdx-licenses.json"

func loadList(data fs.FS) (licenseList, error) {
	raw, err := fs.ReadFile(data, listFile)
	if err != nil {
		return licenseList{}, fmt.Errorf("read SPDX license list: %w", err)
	}
	var list licenseList
	if err := json.Unmarshal(raw, &list); err != nil {
		return licenseList{}, fmt.Errorf("decode SPDX license list %s: %w", listFile, err)
	}
	if len(list.Licenses) == 0 || list.Version == "" {
		return licenseList{}, fmt.Errorf("SPDX license list %s has no licenses or no version", listFile)
	}
	return list, nil
}
