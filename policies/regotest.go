package policies

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestResult is the outcome of one Rego unit test.
type TestResult struct {
	Name string // package.rule, e.g. data.modeltender.openness_test.test_class_iii
	// Problem is empty when the test passed.
	Problem string
}

// Test runs the Rego unit tests (*_test.rego) of the bundle in fsys against
// its policies and data (read as Dir reads a directory), as `opa test` would. An error means the tests could
// not run at all (a policy does not parse or compile).
func Test(ctx context.Context, fsys fs.FS) ([]TestResult, error) {
	b, err := loadOwn(fsys)
	if err != nil {
		return nil, err
	}
	tests, err := readFiles(fsys, func(p string) bool { return strings.HasSuffix(p, "_test.rego") })
	if err != nil {
		return nil, err
	}
	if len(tests) == 0 {
		return nil, fmt.Errorf("the policy bundle has no Rego tests (*_test.rego)")
	}
	modules, store, err := compileInput(b, tests)
	if err != nil {
		return nil, err
	}
	ch, err := tester.NewRunner().SetStore(store).SetModules(modules).RunTests(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("run Rego tests: %w", err)
	}
	var results []TestResult
	for r := range ch {
		tr := TestResult{Name: r.Package + "." + r.Name}
		switch {
		case r.Error != nil:
			tr.Problem = r.Error.Error()
		case r.Fail:
			tr.Problem = fmt.Sprintf("failed at %v", r.FailedAt)
		}
		results = append(results, tr)
	}
	return results, nil
}

// CheckFormat returns the Rego files of fsys (tests included) that are not
// `opa fmt` clean, each with the formatter's output.
func CheckFormat(fsys fs.FS) (map[string][]byte, error) {
	files, err := readFiles(fsys, func(p string) bool { return path.Ext(p) == ".rego" })
	if err != nil {
		return nil, err
	}
	unformatted := map[string][]byte{}
	for p, content := range files {
		formatted, err := format.SourceWithOpts(p, content, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, fmt.Errorf("format %s: %w", p, err)
		}
		if !bytes.Equal(content, formatted) {
			unformatted[p] = formatted
		}
	}
	return unformatted, nil
}
