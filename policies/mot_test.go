package policies_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/policies"
)

// motRelease is the part of a Model Openness Tool release that decides its
// class, used to pair test files with the tool's results.
type motRelease struct {
	Name string `json:"name"`
	// PHP writes an empty license map as [], so it is decoded in key.
	License    json.RawMessage `json:"license"`
	Components []struct {
		Name    string  `json:"name"`
		License *string `json:"license"`
	} `json:"components"`
}

// key identifies a release by what the tool classifies, not by its name: the
// tool's stored results name some test files differently from the files.
func (r motRelease) key() string {
	var parts []string
	var global map[string]struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(r.License, &global) // [] leaves it empty
	for kind, l := range global {
		parts = append(parts, "global "+kind+"="+l.Name)
	}
	for _, c := range r.Components {
		license := "<none>"
		if c.License != nil {
			license = *c.License
		}
		parts = append(parts, c.Name+"="+license)
	}
	slices.Sort(parts)
	return strings.Join(parts, "\n")
}

type motResult struct {
	Release        motRelease `json:"release"`
	Classification struct {
		Class    int                `json:"class"`
		Progress map[string]float64 `json:"progress"`
	} `json:"classification"`
}

var classOf = map[int]string{1: "I", 2: "II", 3: "III"}

func openness(t *testing.T, e *policies.Engine, file string) domain.Openness {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c, err := manifest.ParseMOF(data, "")
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	d, err := e.Decide(context.Background(), policies.Input{
		Criteria: domain.Criteria{RiskTier: domain.RiskStandard},
		Manifest: c.Manifest,
		AsOf:     time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return d.Openness
}

func className(c *string) string {
	if c == nil {
		return "unclassified"
	}
	return "Class " + *c
}

// TestModelOpennessToolTestData decides the tool's own test files and
// compares class and every progress value with what the tool's REST API
// returned for them (testdata/mot/expected_results.json).
func TestModelOpennessToolTestData(t *testing.T) {
	raw, err := os.ReadFile("testdata/mot/expected_results.json")
	if err != nil {
		t.Fatal(err)
	}
	var expected struct {
		Models []motResult `json:"models"`
	}
	if err := json.Unmarshal(raw, &expected); err != nil {
		t.Fatal(err)
	}
	byKey := map[string]motResult{}
	for _, m := range expected.Models {
		byKey[m.Release.key()] = m
	}
	files, err := filepath.Glob("testdata/mot/Test_Data/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no MOT test files: %v", err)
	}
	e, err := policies.NewEngine(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	agree, compared := 0, 0
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			var doc struct {
				Release motRelease `json:"release"`
			}
			if err := manifest.DecodeYAML(mustRead(t, file), &doc); err != nil {
				t.Fatal(err)
			}
			want, ok := byKey[doc.Release.key()]
			if !ok {
				t.Skipf("the tool's results hold no release with these components and licenses")
			}
			compared++
			got := openness(t, e, file)
			ok = true
			if wantClass := classOf[want.Classification.Class]; (got.Class == nil) != (wantClass == "") || (got.Class != nil && *got.Class != wantClass) {
				t.Errorf("class = %s, the tool says %s", className(got.Class), className(&wantClass))
				ok = false
			}
			for n, name := range classOf {
				w := want.Classification.Progress[string(rune('0'+n))]
				if g := got.Progress[name]; math.Abs(g-w) > 1e-9 {
					t.Errorf("Class %s progress = %v, the tool says %v", name, g, w)
					ok = false
				}
			}
			if ok {
				agree++
			}
		})
	}
	t.Logf("Model domain.Openness Tool test data: %d of %d files compared agree on class and all three progress values (%d files, %d results)",
		agree, compared, len(files), len(expected.Models))
	if compared < len(expected.Models) {
		t.Errorf("only %d of the tool's %d results were paired with a test file", compared, len(expected.Models))
	}
}

func mustRead(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestModelOpennessToolModels decides a handful of real model files from the
// tool's repository (testdata/mot/models, with expected.json saying where
// the expected classes come from).
func TestModelOpennessToolModels(t *testing.T) {
	var expected struct {
		Models map[string]struct {
			Class    *string            `json:"class"`
			Progress map[string]float64 `json:"progress"`
		} `json:"models"`
	}
	if err := json.Unmarshal(mustRead(t, "testdata/mot/models/expected.json"), &expected); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("testdata/mot/models/*.yml")
	if err != nil || len(files) != len(expected.Models) {
		t.Fatalf("%d model files for %d expected results: %v", len(files), len(expected.Models), err)
	}
	e, err := policies.NewEngine(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want, ok := expected.Models[filepath.Base(file)]
			if !ok {
				t.Fatal("no expected result")
			}
			got := openness(t, e, file)
			if className(got.Class) != className(want.Class) {
				t.Errorf("class = %s, want %s", className(got.Class), className(want.Class))
			}
			for name, w := range want.Progress {
				if g := got.Progress[name]; math.Abs(g-w) > 1e-9 {
					t.Errorf("Class %s progress = %v, want %v", name, g, w)
				}
			}
		})
	}
}
