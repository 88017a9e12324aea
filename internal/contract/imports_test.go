package contract_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/modeltender/modeltender/"

// The import rules of docs/ARCHITECTURE.md: the HTTP layer goes through the
// use cases only, and workflows learn nothing from the outside except
// through activities, so their histories replay without a database.
func TestImportRules(t *testing.T) {
	for _, rule := range []struct {
		pkg       string
		direct    bool // only what pkg imports itself, not what its imports do
		forbidden []string
	}{
		{"web", false, []string{module + "workflows", module + "activities"}},
		{"web", true, []string{module + "internal/store", "go.temporal.io/sdk/client"}},
		{"workflows", false, []string{"github.com/jackc/pgx/v5", "github.com/open-policy-agent/opa/v1/rego", module + "internal/store", module + "policies"}},
		{"internal/tender", false, []string{module + "workflows", module + "activities", module + "web"}},
		// The production binary leaves the embedded Temporal server to modeltender-dev.
		{"cmd/modeltender", false, []string{module + "internal/devstack", module + "internal/devstack/temporaldev", "go.temporal.io/server/temporal"}},
	} {
		args := []string{"list", "-deps", "-f", "{{.ImportPath}}", module + rule.pkg}
		if rule.direct {
			args = []string{"list", "-f", `{{join .Imports "\n"}}`, module + rule.pkg}
		}
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", rule.pkg, err, out)
		}
		deps := strings.Fields(string(out))
		for _, f := range rule.forbidden {
			if slices.Contains(deps, f) {
				t.Errorf("%s imports %s (directly or not); see docs/ARCHITECTURE.md", rule.pkg, f)
			}
		}
	}
}
