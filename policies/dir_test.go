package policies

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

// copyBundle writes the embedded bundle (tests included) into a directory,
// as an agency would start its own.
func copyBundle(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(bundle, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := bundle.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, p), content, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPolicyDirReplacesEmbeddedBundle(t *testing.T) {
	ctx := context.Background()
	dir := copyBundle(t)
	same, err := NewEngine(ctx, Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if same.Revision() != newEngine(t).Revision() {
		t.Error("a copy of the embedded bundle has another revision")
	}

	// The agency raises the Class III points in data, not code.
	defaults := filepath.Join(dir, "data", "openness_defaults.json")
	raw, err := os.ReadFile(defaults)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(defaults, []byte(strings.Replace(string(raw), `"III": 10`, `"III": 15`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, err := NewEngine(ctx, Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if changed.Revision() == same.Revision() {
		t.Error("revision did not change with the data")
	}
	in := completeInput()
	for _, name := range []string{"Model architecture", "Evaluation results", "Data card", "Technical report"} {
		in.Manifest.Components = append(in.Manifest.Components, domain.Component{Name: name, License: "MIT", Included: true})
	}
	if d := decide(t, changed, in); d.Score != 15 || d.Revision != changed.Revision() {
		t.Errorf("score = %v under revision %s, want 15 under %s", d.Score, d.Revision, changed.Revision())
	}
	results, err := Test(ctx, os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, r := range results {
		if r.Problem != "" {
			failed++
		}
	}
	if failed == 0 {
		t.Error("the Rego tests did not notice the changed points")
	}
}

func TestPolicyDirWithBrokenPolicyIsRefused(t *testing.T) {
	dir := copyBundle(t)
	if err := os.WriteFile(filepath.Join(dir, "safety.rego"), []byte("package modeltender.safety\n\ndeny contains if {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewEngine(context.Background(), Dir(dir)); err == nil || !strings.Contains(err.Error(), "safety.rego") {
		t.Errorf("NewEngine = %v, want a parse error naming safety.rego", err)
	}
	unformatted, err := CheckFormat(os.DirFS(copyBundle(t)))
	if err != nil || len(unformatted) != 0 {
		t.Errorf("CheckFormat of the shipped bundle = %v, %v; want clean", unformatted, err)
	}
}

func TestDataPrefersThePolicyDirAndFallsBackToEmbedded(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	own := []byte(`{"agency": true}`)
	if err := os.WriteFile(filepath.Join(dir, "data", "ai-licenses.json"), own, 0o644); err != nil {
		t.Fatal(err)
	}
	data := Data(Dir(dir))
	if got, err := fs.ReadFile(data, "ai-licenses.json"); err != nil || string(got) != string(own) {
		t.Errorf("ai-licenses.json = %q, %v; want the directory's", got, err)
	}
	want, err := fs.ReadFile(Data(), "spdx-licenses.json")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fs.ReadFile(data, "spdx-licenses.json"); err != nil || string(got) != string(want) {
		t.Errorf("spdx-licenses.json from a directory without it: %v; want the embedded file", err)
	}
	if _, err := fs.ReadFile(Data(Dir("")), "spdx-licenses.json"); err != nil {
		t.Errorf("Dir(\"\") does not read the embedded data: %v", err)
	}
}

func TestPolicyDirTablesFollowItsData(t *testing.T) {
	dir := copyBundle(t)
	// The agency no longer requires the research paper for Class I.
	components := filepath.Join(dir, "data", "mof_components.json")
	raw, err := os.ReadFile(components)
	if err != nil {
		t.Fatal(err)
	}
	paper := `"name": "Research paper", "description": "Research paper detailing the development and capabilities of the model", "content_type": "document", "class": 1, "required": true`
	if !strings.Contains(string(raw), paper) {
		t.Fatal("mof_components.json no longer lists the research paper as expected")
	}
	edited := strings.Replace(string(raw), paper, strings.Replace(paper, `"required": true`, `"required": false`, 1), 1)
	if err := os.WriteFile(components, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, err := NewEngine(context.Background(), Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	in := completeInput()
	in.Manifest.Components = nil
	for _, name := range domain.MOFComponents {
		if name != "Research paper" {
			in.Manifest.Components = append(in.Manifest.Components, domain.Component{Name: name, License: "MIT", Included: true})
		}
	}
	if d := decide(t, newEngine(t), in); d.Openness.Class == nil || *d.Openness.Class != "II" {
		t.Errorf("embedded bundle: class = %v, want II without the research paper", d.Openness.Class)
	}
	if d := decide(t, changed, in); d.Openness.Class == nil || *d.Openness.Class != "I" {
		t.Errorf("edited bundle: class = %v, want I once the research paper is optional", d.Openness.Class)
	}
}

func TestPolicyDirTablesMustFollowFromDataAlone(t *testing.T) {
	for rule, want := range map[string]string{
		"tier := input.criteria.risk_tier":           "input.criteria.risk_tier reads input",
		"floor := data.modeltender.openness.minimum": "data.modeltender.openness.minimum reads rules outside the package",
	} {
		dir := copyBundle(t)
		tables := filepath.Join(dir, "tables.rego")
		raw, err := os.ReadFile(tables)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(tables, append(raw, "\n"+rule+"\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := NewEngine(context.Background(), Dir(dir)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("with %q: NewEngine = %v, want an error saying %q", rule, err, want)
		}
	}
}
