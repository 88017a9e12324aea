package inputguard

import (
	"maps"
	"strings"
)

// limits is the length limit, in characters (Unicode code points, as JSON
// Schema's maxLength counts them), of every text field outside input may
// carry, by its JSON member name; a name means the same kind of text
// wherever it appears. web/openapi/openapi.yaml and
// internal/manifest/schema/manifest.schema.json state the same numbers as
// maxLength, and tests hold the three together.
var limits = map[string]int{
	// Free text people write.
	"title":       500,
	"description": 20_000, // a solicitation's terms, an amendment, a model's description
	"question":    4_000,
	"answer":      10_000,
	"comment":     4_000,
	"reason":      2_000,
	"rationale":   4_000,
	"note":        2_000,
	"grounds":     10_000,
	"decision":    10_000,
	"summary":     4_000,
	"scope":       2_000,
	"output":      4_000, // a reported output of an awarded model, and its prompt
	"prompt":      4_000,
	// Names and short values.
	"name":     200,
	"producer": 200,
	"version":  100,
	"format":   50,
	"currency": 3,
	// How a model card describes the model, and the bid document a pack's
	// attestation points to.
	"task":      100,
	"languages": 50,
	"tags":      200,
	"term":      100,
	"document":  500,
	// Identifiers, codes, times and hashes the service handed out or defines.
	"candidate_id":    100,
	"organisation_id": 100,
	"reviewer_id":     100,
	"reason_code":     100,
	"use_cases":       100,
	"packs":           100,
	"keep":            100,
	// A delivery check: the vendor's verification material and the OMS
	// signature's identity, as the officer sends them.
	"public_key":        65536,
	"certificate_chain": 65536,
	"identity":          1000,
	"issuer":            1000,
	"ignore_paths":      1000,
	"weights_digest":    71,
	"findings_hash":     100,
	"deadline":          64,
	"new_deadline":      64,
	"occurred_at":       64,
	"severity":          20,
	"date":              10,
	"digest":            71, // sha256: and 64 hex digits
	// URLs, license expressions and texts, whole files.
	"location":     2_000,
	"license":      500,
	"license_text": 200_000,
	"signature":    1_000_000, // a candidate's OMS model.sig, as text
	"content":      MaxDocumentChars,
	// The bid form's pasted manifest (a candidate file's content).
	"manifest_json": MaxDocumentChars,
}

// DefaultMaxLength bounds a text field the table does not name: a query or
// path parameter, a form field such as the sign-in e-mail, a value the
// endpoint then checks against its own list.
const DefaultMaxLength = 1_000

// MaxDocumentChars bounds a candidate file sent as text; the request body
// limit (2 MiB) is the tighter bound on the wire.
const MaxDocumentChars = 2_000_000

// MaxLength is the length limit of the text field named field.
func MaxLength(field string) int {
	if n, ok := limits[field]; ok {
		return n
	}
	return DefaultMaxLength
}

// Limits returns a copy of the length table, for documents and tests that
// state it.
func Limits() map[string]int { return maps.Clone(limits) }

// formLimit is the limit of a form field: its own name's, else that of the
// last part of its name, since the bid form names the inputs of a described
// manifest by their JSON path with "_" for "." (mf_weights_license).
func formLimit(name string) int {
	if n, ok := limits[name]; ok {
		return n
	}
	if i := strings.LastIndexByte(name, '_'); i >= 0 {
		return MaxLength(name[i+1:])
	}
	return DefaultMaxLength
}
