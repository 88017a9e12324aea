package workflows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/activities"
	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// sent is how one update ended: refused by its validator, failed in its
// handler, or completed with a result.
type sent struct {
	rejected, failed error
	result           any
	done             bool
}

func (s *sent) err() error {
	if s.rejected != nil {
		return s.rejected
	}
	return s.failed
}

// update is one update to send: its name, its id (the test environment
// treats a repeated id as the same update) and its argument.
type update struct {
	name, id string
	arg      any
}

// sendAt sends the updates together after delay, so they reach the workflow
// in the same workflow task, and records how each ended.
func sendAt(env *testsuite.TestWorkflowEnvironment, delay time.Duration, updates ...update) []*sent {
	out := make([]*sent, len(updates))
	for i := range out {
		out[i] = &sent{}
	}
	env.RegisterDelayedCallback(func() {
		for i, u := range updates {
			s := out[i]
			env.UpdateWorkflow(u.name, u.id, &testsuite.TestUpdateCallback{
				OnAccept:   func() {},
				OnReject:   func(err error) { s.rejected, s.done = err, true },
				OnComplete: func(res any, err error) { s.result, s.failed, s.done = res, err, true },
			}, u.arg)
		}
	}, delay)
	return out
}

// requireKind checks that err is a refusal of the given kind saying want.
func requireKind(t *testing.T, err error, kind domain.ErrorKind, want string) {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an application error of kind %s, got %v", kind, err)
	require.Equal(t, string(kind), appErr.Type(), appErr.Message())
	require.Contains(t, appErr.Message(), want)
}

const firstTask = "tsk-cnd_1-1"

// raceInput is decisions that reach one open single-approval task together.
type raceInput struct {
	Decisions []domain.Decision
	// ValidateAllFirst runs every validator before any handler, as if each
	// had been checked against the state of its own turn.
	ValidateAllFirst bool
}

// raceWorkflow delivers decisions the way the SDK delivers updates that
// arrive in one workflow task: each in its own coroutine, validator then
// handler, before the main coroutine sees any of them. (The test suite
// gives every UpdateWorkflow call its own workflow task, so it cannot.)
// It returns how each ended: "" when accepted, else the refusal's kind and
// message.
func raceWorkflow(ctx workflow.Context, in raceInput) ([]string, error) {
	g := &reviewGate{solicitationID: "sol_1"}
	g.open(domain.Task{ID: firstTask, Kind: domain.TaskComplianceApproval, VendorOrgID: vendorOrg, Approvals: 1})
	answers := make([]error, len(in.Decisions))
	answered, validated := 0, 0
	for i, d := range in.Decisions {
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { answered++ }()
			if answers[i] = g.validate(d, true); answers[i] != nil {
				validated++
				return
			}
			validated++
			if in.ValidateAllFirst {
				_ = workflow.Await(ctx, func() bool { return validated == len(in.Decisions) })
			}
			_, answers[i] = g.record(ctx, d)
		})
	}
	if _, err := g.wait(ctx, defaultTaskSLA); err != nil {
		return nil, err
	}
	if err := workflow.Await(ctx, func() bool { return answered == len(in.Decisions) }); err != nil {
		return nil, err
	}
	out := make([]string, len(answers))
	for i, err := range answers {
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) {
			out[i] = appErr.Type() + ": " + appErr.Message()
		} else if err != nil {
			out[i] = err.Error()
		}
	}
	return out, nil
}

// Two reviewers decide one single-approval task in the same workflow task:
// exactly one decision is recorded, the other is refused with who decided
// first; also when both validators passed before either handler ran.
func TestSameWorkflowTaskDecisionsOnlyOneCounts(t *testing.T) {
	for _, validateFirst := range []bool{false, true} {
		for _, second := range []domain.Decision{reject(reviewer("usr_r2"), firstTask), approve(reviewer("usr_r2"), firstTask)} {
			t.Run(fmt.Sprintf("%s validate-all-first=%v", second.Verdict, validateFirst), func(t *testing.T) {
				env := quietSuite().NewTestWorkflowEnvironment()
				env.RegisterWorkflow(raceWorkflow)
				env.RegisterActivity(&activities.Activities{})
				var recorded []domain.Decision
				env.OnActivity(contract.RecordDecision, mock.Anything, mock.Anything).Return(func(_ context.Context, r contract.DecisionRecord) error {
					recorded = append(recorded, r.Decision)
					return nil
				})
				env.OnActivity(contract.EligibleReviewers, mock.Anything, mock.Anything).Return([]string{"usr_r1", "usr_r2"}, nil)
				env.ExecuteWorkflow(raceWorkflow, raceInput{Decisions: []domain.Decision{approve(reviewer("usr_r1"), firstTask), second}, ValidateAllFirst: validateFirst})

				require.NoError(t, env.GetWorkflowError())
				var answers []string
				require.NoError(t, env.GetWorkflowResult(&answers))
				require.Len(t, recorded, 1, "exactly one decision is recorded")
				won := slices.Index(answers, "")
				require.NotEqual(t, -1, won, "one decision is accepted: %q", answers)
				require.Equal(t, []string{recorded[0].ReviewerID}, []string{[]string{"usr_r1", "usr_r2"}[won]})
				require.Equal(t, "conflict: task tsk-cnd_1-1 was already decided by another reviewer ("+string(recorded[0].Verdict)+
					"): that decision stands; reload the task to see it", answers[1-won])
			})
		}
	}
}

// Two decisions sent at the same instant through the test suite (each in
// its own workflow task): one counts, the other is told, and the outcome
// follows the one that counted.
func TestSimultaneousDecisionsOnlyOneCounts(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, second domain.Decision
	}{
		{"approve and reject", approve(reviewer("usr_r1"), firstTask), reject(reviewer("usr_r2"), firstTask)},
		{"two approvals", approve(reviewer("usr_r1"), firstTask), approve(reviewer("usr_r2"), firstTask)},
		{"reject and approve", reject(reviewer("usr_r1"), firstTask), approve(reviewer("usr_r2"), firstTask)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEvalEnv(t, domain.LicenseReport{}, cleanPolicy)
			got := sendAt(e.TestWorkflowEnvironment, time.Hour,
				update{contract.DecideUpdate, "a", tc.first}, update{contract.DecideUpdate, "b", tc.second})
			e.ExecuteWorkflow(EvaluationWorkflow, testInput)

			res := e.result(t)
			require.True(t, got[0].done && got[1].done, "every request gets an answer")
			require.Len(t, e.decisions, 1, "exactly one decision is recorded")
			require.NoError(t, got[0].err())
			requireKind(t, got[1].err(), domain.ErrConflict, "not open")
			want := domain.OutcomeQualified
			if tc.first.Verdict == domain.VerdictReject {
				want = domain.OutcomeDisqualified
			}
			require.Equal(t, want, res.Outcome, "the outcome follows the decision that counted")
		})
	}
}
