package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/modeltender/modeltender/internal/config"
	"github.com/modeltender/modeltender/internal/evaluate"
	"github.com/modeltender/modeltender/internal/rulebook"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/policies"
)

const policyUsage = "usage: modeltender policy test [--policy-dir DIR] | policy fmt --check [--policy-dir DIR] | policy packs [--json] [--policy-dir DIR] | policy revision [--policy-dir DIR] | policy export [--opa] REVISION DIR"

// runPolicy lets a compliance team check a policy bundle before serving it
// and look at the rules a solicitation froze: `policy test` runs its Rego
// unit tests, `policy fmt --check` lists Rego files that are not `opa fmt`
// clean, `policy packs` lists the policy packs with their effective dates
// and sources, `policy revision` prints the revision decisions under the
// bundle record, and `policy export` writes the bundle stored under a
// revision to a directory.
func runPolicy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return evaluate.Unreadable(errors.New(policyUsage))
	}
	flags := flag.NewFlagSet("policy "+args[0], flag.ContinueOnError)
	flags.SetOutput(stderr)
	dir := flags.String("policy-dir", getenv(policies.EnvPolicyDir), "directory of Rego policies and data/ (default: the embedded bundle)")
	check := flags.Bool("check", false, "fmt: report unformatted files instead of failing silently (required)")
	asJSON := flags.Bool("json", false, "packs: print the packs as JSON")
	opaLayout := flags.Bool("opa", false, "export: write the bundle in OPA's own layout, for opa eval with the input of `modeltender evaluate --policy-input`")
	if err := flags.Parse(args[1:]); err != nil {
		return evaluate.Unreadable(err)
	}
	if args[0] == "export" {
		if flags.NArg() != 2 {
			return evaluate.Unreadable(errors.New("policy export needs a revision and a directory: modeltender policy export [--opa] REVISION DIR"))
		}
		cfg, err := config.FromEnv(getenv)
		if err != nil {
			return evaluate.Unreadable(err)
		}
		if err := resolveDatabase(&cfg); err != nil {
			return err
		}
		st, err := store.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		defer st.Close()
		return exportBundle(ctx, st.PolicyBundle, flags.Arg(0), flags.Arg(1), *opaLayout, stdout)
	}
	if flags.NArg() != 0 {
		return evaluate.Unreadable(fmt.Errorf("policy %s takes no arguments, only flags; %s", args[0], policyUsage))
	}
	bundle, name := policies.Embedded(), "the embedded bundle"
	if *dir != "" {
		bundle, name = os.DirFS(*dir), *dir
	}
	switch args[0] {
	case "test":
		return testPolicies(ctx, bundle, name, stdout)
	case "fmt":
		if !*check {
			return evaluate.Unreadable(errors.New("policy fmt only checks: give --check, and fix files with `opa fmt -w`"))
		}
		return checkFormat(bundle, name, stdout)
	case "revision":
		b, err := policies.LoadBundle(policies.Dir(*dir))
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		fmt.Fprintln(stdout, b.Revision())
		return nil
	case "packs":
		return listPacks(*dir, *asJSON, stdout)
	}
	return evaluate.Unreadable(fmt.Errorf("unknown policy command %q; %s", args[0], policyUsage))
}

