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
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/inputguard"
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
// manifests says which one is at fault. The text rules and the document
// budget (internal/inputguard) apply before it is decoded; the schema
// states the length of each field.
func ParseJSON(data []byte, path string) (domain.Manifest, error) {
	var m domain.Manifest
	if err := inputguard.CheckJSONText(data, path); err != nil {
		return m, withFields(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return m, domain.InvalidFields("the manifest is not valid JSON",
			[]domain.FieldError{{Field: orRoot(path), Message: inputguard.DescribeJSONError(data, err)}})
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
		fmt.Sprintf("the manifest breaks the manifest schema in %d place(s): %s; the schema is at /api/v1/schemas/manifest.json", len(fields), listFields(fields)),
		fields)
}

// listFields names the first field errors in a message, since a message
// may travel alone: intake records a failed manifest as a finding's
// message, with no room for the fields.
func listFields(fields []domain.FieldError) string {
	const shown = 3
	var parts []string
	for _, f := range fields[:min(shown, len(fields))] {
		parts = append(parts, f.Field+" "+f.Message)
	}
	s := strings.Join(parts, "; ")
	if len(fields) > shown {
		s += fmt.Sprintf("; and %d more", len(fields)-shown)
	}
	return s
}

// withFields puts the fields of a *domain.Error into its message (listFields).
func withFields(err error) error {
	var de *domain.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 {
		return err
	}
	out := *de
	out.Message = de.Message + ": " + listFields(de.Fields)
	return &out
}

// checkMapped holds a manifest read from another format to every rule a
// native one meets (the text rules, the schema with its lengths), so a
// candidate accepted at the bid cannot fail intake for a reason the vendor
// could have been told. source says where in the vendor's file a field of
// the manifest came from ("" when it cannot say); it goes into the message.
func checkMapped(m domain.Manifest, path, format string, source func(field string) string) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode the manifest read from the %s: %w", format, err)
	}
	err = inputguard.CheckJSONText(raw, path)
	if err == nil {
		inst, uerr := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if uerr != nil {
			return fmt.Errorf("decode the manifest read from the %s: %w", format, uerr)
		}
		err = Validate(inst, path)
	}
	var de *domain.Error
	if !errors.As(err, &de) {
		return err
	}
	fields := make([]domain.FieldError, len(de.Fields))
	for i, f := range de.Fields {
		fields[i] = f
		rel := strings.TrimPrefix(strings.TrimPrefix(f.Field, path), ".")
		if from := source(rel); from != "" {
			fields[i].Message += " (in the " + format + ": " + from + ")"
		}
	}
	return domain.InvalidFields(fmt.Sprintf("the candidate read from the %s does not make a valid manifest: %s; fix it in the file", format, listFields(fields)), fields)
}

// listItem splits a manifest field such as components[3].license into the
// item's index in list and what follows it (license).
func listItem(field, list string) (int, string, bool) {
	rest, ok := strings.CutPrefix(field, list+"[")
	if !ok {
		return 0, "", false
	}
	num, part, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(num)
	if !ok || err != nil || i < 0 {
		return 0, "", false
	}
	return i, strings.TrimPrefix(part, "."), true
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

// Hash is the content hash of a manifest: sha256 over its canonical JSON
// (struct field order), so the same manifest always hashes the same.
func Hash(m domain.Manifest) string {
	b, _ := json.Marshal(m) // a struct of strings, bools and slices cannot fail to marshal
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
