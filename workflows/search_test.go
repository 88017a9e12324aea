package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// searchLog keeps the typed search attributes a workflow upserts: every
// stage it showed, in order, and the attributes as they stand at the end.
type searchLog struct {
	stages []string
	final  map[string]string
}

func recordSearch(env *testsuite.TestWorkflowEnvironment) *searchLog {
	l := &searchLog{final: map[string]string{}}
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		for _, k := range contract.SearchAttributes {
			v, ok := sa.GetKeyword(k.(temporal.SearchAttributeKeyKeyword))
			if !ok {
				continue
			}
			l.final[k.GetName()] = v
			if k == contract.SearchStage {
				l.stages = append(l.stages, v)
			}
		}
	}).Return()
	return l
}

func TestEvaluationSearchAttributes(t *testing.T) {
	e := newEvalEnv(t, domain.LicenseReport{}, cleanPolicy)
	search := recordSearch(e.TestWorkflowEnvironment)
	e.decideAt(time.Hour, approve(reviewer("usr_r1"), "tsk-cnd_1-1"), nil)
	e.ExecuteWorkflow(EvaluationWorkflow, testInput)
	e.result(t)

	require.Equal(t, []string{"intake", "license", "policy", "approval", "outcome"}, search.stages)
	require.Equal(t, map[string]string{
		"ModeltenderSolicitationId": "sol_1", "ModeltenderRiskTier": "standard", "ModeltenderVendorOrgId": vendorOrg,
		"ModeltenderStage": "outcome", "ModeltenderOutcome": "qualified",
	}, search.final)
}

func TestEvaluationSearchAttributesDisqualified(t *testing.T) {
	e := newEvalEnv(t, domain.LicenseReport{}, domain.PolicyDecision{Deny: []domain.Finding{{Rule: "safety.missing", Severity: domain.SeverityDeny}}})
	search := recordSearch(e.TestWorkflowEnvironment)
	e.ExecuteWorkflow(EvaluationWorkflow, testInput)
	e.result(t)

	// The stages finish marks skipped do not show.
	require.Equal(t, []string{"intake", "license", "policy", "outcome"}, search.stages)
	require.Equal(t, "disqualified", search.final["ModeltenderOutcome"])
}

func TestSolicitationSearchAttributes(t *testing.T) {
	e := newSolicitationEnv(time.Hour, nil)
	search := recordSearch(e.TestWorkflowEnvironment)
	e.at(time.Hour, contract.SubmitBidUpdate, bid("bid_a", "cnd_1"), nil)
	e.at(11*day, contract.CancelUpdate, contract.CancelRequest{Actor: officer, Reason: "end of test"}, nil)
	e.ExecuteWorkflow(SolicitationWorkflow, solicitationInput(domain.RiskHighImpact))
	e.result(t)

	require.Equal(t, []string{"published", "closed", "evaluating", "evaluated", "cancelled"}, search.stages)
	// No vendor on a solicitation: who bid is sealed until the deadline.
	require.Equal(t, map[string]string{
		"ModeltenderSolicitationId": "sol_1", "ModeltenderRiskTier": "high-impact",
		"ModeltenderStage": "cancelled", "ModeltenderOutcome": "cancelled",
	}, search.final)
}
