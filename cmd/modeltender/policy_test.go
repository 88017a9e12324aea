package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/policies"
)

func TestPolicyExportWritesTheStoredRevision(t *testing.T) {
	ctx := context.Background()
	b, err := policies.LoadBundle()
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]map[string][]byte{b.Revision(): b.Files()}
	load := func(_ context.Context, revision string) (map[string][]byte, error) {
		if files, ok := stored[revision]; ok {
			return files, nil
		}
		return nil, errors.New("not stored")
	}
	dir := filepath.Join(t.TempDir(), "frozen")
	var out bytes.Buffer
	if err := exportBundle(ctx, load, b.Revision(), dir, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "note:") {
		t.Errorf("output %q: the embedded bundle exported reads back as another revision", out.String())
	}
	// The directory, served as a policy directory, is the same revision.
	out.Reset()
	getenv := func(string) string { return "" }
	if err := runPolicy(ctx, []string{"revision", "--policy-dir", dir}, getenv, &out, &out); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out.String()); got != b.Revision() {
		t.Errorf("policy revision of the export = %q, want %s", got, b.Revision())
	}

	if err := exportBundle(ctx, load, b.Revision(), dir, &out); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("export into a non-empty directory = %v, want it refused", err)
	}
	tampered := b.Files()
	tampered["safety.rego"] = append(bytes.Clone(tampered["safety.rego"]), '\n')
	stored[b.Revision()] = tampered
	if err := exportBundle(ctx, load, b.Revision(), t.TempDir(), &out); err == nil || !strings.Contains(err.Error(), "hashes to") {
		t.Errorf("export of a tampered bundle = %v, want it refused", err)
	}
	if err := exportBundle(ctx, load, "sha256:00", t.TempDir(), &out); err == nil {
		t.Error("export of a revision never stored succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "licenses", "mit.txt")); err != nil {
		t.Errorf("license texts not exported: %v", err)
	}
}
