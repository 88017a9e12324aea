package policies_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/modeltender/modeltender/policies"
)

// TestOSAIDOfModelOpennessToolModels decides real Model Openness Tool model
// files and compares their Open Source AI Definition conformance with
// testdata/mot/osaid.json: the models OSI validated must conform, except
// where the tool's file itself lacks the components (each such file says
// why), and the others lack exactly the elements listed.
func TestOSAIDOfModelOpennessToolModels(t *testing.T) {
	var expected struct {
		Models map[string]struct {
			Conformant bool     `json:"conformant"`
			Missing    []string `json:"missing"`
			Why        string   `json:"why"`
		} `json:"models"`
	}
	if err := json.Unmarshal(mustRead(t, "testdata/mot/osaid.json"), &expected); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("testdata/mot/osaid/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no OSAID model files: %v", err)
	}
	for _, file := range files {
		if _, ok := expected.Models[filepath.Join("osaid", filepath.Base(file))]; !ok {
			t.Errorf("%s has no expected result in osaid.json", file)
		}
	}
	e, err := policies.NewEngine(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range expected.Models {
		t.Run(name, func(t *testing.T) {
			got := openness(t, e, filepath.Join("testdata/mot", name)).OSAID
			var missing []string
			for _, gap := range got.Missing {
				missing = append(missing, gap.Element)
				if gap.Fix == "" {
					t.Errorf("missing %q has no fix", gap.Element)
				}
			}
			if got.Conformant != want.Conformant || !slices.Equal(missing, want.Missing) {
				t.Errorf("conformant = %v, missing %q; want %v, missing %q (%s)", got.Conformant, missing, want.Conformant, want.Missing, want.Why)
			}
			if got.Source == "" {
				t.Error("no source")
			}
		})
	}
}
