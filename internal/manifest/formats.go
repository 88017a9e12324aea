package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/inputguard"
	"go.yaml.in/yaml/v3"
)

// Format is a way vendors describe a candidate model.
type Format string

const (
	// FormatAuto asks Parse to detect the format.
	FormatAuto Format = "auto"
	// FormatNative is modeltender's JSON manifest.
	FormatNative Format = "manifest"
	// FormatMOF is the Model Openness Tool's model YAML (LF AI & Data).
	FormatMOF Format = "mof"
	// FormatCycloneDX is a CycloneDX 1.5-1.7 ML-BOM in JSON.
	FormatCycloneDX Format = "cyclonedx"
	// FormatHuggingFace is a Hugging Face model card: README.md with YAML front matter.
	FormatHuggingFace Format = "huggingface"
	// FormatSPDX3 is an SPDX 3.0.1 JSON-LD document with the AI profile.
	FormatSPDX3 Format = "spdx3"
)

// Formats lists the formats Parse accepts, for flags and messages.
var Formats = []Format{FormatAuto, FormatNative, FormatMOF, FormatCycloneDX, FormatHuggingFace, FormatSPDX3}

// FormatNames lists the formats as a person writes them, e.g. for a flag's usage.
func FormatNames(sep string) string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return strings.Join(names, sep)
}

// Candidate is one candidate model read from any format: the manifest the
// checks run on, and what the input said that the manifest has no place for.
type Candidate struct {
	Format   Format          `json:"format"`
	Manifest domain.Manifest `json:"manifest"`
	Unmapped []Unmapped      `json:"unmapped"`
	// Findings are what the source itself says or fails to say that the
	// evaluation must weigh: a card with no license, a declared but not
	// concluded SPDX license, a high safety risk the document assesses.
	// Rule ids start with "intake.".
	Findings []domain.Finding `json:"findings,omitempty"`
	// Assessment is what an SPDX 3 AI package says of its own risk, for
	// comparison with the solicitation's risk tier; nil for other formats.
	Assessment *SafetyAssessment `json:"assessment,omitempty"`
	// source says where in the vendor's file a field of Manifest came
	// from, for messages; nil for a native manifest.
	source func(field string) string
}

// Unmapped is a part of the input that has no place in domain.Manifest. It is
// reported rather than dropped, so a vendor sees what the checks did not read.
type Unmapped struct {
	Field  string `json:"field"` // e.g. release.components[3].license_path
	Line   int    `json:"line,omitempty"`
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
}

// Parse reads one candidate in format (FormatAuto or "" detects it). path
// prefixes field names in errors, e.g. "candidates[1]". A document that
// describes several models (an SPDX document with several AI packages) is
// an error: read it with ParseAll.
func Parse(data []byte, format Format, path string) (Candidate, error) {
	cs, err := ParseAll(data, format, path)
	if err != nil {
		return Candidate{}, err
	}
	if len(cs) != 1 {
		names := make([]string, len(cs))
		for i, c := range cs {
			names[i] = c.Manifest.Name
		}
		return Candidate{}, domain.InvalidFields("the document describes more than one model", []domain.FieldError{{Field: orRoot(path),
			Message: fmt.Sprintf("it holds %d AI packages (%s); submit each as its own candidate, or read the document with ParseAll", len(cs), strings.Join(names, ", "))}})
	}
	return cs[0], nil
}

// ParseAll reads every candidate a document describes, as a bid submits
// it: one for most formats, one per AI package of an SPDX 3 document. Every
// format is read within inputguard.Document and held to the text rules, and
// what is read from MOF and CycloneDX files must make a valid native
// manifest, so that intake finds nothing wrong the vendor could have been
// told here (ParseMOF and ParseCycloneDX alone read any file the format
// allows, an unlicensed model's included). Model cards and SPDX documents
// report what they lack as intake findings instead, so a real card without
// a license is decided (never qualified), not refused unread.
func ParseAll(data []byte, format Format, path string) ([]Candidate, error) {
	if b := inputguard.Document; len(data) > b.MaxBytes {
		return nil, b.TooLarge(path, len(data))
	}
	if format == "" || format == FormatAuto {
		detected, err := Detect(data)
		if err != nil {
			return nil, domain.InvalidFields(prefix(path)+err.Error(), []domain.FieldError{{Field: orRoot(path), Message: err.Error()}})
		}
		format = detected
	}
	var c Candidate
	var err error
	switch format {
	case FormatNative:
		c.Manifest, err = ParseJSON(data, path)
		c.Format, c.Unmapped = FormatNative, []Unmapped{}
	case FormatMOF:
		c, err = ParseMOF(data, path)
	case FormatCycloneDX:
		c, err = ParseCycloneDX(data, path)
	case FormatHuggingFace:
		c, err = ParseHuggingFace(data, path)
	case FormatSPDX3:
		cs, err := ParseSPDX3(data, path)
		return withIntakeFindings(cs), err
	default:
		return nil, fmt.Errorf("unknown manifest format %q: use one of %s", format, formatList())
	}
	if err != nil {
		return nil, err
	}
	if name, strict := formatNames[format]; strict {
		if err := checkMapped(c.Manifest, path, name, c.source); err != nil {
			return nil, err
		}
	}
	return withIntakeFindings([]Candidate{c}), nil
}

// formatNames name, in messages, the formats whose candidates must make a
// valid native manifest as they are read.
var formatNames = map[Format]string{FormatMOF: "Model Openness Tool file", FormatCycloneDX: "CycloneDX BOM"}

