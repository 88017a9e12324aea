package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// decisionAnswer is how one reviewer's request ended, and how long it took.
type decisionAnswer struct {
	reviewer string
	verdict  domain.Verdict
	res      contract.DecisionResult
	err      error
	took     time.Duration
}

// Fifty single-approval tasks (25 compliance approvals, 25 license
// resolutions), each decided at the same instant by two reviewers, one
// approving and one rejecting, straight through Temporal as the web does.
// Every request is answered, accepted or refused with a conflict, and
// PostgreSQL holds exactly one decision per task: one decisions row, one
// task.decided audit row, and license resolutions from one reviewer only.
func TestConcurrentDecisionsRecordOneEach(t *testing.T) {
	t.Parallel()
	const perVendor = 25
	s := startStack(t)
	sol := s.publish(10*time.Second, "standard")
	var granite, llama []json.RawMessage
	for i := range perVendor {
		granite = append(granite, exampleManifest(t, "granite-3.1-8b-instruct.json", func(m map[string]any) { m["name"] = fmt.Sprintf("granite-%02d", i) }))
		llama = append(llama, exampleManifest(t, "llama-3.1-8b-instruct.json", func(m map[string]any) { m["name"] = fmt.Sprintf("llama-%02d", i) }))
	}
	submitted := time.Now()
	s.must(http.StatusCreated, "vendorA", "POST", "/api/v1/solicitations/"+sol.ID+"/bids", map[string]any{"candidates": granite})
	s.must(http.StatusCreated, "vendorB", "POST", "/api/v1/solicitations/"+sol.ID+"/bids", map[string]any{"candidates": llama})
	t.Logf("two bids of %d candidates submitted in %s", perVendor, time.Since(submitted).Round(time.Millisecond))

	ctx := context.Background()
	var tasks []domain.Task
	s.eventually("50 open single-approval tasks", 4*time.Minute, func() bool {
		var err error
		if tasks, err = s.store.OpenTasksFor(ctx, s.users["reviewer1"].User); err != nil {
			t.Fatal(err)
		}
		return len(tasks) == 2*perVendor
	})
	t.Logf("%d tasks open %s after the deadline", len(tasks), time.Since(sol.Deadline).Round(time.Millisecond))
	kinds := map[domain.TaskKind]int{}
	for _, task := range tasks {
		if task.Approvals != 1 {
			t.Fatalf("task %s needs %d approvals, want 1", task.ID, task.Approvals)
		}
		kinds[task.Kind]++
	}
	if kinds[domain.TaskComplianceApproval] != perVendor || kinds[domain.TaskLicenseResolution] != perVendor {
		t.Fatalf("open tasks by kind: %v", kinds)
	}

	decided := time.Now()
	answers := s.decideAllAtOnce(tasks)
	t.Logf("100 decisions answered in %s", time.Since(decided).Round(time.Millisecond))
	db, err := pgx.Connect(ctx, s.app.Config.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close(ctx) }()
	var accepted, refused []time.Duration
	raced := 0 // refusals of a decision that met the task still open, its outcome just taken
	for _, task := range tasks {
		pair := answers[task.ID]
		won := slices.IndexFunc(pair, func(a decisionAnswer) bool { return a.err == nil })
		if won < 0 || pair[1-won].err == nil {
			t.Fatalf("task %s: want exactly one decision accepted, got %v and %v", task.ID, pair[0].err, pair[1].err)
		}
		if !pair[won].res.Accepted || !pair[won].res.TaskClosed {
			t.Errorf("task %s: accepted decision answered %+v", task.ID, pair[won].res)
		}
		var appErr *temporal.ApplicationError
		if lost := pair[1-won].err; !errors.As(lost, &appErr) || appErr.Type() != string(domain.ErrConflict) ||
			!(strings.Contains(appErr.Message(), "already decided by another reviewer") || strings.Contains(appErr.Message(), "not open for decisions")) {
			t.Errorf("task %s: the second decision was refused with %v, want a conflict saying the task was decided", task.ID, lost)
		} else if strings.Contains(appErr.Message(), "already decided by another reviewer") {
			raced++
		}
		accepted, refused = append(accepted, pair[won].took), append(refused, pair[1-won].took)
		s.requireOneDecision(db, task, pair[won])
	}
	t.Logf("answers to the accepted decisions (they wait for the record): %s; to the refused ones: %s", spread(accepted), spread(refused))
	t.Logf("%d of %d refusals met the task still open with its outcome just taken (the race this guards)", raced, len(tasks))
}

