package manifest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/inputguard"
)

// problem returns err as a *domain.Error, failing unless it is one of kind.
func problem(t *testing.T, err error, kind domain.ErrorKind) *domain.Error {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != kind {
		t.Fatalf("err = %v, want a %s *domain.Error", err, kind)
	}
	return de
}

// Alias bombs (the 236-byte kind under release, the 271-byte kind at the
// top) stop at the value budget, where the field that reached it is named,
// instead of expanding to millions of values.
func TestAliasBombsStopAtTheBudget(t *testing.T) {
	for file, field := range map[string]string{
		"testdata/hostile/alias-bomb-236.yaml": "candidates[0].release",
		"testdata/hostile/alias-bomb-271.yaml": "candidates[0]",
	} {
		for _, format := range []Format{FormatMOF, FormatAuto} {
			_, err := Parse(read(t, file), format, "candidates[0]")
			if format == FormatAuto && !strings.Contains(file, "236") {
				// No top-level release: not taken for a model file at all.
				if err == nil || !strings.Contains(err.Error(), "cannot tell the format") {
					t.Errorf("%s as %s: %v", file, format, err)
				}
				continue
			}
			de := problem(t, err, domain.ErrInvalid)
			if len(de.Fields) != 1 || !strings.HasPrefix(de.Fields[0].Field, field) || !strings.Contains(de.Fields[0].Message, "limit of 100000 values") {
				t.Errorf("%s as %s: %+v", file, format, de.Fields)
			}
		}
		var v any
		if err := DecodeYAML(read(t, file), &v); err == nil || !strings.Contains(err.Error(), "more than 100000 values") {
			t.Errorf("DecodeYAML(%s) = %v", file, err)
		}
	}
}

// The same text rules hold in every format, each problem at its field (and
// line, in YAML and XML).
func TestTextRulesInEveryFormat(t *testing.T) {
	polyglot := string(read(t, polyglotKo))
	bom := string(read(t, "testdata/ml-bom.cdx.json"))
	for _, tc := range []struct {
		name, doc, field, want string
	}{
		{"native: escaped NUL", `{"schema_version": "1", "name": "x\u0000", "weights": {"license": "MIT"}}`, "candidates[0].name", "NUL"},
		{"native: lone surrogate", `{"schema_version": "1", "name": "x", "weights": {"license": "MIT\udbff"}}`, "candidates[0].weights.license", "surrogate"},
		{"native: raw invalid UTF-8", "{\"schema_version\": \"1\", \"name\": \"\xc0\xaf\", \"weights\": {\"license\": \"MIT\"}}", "candidates[0].name", "UTF-8"},
		{"MOF: NUL as a YAML escape", strings.Replace(polyglot, "  producer: EleutherAI", `  producer: "Eleuther\0AI"`, 1), "candidates[0].release.producer", "line 12: holds the control character NUL"},
		{"MOF: C1 control as a YAML escape", strings.Replace(polyglot, "  name: Polyglot-Ko", `  name: "Polyglot\x85Ko"`, 1), "candidates[0].release.name", "U+0085"},
		{"MOF: NUL in a key", strings.Replace(polyglot, "  producer: EleutherAI", `  "produ\0cer": EleutherAI`, 1), "candidates[0].release.produ\x00cer", "NUL"},
		{"CycloneDX JSON: NUL", strings.Replace(bom, `"name": "summarizer-7b"`, `"name": "summarizer\u0000-7b"`, 1), "candidates[0].metadata.component.name", "NUL"},
		{"CycloneDX JSON: lone surrogate in an unmapped field", strings.Replace(bom, `"name": "transformers"`, `"name": "\ud800"`, 1), "candidates[0].components[1].name", "surrogate"},
		{"CycloneDX XML: C1 control", `<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><metadata><component type="machine-learning-model"><name>m&#x85;</name></component></metadata></bom>`, "candidates[0].bom.metadata.component.name", "line 1: holds the control character U+0085"},
		{"CycloneDX XML: DEL in an attribute", "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\"><metadata><component type=\"machine-learning-model\x7f\"><name>m</name></component></metadata></bom>", "candidates[0].bom.metadata.component@type", "U+007F"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.HasPrefix(tc.name, "MOF") && tc.doc == polyglot || strings.HasPrefix(tc.name, "CycloneDX JSON") && tc.doc == bom {
				t.Fatal("the case did not change the file")
			}
			_, err := Parse([]byte(tc.doc), FormatAuto, "candidates[0]")
			wantFieldError(t, err, tc.field, tc.want)
		})
	}
}