// exportBundle writes the files stored under revision into dir, which must
// not exist or be empty: files left from another bundle would change the
// rules read from it. In OPA's layout (opaLayout), OPA's own evaluator
// decides with it.
func exportBundle(ctx context.Context, load rulebook.Loader, revision, dir string, opaLayout bool, stdout io.Writer) error {
	files, err := load(ctx, revision)
	if err != nil {
		return fmt.Errorf("export policy revision %s: %w", revision, err)
	}
	b, err := policies.OpenBundle(revision, files)
	if err != nil {
		return fmt.Errorf("export policy revision %s: %w", revision, err)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return evaluate.Unreadable(fmt.Errorf("export policy revision %s: %s is not empty; give a new or empty directory", revision, dir))
	}
	if opaLayout {
		if err := b.WriteOPABundle(dir); err != nil {
			return fmt.Errorf("export policy revision %s: %w", revision, err)
		}
		fmt.Fprintf(stdout, "%s: written to %s in OPA's bundle layout; decide a candidate with\n"+
			"  modeltender evaluate --policy-input MANIFEST | opa eval -b %s -I 'data.modeltender.evaluation.decision'\n"+
			"(give evaluate the solicitation's criteria with --solicitation)\n", revision, dir, dir)
		return nil
	}
	for p, content := range b.Files() {
		target := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return fmt.Errorf("export policy revision %s: %w", revision, err)
		}
		if err := os.WriteFile(target, content, 0o644); err != nil {
			return fmt.Errorf("export policy revision %s: %w", revision, err)
		}
	}
	fmt.Fprintf(stdout, "%s: %d files written to %s\n", revision, len(files), dir)
	// As a policy directory, data files it lacks come from this binary's
	// embedded bundle, which may hold files the stored revision did not.
	reread, err := policies.LoadBundle(policies.Dir(dir))
	if err != nil {
		return fmt.Errorf("read back %s: %w", dir, err)
	}
	if reread.Revision() != revision {
		fmt.Fprintf(stdout, "note: served with --policy-dir %s, this binary reads it as revision %s: it adds the embedded data files the stored bundle lacks\n", dir, reread.Revision())
	}
	return nil
}

func testPolicies(ctx context.Context, bundle fs.FS, name string, stdout io.Writer) error {
	results, err := policies.Test(ctx, bundle)
	if err != nil {
		return fmt.Errorf("test %s: %w", name, err)
	}
	failed := 0
	for _, r := range results {
		if r.Problem != "" {
			failed++
			fmt.Fprintf(stdout, "FAIL %s: %s\n", r.Name, r.Problem)
		}
	}
	fmt.Fprintf(stdout, "%s: %d passed, %d failed\n", name, len(results)-failed, failed)
	if failed > 0 {
		return fmt.Errorf("%d of %d Rego tests failed", failed, len(results))
	}
	return nil
}

func checkFormat(bundle fs.FS, name string, stdout io.Writer) error {
	unformatted, err := policies.CheckFormat(bundle)
	if err != nil {
		return fmt.Errorf("check %s: %w", name, err)
	}
	paths := make([]string, 0, len(unformatted))
	for p := range unformatted {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		fmt.Fprintf(stdout, "%s: not opa fmt clean; run `opa fmt -w` on it\n", p)
	}
	if len(paths) > 0 {
		return fmt.Errorf("%d Rego file(s) in %s are not formatted", len(paths), name)
	}
	fmt.Fprintf(stdout, "%s: all Rego files are opa fmt clean\n", name)
	return nil
}

// listPacks prints the bundle's policy packs: one block per pack with its
// version, status, dates, what it asks for and the texts it rests on.
func listPacks(dir string, asJSON bool, stdout io.Writer) error {
	packs, err := policies.Packs(policies.Dir(dir))
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(packs)
	}
	for _, p := range packs {
		effective := p.Effective
		if effective == "" {
			effective = "not in force"
		}
		fmt.Fprintf(stdout, "%s  v%d  %s  effective %s", p.ID, p.Version, p.Status, effective)
		if p.Expires != "" {
			fmt.Fprintf(stdout, "  expires %s", p.Expires)
		}
		fmt.Fprintf(stdout, "\n  %s\n", p.Title)
		var defaults []string
		for _, t := range p.DefaultFor.Tiers {
			defaults = append(defaults, string(t))
		}
		if len(defaults) > 0 {
			scope := ""
			if p.DefaultFor.LLMOnly {
				scope = " (LLM procurements only)"
			}
			fmt.Fprintf(stdout, "  default for: %s%s\n", strings.Join(defaults, ", "), scope)
		}
		var evidence, terms []string
		for _, e := range p.Evidence {
			evidence = append(evidence, e.Kind)
		}
		for _, a := range p.Attestations {
			terms = append(terms, a.Term)
		}
		if len(evidence) > 0 {
			fmt.Fprintf(stdout, "  evidence: %s\n", strings.Join(evidence, ", "))
		}
		if len(terms) > 0 {
			fmt.Fprintf(stdout, "  attestations: %s\n", strings.Join(terms, ", "))
		}
		for _, s := range p.Sources {
			fmt.Fprintf(stdout, "  source (%s): %s\n    %s\n", s.Kind, s.Title, s.URL)
		}
		fmt.Fprintln(stdout)
	}
	return nil
}
