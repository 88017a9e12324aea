package main

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// `modeltender dev` without modeltender-dev beside it or on PATH says what
// to build.
func TestDevNamesTheBinaryItNeeds(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := run(context.Background(), []string{"dev"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "modeltender-dev") || !strings.Contains(err.Error(), "make build") {
		t.Fatalf("dev without modeltender-dev: %v, want an error naming it and how to build it", err)
	}
}

// With both binaries built side by side, as `make build` leaves them,
// `modeltender dev` is modeltender-dev: its flags answer.
func TestDevHandsOverToModeltenderDev(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both binaries")
	}
	dir := t.TempDir()
	for _, cmd := range []string{"modeltender", "modeltender-dev"} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, cmd), "../"+cmd).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", cmd, err, out)
		}
	}
	out, err := exec.Command(filepath.Join(dir, "modeltender"), "dev", "--no-such-flag").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "flag provided but not defined: -no-such-flag") || !strings.Contains(string(out), "-demo") {
		t.Fatalf("modeltender dev --no-such-flag: %v\n%s\nwant modeltender-dev's usage naming -demo", err, out)
	}
}
