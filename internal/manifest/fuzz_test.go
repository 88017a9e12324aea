package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/modeltender/modeltender/internal/domain"
)

// The fuzz targets below hold every parser of candidate files to the same
// properties: no panic; an allocation bound in proportion to the input (an
// alias bomb allocated 800 MB from 236 bytes before the budget); a refusal
// is an invalid or too-large *domain.Error naming fields under the
// candidate's path; and a candidate accepted is a manifest intake accepts,
// so its text passes the rules. `go test` runs the seeds; bench/README.md
// has a longer run.

// seeds are real files and hostile ones: NUL in each spelling, lone
// surrogates, alias bombs, deep nesting, huge strings.
func seeds(f *testing.F) [][]byte {
	f.Helper()
	readAll := func(files ...string) [][]byte {
		var out [][]byte
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, data)
		}
		return out
	}
	out := readAll(polyglotKo, "testdata/ml-bom.cdx.json", "testdata/ml-bom-split.cdx.json",
		"../../examples/manifests/granite-3.1-8b-instruct.json", "testdata/hostile/alias-bomb-236.yaml", "testdata/hostile/alias-bomb-271.yaml")
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(out[1]), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		f.Fatal(err)
	}
	bom.XMLNS = "http://cyclonedx.org/schema/bom/1.6"
	var xml bytes.Buffer
	if err := cdx.NewBOMEncoder(&xml, cdx.BOMFileFormatXML).Encode(&bom); err != nil {
		f.Fatal(err)
	}
	out = append(out, xml.Bytes())
	for _, s := range []string{
		valid,
		`{"schema_version": "1", "name": "x\u0000", "weights": {"license": "MIT"}}`,
		"{\"schema_version\": \"1\", \"name\": \"x\x00\", \"weights\": {\"license\": \"MIT\"}}",
		`{"schema_version": "1", "name": "x", "weights": {"license": "MIT\ud800"}}`,
		`{"schema_version": "1", "name": "` + strings.Repeat("n", 100_000) + `", "weights": {"license": "MIT"}}`,
		`{"schema_version": "1", "name": "x", "weights": {"license": "MIT"}, "evidence": ` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`,
		"release:\n  name: \"a\\0b\"\n  producer: \"\\x85\"\n",
		"release: &a [*a]\n", "a: &a\n  b: *a\n",
		"release:\n" + strings.Repeat("  ", 1) + strings.Repeat("- ", 100) + "x\n",
		`{"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {"component": {"type": "machine-learning-model", "name": "m", "licenses": [{"expression": ""}]}}}`,
		`{"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {"component": {"type": "machine-learning-model", "name": "m\u0000", "licenses": [{"license": {"id": "MIT"}}]}}}`,
		`<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><metadata><component type="machine-learning-model"><name>m&#x85;</name></component></metadata></bom>`,
		`<bom xmlns="http://cyclonedx.org/schema/bom/1.6">` + strings.Repeat("<a>", 200) + `</bom>`,
		"", "\xef\xbb\xbf", "{", "<", "- - -", "\xff\xfe",
	} {
		out = append(out, []byte(s))
	}
	return out
}

func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// fuzzParse registers the seeds and checks the properties of Parse in format.
func fuzzParse(f *testing.F, format Format) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	// The schemas compile once, on first use; that is not the input's cost.
	for _, s := range seeds(f)[:4] {
		if _, err := Parse(s, FormatAuto, ""); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "candidates[0]"
		var c Candidate
		var err error
		if n, limit := allocated(func() { c, err = Parse(data, format, path) }), 512*uint64(len(data))+32<<20; n > limit {
			t.Fatalf("parsing %d bytes as %s allocated %d bytes, over %d", len(data), format, n, limit)
		}
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || (de.Kind != domain.ErrInvalid && de.Kind != domain.ErrTooLarge) || len(de.Fields) == 0 {
				t.Fatalf("Parse(%q, %s) = %#v, want an invalid or too-large *domain.Error with fields", data, format, err)
			}
			for _, fe := range de.Fields {
				if !strings.HasPrefix(fe.Field, path) || fe.Message == "" {
					t.Fatalf("Parse(%q, %s): field error %+v is not under %s", data, format, fe, path)
				}
			}
			return
		}
		raw, err := json.Marshal(c.Manifest)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseJSON(raw, ""); err != nil {
			t.Fatalf("Parse(%q, %s) accepted a manifest intake refuses: %v", data, format, err)
		}
	})
}

func FuzzParseAuto(f *testing.F)      { fuzzParse(f, FormatAuto) }
func FuzzParseJSON(f *testing.F)      { fuzzParse(f, FormatNative) }
func FuzzParseMOF(f *testing.F)       { fuzzParse(f, FormatMOF) }
func FuzzParseCycloneDX(f *testing.F) { fuzzParse(f, FormatCycloneDX) }
