package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/inputguard"
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
	// FormatCycloneDX is a CycloneDX 1.5/1.6 ML-BOM in JSON.
	FormatCycloneDX Format = "cyclonedx"
)

// Formats lists the formats Parse accepts, for flags and messages.
var Formats = []Format{FormatAuto, FormatNative, FormatMOF, FormatCycloneDX}

// Candidate is one candidate model read from any format: the manifest the
// checks run on, and what the input said that the manifest has no place for.
type Candidate struct {
	Format   Format          `json:"format"`
	Manifest domain.Manifest `json:"manifest"`
	Unmapped []Unmapped      `json:"unmapped"`
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

// Parse reads one candidate in format (FormatAuto or "" detects it), as a
// bid submits it. path prefixes field names in errors, e.g.
// "candidates[1]". Every format is read within inputguard.Document and held
// to the text rules, and what is read from MOF and CycloneDX files must
// make a valid native manifest, so that intake finds nothing wrong the
// vendor could have been told here (ParseMOF and ParseCycloneDX alone read
// any file the format allows, an unlicensed model's included).
func Parse(data []byte, format Format, path string) (Candidate, error) {
	if b := inputguard.Document; len(data) > b.MaxBytes {
		return Candidate{}, b.TooLarge(path, len(data))
	}
	if format == "" || format == FormatAuto {
		detected, err := Detect(data)
		if err != nil {
			return Candidate{}, domain.InvalidFields(prefix(path)+err.Error(), []domain.FieldError{{Field: orRoot(path), Message: err.Error()}})
		}
		format = detected
	}
	var c Candidate
	var err error
	switch format {
	case FormatNative:
		m, err := ParseJSON(data, path)
		return Candidate{Format: FormatNative, Manifest: m, Unmapped: []Unmapped{}}, err
	case FormatMOF:
		c, err = ParseMOF(data, path)
	case FormatCycloneDX:
		c, err = ParseCycloneDX(data, path)
	default:
		return Candidate{}, fmt.Errorf("unknown manifest format %q: use one of %s", format, formatList())
	}
	if err != nil {
		return Candidate{}, err
	}
	if err := checkMapped(c.Manifest, path, formatNames[format], c.source); err != nil {
		return Candidate{}, err
	}
	return c, nil
}

// formatNames name the formats in messages.
var formatNames = map[Format]string{FormatMOF: "Model Openness Tool file", FormatCycloneDX: "CycloneDX BOM"}

func formatList() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// ParseFormat checks a format name given by a person (flag, API field).
func ParseFormat(s string) (Format, error) {
	if f := Format(s); slices.Contains(Formats, f) {
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: use one of %s", s, formatList())
}

// Detect tells the format of a candidate from its content: a CycloneDX BOM
// says bomFormat "CycloneDX"; a Model Openness Tool file has a top-level
// "release"; any other JSON object is a native manifest.
func Detect(data []byte) (Format, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(trimmed) == 0 {
		return "", fmt.Errorf("the file is empty: give a native JSON manifest, a Model Openness Tool model YAML or a CycloneDX ML-BOM")
	}
	if trimmed[0] == '{' {
		var probe struct {
			BOMFormat string          `json:"bomFormat"`
			Release   json.RawMessage `json:"release"`
		}
		// A syntax error is reported by the format's own parser, with its line.
		_ = json.Unmarshal(trimmed, &probe)
		switch {
		case probe.BOMFormat == "CycloneDX":
			return FormatCycloneDX, nil
		case probe.Release != nil:
			return FormatMOF, nil
		}
		return FormatNative, nil
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
	if err != nil {
		return "", fmt.Errorf("the file is neither a JSON object nor valid YAML: %s", yamlMessage(trimmed, err))
	}
	if hasKey(root, "release") {
		return FormatMOF, nil
	}
	return "", fmt.Errorf("cannot tell the format: a native manifest and a CycloneDX BOM are JSON objects, and a Model Openness Tool model YAML has a top-level release; give --format manifest|mof|cyclonedx")
}

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