// spread describes durations by their median, 95th percentile and maximum.
func spread(d []time.Duration) string {
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[int(q*float64(len(d)-1))].Round(time.Millisecond) }
	return fmt.Sprintf("median %s, p95 %s, max %s", at(0.5), at(0.95), at(1))
}

// decideAllAtOnce has reviewer1 approve and reviewer2 reject every task, all
// requests released together, and returns both answers per task.
func (s *stack) decideAllAtOnce(tasks []domain.Task) map[string][]decisionAnswer {
	s.t.Helper()
	reject := map[domain.TaskKind]string{domain.TaskComplianceApproval: "safety-risk", domain.TaskLicenseResolution: "license-incompatible"}
	answers := map[string][]decisionAnswer{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, task := range tasks {
		answers[task.ID] = make([]decisionAnswer, 2)
		for i, who := range []string{"reviewer1", "reviewer2"} {
			u := s.users[who].User
			d := domain.Decision{TaskID: task.ID, ReviewerID: u.ID, ReviewerRole: u.Role, ReviewerOrgID: u.OrgID,
				Verdict: domain.VerdictApprove, ReasonCode: "meets-requirements", FindingsHash: task.FindingsHash}
			if i == 1 {
				d.Verdict, d.ReasonCode, d.Comment = domain.VerdictReject, reject[task.Kind], "refused in the concurrency test"
			}
			wg.Go(func() {
				<-start
				a := s.decideOverTemporal(task.WorkflowID, d)
				mu.Lock()
				answers[task.ID][i] = a
				mu.Unlock()
			})
		}
	}
	close(start)
	wg.Wait()
	return answers
}

// answerWithin bounds the wait for one answer. A refusal comes at once; an
// acceptance waits until the decision is stored, behind every activity the
// fifty evaluations queue meanwhile, which on a loaded two-core machine
// takes tens of seconds (the test logs the spread).
const answerWithin = 90 * time.Second

// decideOverTemporal sends one decision as the web does: a decide update
// that waits for its completion.
func (s *stack) decideOverTemporal(workflowID string, d domain.Decision) decisionAnswer {
	ctx, cancel := context.WithTimeout(context.Background(), answerWithin)
	defer cancel()
	a := decisionAnswer{reviewer: d.ReviewerID, verdict: d.Verdict}
	began := time.Now()
	handle, err := s.app.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: contract.DecideUpdate, Args: []any{d},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, &a.res)
	}
	a.err, a.took = err, time.Since(began)
	if ctx.Err() != nil {
		s.t.Errorf("no answer to %s's %s decision on %s within %s: %v", d.ReviewerID, d.Verdict, d.TaskID, answerWithin, err)
	}
	return a
}

// requireOneDecision checks in PostgreSQL that task holds the accepted
// decision and nothing of the refused one.
func (s *stack) requireOneDecision(db *pgx.Conn, task domain.Task, won decisionAnswer) {
	s.t.Helper()
	var decisions, decidedEvents, resolutions int
	var decidedBy, verdict, resolvedBy, status string
	err := db.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM decisions WHERE task_id = $1),
		(SELECT COALESCE(string_agg(DISTINCT reviewer_id, ','), '') FROM decisions WHERE task_id = $1),
		(SELECT COALESCE(string_agg(DISTINCT verdict, ','), '') FROM decisions WHERE task_id = $1),
		(SELECT count(*) FROM audit_events WHERE action = 'task.decided' AND subject_id = $1),
		(SELECT count(*) FROM license_resolutions WHERE task_id = $1),
		(SELECT COALESCE(string_agg(DISTINCT reviewer_id, ','), '') FROM license_resolutions WHERE task_id = $1),
		(SELECT status FROM tasks WHERE id = $1)`, task.ID).Scan(&decisions, &decidedBy, &verdict, &decidedEvents, &resolutions, &resolvedBy, &status)
	if err != nil {
		s.t.Fatalf("read the records of task %s: %v", task.ID, err)
	}
	if decisions != 1 || decidedBy != won.reviewer || verdict != string(won.verdict) || decidedEvents != 1 || status != string(domain.TaskDecided) {
		s.t.Errorf("task %s (%s): %d decisions by %s (%s), %d task.decided events, status %s; want one, by %s (%s)",
			task.ID, task.Kind, decisions, decidedBy, verdict, decidedEvents, status, won.reviewer, won.verdict)
	}
	if task.Kind == domain.TaskLicenseResolution && (resolutions == 0 || resolvedBy != won.reviewer) {
		s.t.Errorf("license task %s: %d resolution rows by %s, want rows by %s only", task.ID, resolutions, resolvedBy, won.reviewer)
	}
}
