package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// Evaluations count under the stage that moved last (pending and skipped
// stages aside, the later stage on a tie, intake when none moved) and their
// outcome; open tasks count by kind with the oldest one's creation time.
func TestOperationalStats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	if st, err := m.st.OperationalStats(ctx); err != nil || len(st.Evaluations) != 0 || len(st.OpenTasks) != 0 {
		t.Fatalf("an empty store: %+v %v", st, err)
	}
	b := m.bid(t, "bid_a", m.sellerA, at, "fresh", "rerun", "tie", "done")
	for _, c := range b.Candidates {
		requireNoError(t, m.st.StartEvaluation(ctx, c.ID, b.ID, m.sol.ID, "evaluation/"+c.ID, "rev-1", at))
	}
	stage := func(c domain.Candidate, s domain.Stage, status domain.StageStatus, when time.Duration) {
		requireNoError(t, m.st.RecordStage(ctx, domain.StageUpdate{CandidateID: c.ID, Stage: s, Status: status, At: at.Add(when)}))
	}
	rerun, tie, done := b.Candidates[1], b.Candidates[2], b.Candidates[3]
	// A clarification re-runs the license stage after it: the license stage is current.
	stage(rerun, domain.StageClarification, domain.StagePassed, time.Hour)
	stage(rerun, domain.StageLicense, domain.StageRunning, 2*time.Hour)
	stage(rerun, domain.StageApproval, domain.StageSkipped, 3*time.Hour)
	stage(tie, domain.StageLicense, domain.StagePassed, time.Hour)
	stage(tie, domain.StagePolicy, domain.StagePassed, time.Hour)
	stage(done, domain.StageOutcome, domain.StageCompleted, time.Hour)
	requireNoError(t, m.st.CompleteEvaluation(ctx, done.ID, domain.OutcomeQualified, 1, at.Add(time.Hour)))

	task := func(id string, kind domain.TaskKind, created time.Time) domain.Task {
		t := candidateTask(m, id, b, created)
		t.Kind = kind
		return t
	}
	createTasks(t, m.st, task("tsk_1", domain.TaskComplianceApproval, at.Add(time.Hour)), task("tsk_2", domain.TaskComplianceApproval, at),
		task("tsk_3", domain.TaskLicenseResolution, at.Add(2*time.Hour)), task("tsk_closed", domain.TaskLicenseResolution, at.Add(-time.Hour)))
	requireNoError(t, m.st.CloseTask(ctx, "tsk_closed", domain.TaskDecided, at))

	st, err := m.st.OperationalStats(ctx)
	requireNoError(t, err)
	want := []EvaluationCount{
		{Stage: domain.StageIntake, Outcome: "undecided", Count: 1},
		{Stage: domain.StageLicense, Outcome: "undecided", Count: 1},
		{Stage: domain.StageOutcome, Outcome: "qualified", Count: 1},
		{Stage: domain.StagePolicy, Outcome: "undecided", Count: 1},
	}
	if !reflect.DeepEqual(st.Evaluations, want) {
		t.Errorf("evaluations %+v\nwant %+v", st.Evaluations, want)
	}
	if len(st.OpenTasks) != 2 {
		t.Fatalf("open tasks %+v, want two kinds", st.OpenTasks)
	}
	if c := st.OpenTasks[0]; c.Kind != domain.TaskComplianceApproval || c.Count != 2 || !c.OldestCreatedAt.Equal(at) {
		t.Errorf("compliance tasks %+v, want 2, oldest at %s", c, at)
	}
	if c := st.OpenTasks[1]; c.Kind != domain.TaskLicenseResolution || c.Count != 1 || !c.OldestCreatedAt.Equal(at.Add(2*time.Hour)) {
		t.Errorf("license tasks %+v, want 1 (the closed one left out)", c)
	}
}