// What the manifest schema asks of a native manifest is asked of one read
// from another format at the bid, with the field named and where it came
// from in the vendor's file, rather than found at intake.
func TestMappedManifestMeetsTheSchema(t *testing.T) {
	noLicense := `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
		"metadata": {"component": {"type": "machine-learning-model", "name": "m", "licenses": [{"expression": ""}]}}}`
	_, err := Parse([]byte(noLicense), FormatAuto, "candidates[0]")
	wantFieldError(t, err, "candidates[0].weights.license", `may not be empty (in the CycloneDX BOM: the licenses of the machine-learning-model component "m"`)

	longName := strings.Replace(string(read(t, "testdata/ml-bom.cdx.json")), `"name": "summarizer-7b"`, `"name": "`+strings.Repeat("n", 201)+`"`, 1)
	_, err = Parse([]byte(longName), FormatAuto, "candidates[0]")
	wantFieldError(t, err, "candidates[0].name", "at most 200 allowed (in the CycloneDX BOM: the name of the machine-learning-model component")

	// Model parameters (Final) is the sixth component of the Polyglot-Ko file;
	// the license added to it is line 39.
	unlicensed := strings.Replace(string(read(t, polyglotKo)), "      description: 'Trained model parameters, weights and biases'\n",
		"      description: 'Trained model parameters, weights and biases'\n      license: unlicensed\n", 1)
	_, err = Parse([]byte(unlicensed), FormatMOF, "candidates[0]")
	wantFieldError(t, err, "candidates[0].weights.license", "(in the Model Openness Tool file: release.components[5].license, line 39)")

	noFinal := strings.Replace(string(read(t, polyglotKo)), "name: 'Model parameters (Final)'", "name: 'Model parameters (Intermediate)'", 1)
	_, err = Parse([]byte(noFinal), FormatMOF, "candidates[0]")
	wantFieldError(t, err, "candidates[0].weights.license", `list the component "Model parameters (Final)"`)
}

// Intake records a failed manifest as a finding's message alone, so the
// message names the fields at fault.
func TestSchemaMessageNamesTheFields(t *testing.T) {
	_, err := ParseJSON([]byte(`{"schema_version": "1", "name": "", "weights": {"license": ""}}`), "")
	for _, want := range []string{"in 2 place(s)", "name is required", "weights.license is required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %q", err, want)
		}
	}
	var fields []string
	for i := range 5 {
		fields = append(fields, `"title": "`+strings.Repeat("t", 501+i)+`"`)
	}
	_, err = ParseJSON([]byte(`{"schema_version": "1", "name": "x", "weights": {"license": "MIT"}, "evidence": [{"kind": "model-card", `+strings.Join(fields, "}, {\"kind\": \"model-card\", ")+`}]}`), "")
	if err == nil || !strings.Contains(err.Error(), "and 2 more") {
		t.Errorf("err = %v, want three fields and a count of the rest", err)
	}
}

// Every document is read within the budget: size, depth, values.
func TestBudgets(t *testing.T) {
	big := `{"schema_version": "1", "name": "` + strings.Repeat("x", inputguard.Document.MaxBytes) + `"}`
	for _, format := range []Format{FormatAuto, FormatNative, FormatCycloneDX, FormatMOF} {
		de := problem(t, func() error { _, err := Parse([]byte(big), format, "candidates[4]"); return err }(), domain.ErrTooLarge)
		if de.Fields[0].Field != "candidates[4]" {
			t.Errorf("%s: %+v", format, de.Fields)
		}
	}
	bigYAML := "release:\n  name: " + strings.Repeat("y", inputguard.YAMLDocument.MaxBytes) + "\n"
	problem(t, func() error { _, err := Parse([]byte(bigYAML), FormatMOF, ""); return err }(), domain.ErrTooLarge)
	if _, err := Parse([]byte(bigYAML), FormatAuto, ""); err == nil || !strings.Contains(err.Error(), "too large to read as YAML") {
		t.Errorf("auto-detected large YAML: %v", err)
	}

	deepYAML := "release: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n"
	de := problem(t, func() error { _, err := Parse([]byte(deepYAML), FormatMOF, ""); return err }(), domain.ErrInvalid)
	if !strings.Contains(de.Fields[0].Message, "deeper than 64") {
		t.Errorf("deep YAML: %+v", de.Fields)
	}
	deepXML := `<bom xmlns="http://cyclonedx.org/schema/bom/1.6">` + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + "</bom>"
	problem(t, func() error { _, err := Parse([]byte(deepXML), FormatAuto, ""); return err }(), domain.ErrInvalid)
	wideXML := `<bom xmlns="http://cyclonedx.org/schema/bom/1.6">` + strings.Repeat("<a/>", inputguard.Document.MaxNodes) + "</bom>"
	problem(t, func() error { _, err := Parse([]byte(wideXML), FormatAuto, ""); return err }(), domain.ErrInvalid)
}

// YAML numbers JSON cannot write stay text, for the schema to refuse by
// name, rather than failing the re-encoding as an internal error.
func TestYAMLNumbersJSONCannotWrite(t *testing.T) {
	for _, version := range []string{"0x1F", ".inf", "-.nan", "0o17", "1_000"} {
		doc := strings.Replace(string(read(t, polyglotKo)), "  version: 12.8B", "  version: "+version, 1)
		c, err := Parse([]byte(doc), FormatMOF, "")
		if err != nil && domain.KindOf(err) != domain.ErrInvalid {
			t.Errorf("version %s: %v", version, err)
		}
		if err == nil && c.Manifest.Version != version {
			t.Errorf("version %s read as %q", version, c.Manifest.Version)
		}
	}
}

// A candidate accepted from any format is a manifest intake accepts.
func TestAcceptedCandidatesPassIntake(t *testing.T) {
	for _, file := range []string{polyglotKo, "testdata/ml-bom.cdx.json", "testdata/ml-bom-split.cdx.json", "../../examples/manifests/granite-3.1-8b-instruct.json"} {
		c, err := Parse(read(t, file), FormatAuto, "")
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		raw, _ := json.Marshal(c.Manifest)
		if _, err := ParseJSON(raw, ""); err != nil {
			t.Errorf("%s: accepted, but intake refuses it: %v", file, err)
		}
	}
}
