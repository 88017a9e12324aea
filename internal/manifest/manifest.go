// Package manifest reads candidate model manifests as vendors submit them,
// validates them against the published JSON Schema and maps them into
// domain.Manifest. Every rejection names the field and how to fix it.
package manifest

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/modeltender/modeltender/internal/domain"
)

// SchemaJSON is the JSON Schema of the native manifest format, served to
// vendors and used for validation.
//
//go:embed schema/manifest.schema.json
var SchemaJSON []byte

var printer = message.NewPrinter(language.English)

const schemaURL = "https://modeltender.dev/schemas/manifest-1.json"

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		return nil, fmt.Errorf("read embedded manifest schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, fmt.Errorf("add manifest schema: %w", err)
	}
	return c.Compile(schemaURL)
})

// ParseJSON decodes and validates one native manifest. path prefixes the
// field names in errors (e.g. "candidates[1]"), so a bid with several
// manifests says which one is at fault.
func ParseJSON(data []byte, path string) (domain.Manifest, error) {
	var m domain.Manifest
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return m, domain.InvalidFields("the manifest is not valid JSON",
			[]domain.FieldError{{Field: orRoot(path), Message: syntaxMessage(data, err)}})
	}
	if err := Validate(inst, path); err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, domain.InvalidFields("the manifest does not match the manifest format",
			[]domain.FieldError{{Field: orRoot(path), Message: err.Error()}})
	}
	return m, nil
}

// Validate checks a decoded JSON value (from jsonschema.UnmarshalJSON or
// encoding/json with UseNumber) against the manifest schema.
func Validate(inst any, path string) error {
	sch, err := compiled()
	if err != nil {
		return err
	}
	err = sch.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("validate manifest: %w", err)
	}
	fields := leafErrors(ve, path, nil)
	return domain.InvalidFields(
		fmt.Sprintf("the manifest breaks the manifest schema in %d place(s); see fields, and the schema at /api/v1/schemas/manifest.json", len(fields)),
		fields)
}

// leafErrors flattens a validation error tree into one message per failing
// leaf, which is where the fix is. lineOf, when not nil, gives the source line
// of an instance location, which then prefixes the message.
func leafErrors(ve *jsonschema.ValidationError, path string, lineOf func([]string) int) []domain.FieldError {
	var out []domain.FieldError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			msg := violation(e.ErrorKind)
			if lineOf != nil && lineOf(e.InstanceLocation) > 0 {
				msg = fmt.Sprintf("line %d: %s", lineOf(e.InstanceLocation), msg)
			}
			out = append(out, domain.FieldError{Field: fieldPath(path, e.InstanceLocation), Message: msg})
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// violation words a schema violation for the vendor; the library's wording
// does for most, but not for lengths ("minLength: got 0, want 1") or dates
// (a Go time layout error).
func violation(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.MinLength:
		if k.Want == 1 {
			return "is required: it may not be empty"
		}
		return fmt.Sprintf("is too short: %d characters, at least %d needed", k.Got, k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("is too long: %d characters, at most %d allowed", k.Got, k.Want)
	case *kind.Format:
		if k.Want == "date" {
			return fmt.Sprintf("%q is not a date: write it as YYYY-MM-DD, e.g. 2025-03-31", fmt.Sprint(k.Got))
		}
	}
	return k.LocalizedString(printer)
}

// fieldPath renders an instance location as a JSON path a person reads,
// e.g. candidates[0].components[2].name.
func fieldPath(prefix string, loc []string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, tok := range loc {
		if isIndex(tok) {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return orRoot(b.String())
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func orRoot(p string) string {
	if p == "" {
		return "$"
	}
	return p
}

// syntaxMessage turns a JSON decoding error into "line L, column C: ...".
func syntaxMessage(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := position(data, se.Offset)
		return fmt.Sprintf("line %d, column %d: %s; check for a missing comma, quote or bracket there", line, col, se.Error())
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "the JSON ends too early; check that every { and [ is closed"
	}
	return err.Error()
}

func position(data []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := 0; i < len(data) && int64(i) < offset-1; i++ {
		if data[i] == '\n' {
			line++
			col = 1
			continue
		}
		col++
	}
	return line, col
}

// Hash is the content hash of a manifest: sha256 over its canonical JSON
// (struct field order), so the same manifest always hashes the same.
func Hash(m domain.Manifest) string {
	b, _ := json.Marshal(m) // a struct of strings, bools and slices cannot fail to marshal
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
