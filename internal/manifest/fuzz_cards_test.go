package manifest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

// seeds adds every fixture matching glob to the corpus.
func cardSeeds(f *testing.F, glob string) {
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files %s: %v", glob, err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// checkRead holds a reader to its contract on any input: no panic, an
// invalid-input error or candidates whose manifests encode.
func checkRead(t *testing.T, cs []Candidate, err error) {
	if err != nil {
		if domain.KindOf(err) != domain.ErrInvalid {
			t.Fatalf("error of kind %s: %v", domain.KindOf(err), err)
		}
		return
	}
	for _, c := range cs {
		if _, err := json.Marshal(c); err != nil {
			t.Fatalf("candidate does not encode: %v", err)
		}
		if c.Manifest.Name == "" {
			t.Fatalf("candidate without a name: %+v", c.Manifest)
		}
	}
}

func FuzzParseHuggingFace(f *testing.F) {
	cardSeeds(f, "testdata/huggingface/*.md")
	nested := "---\nlicense: mit\na: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n---\n"
	deep := "---\nlicense: mit\n" + strings.Repeat("  ", 0)
	for i := range 200 {
		deep += strings.Repeat("  ", i) + "k:\n"
	}
	for _, s := range []string{
		"---\r\nlicense: apache-2.0\r\nbase_model: [a/b, c/d]\r\n---\r\n# M\r\n",
		"\n\n   ---\nlicense: other\nlicense_name: x\n---\n",
		"---\nlicense: mit\x00\n---\n",
		"---\na: &a [x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b, *b]\n---\n",
		"---\na: &a [*a]\n---\n",
		nested,
		deep + "---\n",
		"---\nmodel-index:\n- name: m\n  results:\n  - task: 3\n    metrics: [1, {value: [a]}]\n---\n",
		"---\n---\n",
		"---\nlicense: [mit, {a: b}]\nextra_gated_prompt: " + strings.Repeat("license ", 100) + "\n---\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseHuggingFace(data, "candidates[0]")
		checkRead(t, []Candidate{c}, err)
	})
}

func FuzzParseSPDX3(f *testing.F) {
	cardSeeds(f, "testdata/spdx3/*.json")
	for _, s := range []string{
		`{"@graph": [{"type": "ai_AIPackage", "spdxId": "a"}, {"type": "Relationship", "relationshipType": "contains", "from": "a", "to": ["a"]}]}`,
		`{"@graph": [{"type": "ai_AIPackage", "spdxId": "a"}, {"type": "Relationship", "relationshipType": "trainedOn", "from": {"spdxId": "a"}, "to": "d"}, {"type": "dataset_DatasetPackage", "spdxId": "d"}]}`,
		`{"@graph": [{"type": "ai_AIPackage", "spdxId": "a", "name": "m", "ai_metric": [1, {"key": []}], "verifiedUsing": "x", "ai_energyConsumption": [1]}]}`,
		`{"@graph": [` + strings.Repeat(`{"a":`, 3000) + `1` + strings.Repeat(`}`, 3000) + `]}`,
		"{\"@graph\": [\"\x00\"]}",
		`{"@graph": [{"type": ["ai_AIPackage"], "spdxId": 5}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := ParseSPDX3(data, "candidates[0]")
		checkRead(t, cs, err)
	})
}

func BenchmarkParseHuggingFace(b *testing.B) {
	data, err := os.ReadFile("testdata/huggingface/meta-llama-Llama-3.2-1B-Instruct.md")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ParseHuggingFace(data, ""); err != nil { // builds the intake analyzer once
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseHuggingFace(data, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSPDX3(b *testing.B) {
	data, err := os.ReadFile("testdata/spdx3/ai-example01-simplehtr-example.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSPDX3(data, ""); err != nil {
			b.Fatal(err)
		}
	}
}
