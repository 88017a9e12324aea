// Package inputguard owns the rules every piece of outside text meets before
// anything reads it further: valid UTF-8, no control characters but line
// breaks and tabs, each named field within its length (one table, Limits,
// which the OpenAPI document and the manifest schema state as maxLength),
// and every document within a size, depth and node budget. The API's body
// decoder, its form and URL guard and the manifest parsers all call it, so
// a text accepted in one place is accepted in every other.
//
// It depends on nothing but internal/domain: the web layer, the manifest
// formats and the license analysis import it, and its fuzz targets run it
// alone.
package inputguard

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// TextProblem says what is wrong with s as text, or "" when nothing is:
// s must be valid UTF-8 with no control character other than a line feed,
// a tab, or a carriage return that ends a line before its line feed (CRLF,
// as browsers send textareas and Windows editors save files).
func TextProblem(s string) string {
	char, line := 0, 1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		char++
		if r == utf8.RuneError && size == 1 {
			return fmt.Sprintf("is not valid UTF-8 (byte %d%s): send the text encoded as UTF-8", i+1, onLine(line))
		}
		if !allowed(r, i+size < len(s) && s[i+size] == '\n') {
			return controlMessage(r, char, line)
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return ""
}

// FieldProblem is TextProblem plus the length limit of the named field
// (MaxLength).
func FieldProblem(field, s string) string {
	if p := TextProblem(s); p != "" {
		return p
	}
	return lengthProblem(utf8.RuneCountInString(s), MaxLength(field))
}

// allowed reports whether r may appear in text; crlf says a line feed follows it.
func allowed(r rune, crlf bool) bool {
	switch r {
	case '\n', '\t':
		return true
	case '\r':
		return crlf
	}
	return !unicode.IsControl(r)
}

func controlMessage(r rune, char, line int) string {
	if r == '\r' {
		return fmt.Sprintf("holds a carriage return (U+000D) that no line feed follows, at character %d%s: end lines with a line feed (\\n)", char, onLine(line))
	}
	name := fmt.Sprintf("U+%04X", r)
	if r == 0 {
		name = "NUL (U+0000)"
	}
	return fmt.Sprintf("holds the control character %s at character %d%s: remove it; text may hold line breaks and tabs but no other control characters", name, char, onLine(line))
}

func onLine(line int) string {
	if line == 1 {
		return ""
	}
	return fmt.Sprintf(", line %d", line)
}

// lengthProblem words a length over max as the manifest schema does.
func lengthProblem(chars, max int) string {
	if chars <= max {
		return ""
	}
	return fmt.Sprintf("is too long: %d characters, at most %d allowed", chars, max)
}
