package workflows

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/licensing"
)

// newRealLicenseEnv is newEvalEnv whose candidate check answers with what the
// real license analyzer (embedded knowledge base) makes of manifest m under
// the test input's criteria. newEvalEnv's mock returns a fixed report, so the
// report is computed up front; the listener checks that the activity really
// received those criteria and that the analyzer, run on its actual input,
// gives that same report.
func newRealLicenseEnv(t *testing.T, m domain.Manifest, in contract.EvaluationInput) *evalEnv {
	t.Helper()
	analyzer, err := licensing.NewAnalyzer()
	require.NoError(t, err)
	want := analyzer.Review(m, in.Criteria)
	e := newEvalEnv(t, want, cleanPolicy)
	e.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, args converter.EncodedValues) {
		if info.ActivityType.Name != contract.CheckCandidate {
			return
		}
		var got contract.CheckRequest
		require.NoError(t, args.Get(&got))
		require.Equal(t, in.Criteria, got.Criteria)
		require.Equal(t, want, analyzer.Review(m, got.Criteria))
	})
	return e
}

// runLlama31 evaluates a candidate whose weights are under the Llama 3.1
// Community License in a solicitation expecting users monthly users; a
// reviewer approves each task as it opens.
func runLlama31(t *testing.T, users int64) *evalEnv {
	t.Helper()
	m := domain.Manifest{SchemaVersion: "1", Name: "Llama-3.1-8B", Weights: domain.Weights{License: "LicenseRef-Llama-3.1-Community"}}
	in := testInput
	in.Criteria.ExpectedMonthlyUsers = users
	e := newRealLicenseEnv(t, m, in)
	e.decideAt(time.Hour, approve(reviewer("usr_r1"), "tsk-cnd_1-1"), nil)
	e.decideAt(2*time.Hour, approve(reviewer("usr_r1"), "tsk-cnd_1-2"), nil)
	e.ExecuteWorkflow(EvaluationWorkflow, in)
	require.Equal(t, domain.OutcomeQualified, e.result(t).Outcome)
	require.Equal(t, 1, e.licenseRuns)
	return e
}

// rules are the rule ids of findings, sorted.
func rules(findings []domain.Finding) []string {
	var ids []string
	for _, f := range findings {
		ids = append(ids, f.Rule)
	}
	slices.Sort(ids)
	return ids
}

// The scenario through the workflow. At 800M expected monthly users
// the Llama 3.1 cap (700M) is exceeded: the license resolution task opens
// with the cap finding, quoting the clause, next to the naming and AUP ones.
func TestEvaluationLlama31AboveUserCap(t *testing.T) {
	e := runLlama31(t, 800_000_000)

	require.Len(t, e.tasks, 2)
	task := e.tasks[0]
	require.Equal(t, domain.TaskLicenseResolution, task.Kind)
	require.Equal(t, []string{"license.acceptable-use", "license.naming", "license.user-cap"}, rules(task.Findings))
	i := slices.IndexFunc(task.Findings, func(f domain.Finding) bool { return f.Rule == "license.user-cap" })
	capFinding := task.Findings[i]
	require.Equal(t, domain.SeverityWarn, capFinding.Severity)
	require.Contains(t, capFinding.Message, "700M")
	require.Contains(t, capFinding.Message, "800M")
	require.Contains(t, capFinding.Evidence.Quote, "700 million monthly active users")
	require.Contains(t, capFinding.Fix, "commercial license covering > 700M MAU")
	require.Equal(t, domain.TaskComplianceApproval, e.tasks[1].Kind)
}

// At 1M users the cap does not bite: the cap is noted at info, nothing is
// denied, and the warnings left are the naming duty and the AUP incorporated
// by reference. By design (issue 4: "findings of severity warn open a license
// resolution task") those two still open a resolution task, so a reviewer
// accepts them for the intended use before the compliance approval.
func TestEvaluationLlama31BelowUserCap(t *testing.T) {
	e := runLlama31(t, 1_000_000)

	require.Len(t, e.tasks, 2)
	task := e.tasks[0]
	require.Equal(t, domain.TaskLicenseResolution, task.Kind)
	require.Equal(t, []string{"license.acceptable-use", "license.naming"}, rules(task.Findings))
	for _, f := range task.Findings {
		require.Equal(t, domain.SeverityWarn, f.Severity, f.Rule)
		require.NotEmpty(t, f.Evidence.Quote, f.Rule)
	}
	aup := task.Findings[slices.IndexFunc(task.Findings, func(f domain.Finding) bool { return f.Rule == "license.acceptable-use" })]
	require.True(t, strings.Contains(aup.Evidence.Quote, "Acceptable Use Policy") || strings.Contains(aup.Evidence.Quote, "incorporated by reference"), aup.Evidence.Quote)
	for _, s := range e.stages {
		if s.Stage == domain.StageLicense && s.Status == domain.StagePassed {
			for _, f := range s.Findings {
				require.NotEqual(t, domain.SeverityDeny, f.Severity, f.Rule)
				if f.Rule == "license.user-cap" {
					require.Equal(t, domain.SeverityInfo, f.Severity, "the cap is only noted below it: %s", f.Message)
				}
			}
		}
	}
	require.Equal(t, domain.TaskComplianceApproval, e.tasks[1].Kind)
}
