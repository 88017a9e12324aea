package store

import (
	"context"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

func stageNames(vs []StageView) string {
	return ids(vs, func(v StageView) string { return string(v.Stage) + "=" + string(v.Status) })
}

// An evaluation starts with every stage pending, once; a stage update older
// than the stored one is ignored; the outcome is recorded once; the bid's
// evaluations list in candidate order with stages in pipeline order.
func TestEvaluationLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	b := m.bid(t, "bid_a", m.sellerA, at, "first", "second")
	c1, c2 := b.Candidates[0].ID, b.Candidates[1].ID
	requireNoError(t, m.st.StartEvaluation(ctx, c2, b.ID, m.sol.ID, "evaluation/2", "rev-1", at))
	requireNoError(t, m.st.StartEvaluation(ctx, c1, b.ID, m.sol.ID, "evaluation/1", "rev-1", at))
	requireNoError(t, m.st.StartEvaluation(ctx, c1, b.ID, m.sol.ID, "evaluation/1-retry", "rev-2", at.Add(time.Hour)))

	// Out of pipeline order on purpose: the listing orders stages itself.
	requireNoError(t, m.st.RecordStage(ctx, domain.StageUpdate{CandidateID: c1, Stage: domain.StagePolicy, Status: domain.StageRunning, At: at.Add(2 * time.Hour)}))
	requireNoError(t, m.st.RecordStage(ctx, domain.StageUpdate{CandidateID: c1, Stage: domain.StageIntake, Status: domain.StagePassed,
		Findings: []domain.Finding{{Rule: "intake.ok", Severity: domain.SeverityInfo, Message: "fine"}},
		Detail:   map[string]any{"fields": 3.0}, At: at.Add(time.Hour)}))
	requireNoError(t, m.st.RecordStage(ctx, domain.StageUpdate{CandidateID: c1, Stage: domain.StagePolicy, Status: domain.StagePassed, At: at.Add(3 * time.Hour)}))
	requireNoError(t, m.st.RecordStage(ctx, domain.StageUpdate{CandidateID: c1, Stage: domain.StagePolicy, Status: domain.StageFailed, At: at.Add(2 * time.Hour)}))
	requireNoError(t, m.st.CompleteEvaluation(ctx, c1, domain.OutcomeQualified, 87.5, at.Add(4*time.Hour)))
	requireNoError(t, m.st.CompleteEvaluation(ctx, c1, domain.OutcomeDisqualified, 0, at.Add(5*time.Hour)))

	evals, err := m.st.EvaluationsForBid(ctx, b.ID)
	requireNoError(t, err)
	if got := ids(evals, func(e EvaluationView) string { return e.CandidateName }); got != "first,second" {
		t.Fatalf("evaluations %s, want first,second (candidate order)", got)
	}
	e := evals[0]
	if e.WorkflowID != "evaluation/1" || e.PolicyRevision != "rev-1" || !e.StartedAt.Equal(at) {
		t.Errorf("a retried start changed the evaluation: %+v", e)
	}
	if e.Outcome == nil || *e.Outcome != domain.OutcomeQualified || e.Score == nil || *e.Score != 87.5 || !e.CompletedAt.Equal(at.Add(4*time.Hour)) {
		t.Errorf("outcome %v score %v at %v, want the first completion kept", e.Outcome, e.Score, e.CompletedAt)
	}
	if got := stageNames(e.Stages); got != "intake=passed,license=pending,policy=passed,clarification=pending,approval=pending,outcome=pending" {
		t.Errorf("stages %s", got)
	}
	if in := e.Stages[0]; len(in.Findings) != 1 || in.Detail["fields"] != 3.0 {
		t.Errorf("intake stage %+v, want its finding and detail", in)
	}
	if lic := e.Stages[1]; lic.Findings == nil || len(lic.Detail) != 0 {
		t.Errorf("a pending stage reads as %+v: want an empty finding list and no detail", lic)
	}
	if pending := evals[1]; pending.Outcome != nil || pending.Score != nil || pending.CompletedAt != nil {
		t.Errorf("an unfinished evaluation reads as %+v", pending)
	}
	if n := count(t, m.st, "evaluation_stages", ""); n != 2*len(domain.Stages) {
		t.Errorf("%d stage rows, want %d", n, 2*len(domain.Stages))
	}
	if evals, err := m.st.EvaluationsForBid(ctx, "bid_ghost"); err != nil || len(evals) != 0 {
		t.Errorf("evaluations of an unknown bid: %v %v", evals, err)
	}
}

// What the schema refuses is an error that names the candidate, and a start
// that fails leaves no stage rows.
func TestEvaluationRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	b := m.bid(t, "bid_a", m.sellerA, at, "first", "second")
	c1, c2 := b.Candidates[0].ID, b.Candidates[1].ID
	requireFails(t, m.st.StartEvaluation(ctx, "cnd_ghost", b.ID, m.sol.ID, "evaluation/x", "rev-1", at), "start evaluation of cnd_ghost")
	requireNoError(t, m.st.StartEvaluation(ctx, c1, b.ID, m.sol.ID, "evaluation/shared", "rev-1", at))
	requireFails(t, m.st.StartEvaluation(ctx, c2, b.ID, m.sol.ID, "evaluation/shared", "rev-1", at), "start evaluation of "+c2)
	if n := count(t, m.st, "evaluation_stages", "candidate_id <> $1", c1); n != 0 {
		t.Errorf("failed starts left %d stage rows", n)
	}
	requireFails(t, m.st.RecordStage(ctx, domain.StageUpdate{CandidateID: c1, Stage: "vibes", Status: domain.StagePassed, At: at}), "record stage vibes of "+c1)
	requireFails(t, m.st.CompleteEvaluation(ctx, c1, "great", 1, at), "complete evaluation of "+c1)
	if n := count(t, m.st, "evaluations", "completed_at IS NOT NULL"); n != 0 {
		t.Error("a refused outcome was stored")
	}
}
