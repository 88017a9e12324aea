package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"

	"github.com/modeltender/modeltender/internal/evaluate"
	"github.com/modeltender/modeltender/policies"
)

const policyUsage = "usage: modeltender policy test [--policy-dir DIR] | modeltender policy fmt --check [--policy-dir DIR]"

// runPolicy lets a compliance team check a policy bundle before serving it:
// `policy test` runs its Rego unit tests, `policy fmt --check` lists Rego
// files that are not `opa fmt` clean.
func runPolicy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return evaluate.Unreadable(errors.New(policyUsage))
	}
	flags := flag.NewFlagSet("policy "+args[0], flag.ContinueOnError)
	flags.SetOutput(stderr)
	dir := flags.String("policy-dir", getenv(policies.EnvPolicyDir), "directory of Rego policies and data/ (default: the embedded bundle)")
	check := flags.Bool("check", false, "fmt: report unformatted files instead of failing silently (required)")
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
