package policies

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

// variedInputs take different paths through safety, procurement and openness.
func variedInputs() []Input {
	var inputs []Input
	for _, tier := range []domain.RiskTier{domain.RiskStandard, domain.RiskHighImpact} {
		for _, listing := range [][]string{nil, domain.MOFComponents, {"Research paper", "Model card"}} {
			in := completeInput()
			in.Criteria.RiskTier = tier
			in.Criteria.MinimumOpennessClass = "II"
			in.LicenseNormalization = map[string]string{"Apache 2.0": "Apache-2.0"}
			in.Manifest.Evidence = in.Manifest.Evidence[len(listing)%3:]
			in.Manifest.Components = nil
			for _, name := range listing {
				in.Manifest.Components = append(in.Manifest.Components, domain.Component{Name: name, License: "Apache 2.0", Included: true})
			}
			inputs = append(inputs, in)
		}
	}
	return inputs
}

func TestStoredBundleDecidesAsTheOriginal(t *testing.T) {
	original, err := LoadBundle()
	if err != nil {
		t.Fatal(err)
	}
	reopened, err := OpenBundle(original.Revision(), original.Files())
	if err != nil {
		t.Fatalf("OpenBundle of the embedded bundle's own files: %v", err)
	}
	e, err := NewEngine(context.Background(), FromBundle(reopened))
	if err != nil {
		t.Fatal(err)
	}
	if e.Revision() != original.Revision() {
		t.Errorf("revision %s, want %s", e.Revision(), original.Revision())
	}
	embedded := newEngine(t)
	for i, in := range variedInputs() {
		if got, want := decide(t, e, in), decide(t, embedded, in); !reflect.DeepEqual(got, want) {
			t.Errorf("input %d: the reopened bundle decides\n%+v\nthe embedded one\n%+v", i, got, want)
		}
	}
	for _, name := range []string{"licenses/mit.txt", "ai-licenses.json", "mot/mof_schema.json"} {
		got, err := fs.ReadFile(Data(FromBundle(reopened)), name)
		want, _ := fs.ReadFile(Data(), name)
		if err != nil || string(got) != string(want) {
			t.Errorf("Data(FromBundle).%s: %d bytes, %v; want the embedded %d bytes", name, len(got), err, len(want))
		}
	}
	if _, err := fs.ReadFile(Data(FromBundle(reopened)), "README.md"); err == nil {
		t.Error("Data serves README.md, which is no part of the bundle")
	}
}

func TestOpenBundleRefusesOtherFiles(t *testing.T) {
	b, err := LoadBundle()
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(map[string][]byte){
		"a policy edited": func(f map[string][]byte) { f["safety.rego"] = append(slices.Clone(f["safety.rego"]), '\n') },
		"a license text moved": func(f map[string][]byte) {
			f["data/licenses/mit2.txt"] = f["data/licenses/mit.txt"]
			delete(f, "data/licenses/mit.txt")
		},
		"a data file removed": func(f map[string][]byte) { delete(f, "data/permissions.json") },
		"a Rego test added":   func(f map[string][]byte) { f["safety_test.rego"] = []byte("package x\n") },
		"a path outside":      func(f map[string][]byte) { f["../x.rego"] = []byte("package x\n") },
	} {
		files := b.Files()
		change(files)
		if _, err := OpenBundle(b.Revision(), files); err == nil {
			t.Errorf("%s: OpenBundle accepted it", name)
		}
	}
}

// A directory with only the Rego reads the embedded data, as the license
// analyzer always has: the same files, so the same revision and decisions.
func TestPolicyDirWithOnlyRegoKeepsEmbeddedData(t *testing.T) {
	dir := t.TempDir()
	matches, err := fs.Glob(bundle, "*.rego")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range matches {
		content, _ := bundle.ReadFile(p)
		if err := os.WriteFile(filepath.Join(dir, p), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e, err := NewEngine(context.Background(), Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	embedded := newEngine(t)
	if e.Revision() != embedded.Revision() {
		t.Errorf("revision %s, want the embedded %s", e.Revision(), embedded.Revision())
	}
	in := variedInputs()[4]
	if got, want := decide(t, e, in), decide(t, embedded, in); !reflect.DeepEqual(got, want) {
		t.Errorf("decides %+v, want %+v", got, want)
	}
}

// The source directory, with its README, Rego tests, test data and the Model
// Openness Tool's source files, is the embedded bundle: what the embed
// directive lists is what a policy directory's revision counts.
func TestSourceDirectoryIsTheEmbeddedBundle(t *testing.T) {
	source, err := LoadBundle(Dir("."))
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := LoadBundle()
	if err != nil {
		t.Fatal(err)
	}
	if source.Revision() != embedded.Revision() {
		t.Errorf("policies/ as a policy directory: revision %s with %d files, the embedded bundle %s with %d",
			source.Revision(), len(source.Files()), embedded.Revision(), len(embedded.Files()))
	}
}
