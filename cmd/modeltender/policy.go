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
	"sort"
	"strings"

	"github.com/modeltender/modeltender/internal/evaluate"
	"github.com/modeltender/modeltender/policies"
)

const policyUsage = "usage: modeltender policy test [--policy-dir DIR] | modeltender policy fmt --check [--policy-dir DIR] | modeltender policy packs [--json] [--policy-dir DIR]"

// runPolicy lets a compliance team check a policy bundle before serving it:
// `policy test` runs its Rego unit tests, `policy fmt --check` lists Rego
// files that are not `opa fmt` clean, `policy packs` lists the policy packs
// with their effective dates and sources.
func runPolicy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return evaluate.Unreadable(errors.New(policyUsage))
	}
	flags := flag.NewFlagSet("policy "+args[0], flag.ContinueOnError)
	flags.SetOutput(stderr)
	dir := flags.String("policy-dir", getenv(policies.EnvPolicyDir), "directory of Rego policies and data/ (default: the embedded bundle)")
	check := flags.Bool("check", false, "fmt: report unformatted files instead of failing silently (required)")
	asJSON := flags.Bool("json", false, "packs: print the packs as JSON")
	if err := flags.Parse(args[1:]); err != nil {
		return evaluate.Unreadable(err)
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
	case "packs":
		return listPacks(*dir, *asJSON, stdout)
	}
	return evaluate.Unreadable(fmt.Errorf("unknown policy command %q; %s", args[0], policyUsage))
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