// withIntakeFindings keeps what reading found with each manifest, so the
// candidate check reports it wherever the manifest goes.
func withIntakeFindings(cs []Candidate) []Candidate {
	for i := range cs {
		cs[i].Manifest.IntakeFindings = cs[i].Findings
	}
	return cs
}

func formatList() string { return FormatNames(", ") }

// ParseFormat checks a format name given by a person (flag, API field).
func ParseFormat(s string) (Format, error) {
	if f := Format(s); slices.Contains(Formats, f) {
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: use one of %s", s, formatList())
}

// Detect tells the format of a candidate from its content: a CycloneDX BOM
// says bomFormat "CycloneDX"; an SPDX 3 document has an @context on
// spdx.org/rdf/3; a Model Openness Tool file has a top-level "release"; a
// Hugging Face model card starts with front matter between --- lines; any
// other JSON object is a native manifest.
func Detect(data []byte) (Format, error) {
	unmarked := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(unmarked)
	if len(trimmed) == 0 {
		return "", fmt.Errorf("the file is empty: give a native JSON manifest, a Model Openness Tool model YAML, a CycloneDX ML-BOM, a Hugging Face model card or an SPDX 3 document")
	}
	if trimmed[0] == '{' {
		var probe struct {
			BOMFormat string          `json:"bomFormat"`
			Release   json.RawMessage `json:"release"`
			Context   json.RawMessage `json:"@context"`
		}
		// A syntax error is reported by the format's own parser, with its line.
		_ = json.Unmarshal(trimmed, &probe)
		switch {
		case probe.BOMFormat == "CycloneDX":
			return FormatCycloneDX, nil
		case bytes.Contains(probe.Context, []byte("spdx.org/rdf/3")):
			return FormatSPDX3, nil
		case probe.Release != nil:
			return FormatMOF, nil
		}
		return FormatNative, nil
	}
	if hasFrontMatter(unmarked) {
		// A Model Openness Tool file may start with "---" too; its front matter holds "release".
		if loc := cardFrontMatter.FindSubmatchIndex(unmarked); loc != nil {
			if root, err := yamlRoot(unmarked[loc[4]:loc[5]]); err == nil && hasKey(root, "release") {
				return FormatMOF, nil
			}
		}
		return FormatHuggingFace, nil
	}
	if trimmed[0] == '<' {
		if bytes.Contains(trimmed, []byte("cyclonedx.org/schema/bom")) {
			return FormatCycloneDX, nil
		}
		return "", fmt.Errorf("the file is XML but not a CycloneDX BOM (no http://cyclonedx.org/schema/bom namespace): give a CycloneDX ML-BOM, a native JSON manifest or a Model Openness Tool model YAML")
	}
	if b := inputguard.YAMLDocument; len(trimmed) > b.MaxBytes {
		return "", fmt.Errorf("the file is neither JSON nor XML, and at %d bytes too large to read as YAML (at most %d): give a Model Openness Tool model YAML, a native JSON manifest or a CycloneDX ML-BOM", len(trimmed), b.MaxBytes)
	}
	root, err := yamlRoot(trimmed)
	switch {
	case err == nil && hasKey(root, "release"):
		return FormatMOF, nil
	case (err != nil || root.Kind == yaml.ScalarNode) && looksLikeText(trimmed):
		// A README without front matter: the Hub shows it as a model card
		// with no metadata, so it gives no license to review.
		return "", errors.New("the file is text or Markdown without front matter, so it states no license or other metadata: if it is a Hugging Face model card, add YAML front matter between two lines of --- at its top with at least its license (e.g. license: apache-2.0); otherwise give a native JSON manifest, a Model Openness Tool model YAML, a CycloneDX ML-BOM or an SPDX 3 document")
	case err != nil:
		return "", fmt.Errorf("the file is neither a JSON object nor valid YAML: %s", yamlMessage(trimmed, err))
	}
	return "", fmt.Errorf("cannot tell the format: a native manifest, a CycloneDX BOM and an SPDX 3 document are JSON objects, a Model Openness Tool model YAML has a top-level release, and a Hugging Face model card starts with front matter between --- lines; give --format %s", FormatNames("|"))
}

// looksLikeText reports whether a file that is not a YAML mapping reads as
// prose or Markdown rather than broken YAML: it has a Markdown code fence
// (a backtick cannot start YAML), more of its lines are prose than
// "key: value" or "- item" lines, or it has Markdown headings and no YAML
// lines at all. Lines starting with # count for neither (a YAML comment or
// a heading), but headings count when nothing else does.
func looksLikeText(data []byte) bool {
	yamlish, prose, headings := 0, 0, 0
	for line := range bytes.Lines(data) {
		line = bytes.TrimSpace(line)
		switch {
		case bytes.HasPrefix(line, []byte("```")):
			return true
		case len(line) == 0:
		case line[0] == '#':
			headings++
		case yamlEntry.Match(line):
			yamlish++
		default:
			prose++
		}
	}
	return prose > yamlish || yamlish == 0 && headings > 0
}

// yamlEntry is a YAML mapping entry or list item, as a line starts.
var yamlEntry = regexp.MustCompile(`^(-(\s|$)|[A-Za-z0-9_.'"-]+:(\s|$))`)

// isXML reports whether data is an XML document (a CycloneDX BOM may be XML or JSON).
func isXML(data []byte) bool {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	return len(trimmed) > 0 && trimmed[0] == '<'
}

func prefix(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}
