package e2e

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// The worker process is killed with SIGKILL while an activity of each kind
// a procurement runs is in flight, and a new one started: from the bids to
// the award, its notice and the monitoring that follows. Each activity is
// caught deterministically by holding the store inside it (see hold), not
// by timing, and Temporal's history must show every kind the procurement
// ran started again after a kill (attempt 2 or more). The procurement then
// completes with audit rows, stages, tasks and decisions neither duplicated
// nor lost. Each kill costs the activities' 10s start-to-close timeout;
// alone: go test ./internal/e2e -run TestFaultsDuringEachActivityKind.
func TestFaultsDuringEachActivityKind(t *testing.T) {
	t.Parallel() // its PostgreSQL, Temporal and worker are its own
	started := time.Now()
	f := startFaultStack(t)
	s := f.stack
	k := newKiller(f)
	defer k.close()
	k.started = started

	sol := s.publish(15*time.Second, "standard", map[string]any{"standstill_days": 2.0 / 86400})
	k.sol = sol.ID

	// Vendor B's bid is recorded and held in its pre-check while vendor A's
	// is held in its audit row, after the bid row is written.
	k.hold(onInsert("prechecks"))
	bidB := k.async("vendorB", "POST", "/api/v1/solicitations/"+sol.ID+"/bids", f.bidBody("vendorB", sol.ID))
	k.awaitInFlight(contract.Precheck)
	k.hold(onAudit("bid.submitted"))
	bidA := k.async("vendorA", "POST", "/api/v1/solicitations/"+sol.ID+"/bids", f.bidBody("vendorA", sol.ID))
	k.kill("vendor A's bid recorded, its audit row not yet; vendor B's bid in its pre-check", contract.RecordBid, contract.Precheck)
	var bids []bidResult
	for _, r := range []<-chan response{bidA, bidB} {
		var b bidResult
		res := <-r
		if res.status != http.StatusCreated {
			t.Fatalf("a bid submitted as the worker died: %d %s", res.status, res.body)
		}
		res.decode(t, &b)
		bids = append(bids, b)
	}
	k.bids = bids

	// The deadline passes: closing, then each candidate's evaluation.
	// Each step after a kill that the procurement goes on to by itself is
	// held before the new worker starts (killThenHold), so that it cannot
	// run before the test holds it.
	k.hold(onAudit("solicitation.closed"))
	k.killThenHold("the solicitation closing at its deadline", onAudit("evaluation.started"), contract.SetSolicitationStatus)
	k.killThenHold("the evaluations starting", readsOf("candidate_amendments"), contract.StartEvaluation)
	k.killThenHold("the candidate checks reading the manifests", onAudit("evaluation.stage"), contract.CheckCandidate)
	k.killThenHold("an evaluation stage being recorded", onAudit("task.opened"), contract.RecordStage)
	k.killThenHold("the approval tasks opening", readsOf("conflicts_of_interest"), contract.OpenTask)
	k.kill("the eligible reviewers being counted", contract.EligibleReviewers)

	// Candidate B is approved and held completing; candidate A's decision
	// is held as it is recorded.
	tasks := f.openTasks(bids)
	k.mark("both approval tasks open")
	k.hold(onAudit("evaluation.completed"))
	s.must(http.StatusOK, "reviewer1", "POST", "/api/v1/tasks/"+tasks[1].ID+"/decision", approval(tasks[1]))
	k.awaitInFlight(contract.CompleteEvaluation)
	k.hold(onAudit("task.decided"))
	decisionA := k.async("reviewer1", "POST", "/api/v1/tasks/"+tasks[0].ID+"/decision", approval(tasks[0]))
	k.killThenHold("candidate A's decision being recorded, candidate B's evaluation completing", onAudit("solicitation.ranked"),
		contract.RecordDecision, contract.CompleteEvaluation)
	if r := <-decisionA; r.status != http.StatusOK {
		t.Fatalf("a decision sent as the worker died: %d %s", r.status, r.body)
	}
	k.kill("the ranking", contract.Rank)
	f.waitStatus(sol.ID, domain.SolicitationEvaluated)
	k.mark("evaluated")

	// The award: recommended, approved, held through its standstill, then
	// published and handed to monitoring.
	k.hold(onAudit("award.recommended"))
	award := k.async("officer", "POST", "/api/v1/solicitations/"+sol.ID+"/award", map[string]any{
		"candidate_id": bids[0].Candidates[0].ID, "rationale": "highest ranked; evidence complete"})
	k.kill("the award recommendation being recorded", contract.RecordAward)
	var aw domain.Award
	if r := <-award; r.status != http.StatusCreated {
		t.Fatalf("an award recommended as the worker died: %d %s", r.status, r.body)
	} else {
		r.decode(t, &aw)
	}
	k.mark("award recommended")
	k.hold(onAudit("award.standstill"))
	task := s.awardTask("reviewer1", aw.ID)
	k.mark("award approval task open")
	s.must(http.StatusOK, "reviewer1", "POST", "/api/v1/tasks/"+task.ID+"/decision",
		map[string]any{"verdict": "approve", "reason_code": "meets-requirements", "comment": "ranking and rationale hold"})
	k.killThenHold("the standstill being recorded", onAudit("notice.published"), contract.SetAwardStatus)
	k.killThenHold("the award notice being published", readsOf("candidate_amendments"), contract.PublishNotice)
	k.kill("monitoring of the awarded model planning its first re-check", contract.NextRecheck)
	f.waitStatus(sol.ID, domain.SolicitationAwarded)
	k.settle()

	ran := k.requireEveryKindRestarted()
	rows := f.requireNothingLostOrDuplicated(map[string][]bidResult{sol.ID: bids})
	t.Logf("kill -9 of the worker: %d kills caught %d activities of %d kinds in flight (%s); every one ran again and the procurement was awarded, "+
		"nothing duplicated or lost (%s), in %s", k.kills, k.caught, len(ran), strings.Join(ran, ", "), rows, time.Since(started).Round(time.Millisecond))
}

func approval(task domain.Task) map[string]any {
	return map[string]any{"verdict": "approve", "reason_code": "meets-requirements", "comment": "evidence complete", "findings_hash": task.FindingsHash}
}

func (f *faultStack) bidBody(vendor, solicitationID string) map[string]any {
	return map[string]any{"candidates": []any{exampleManifest(f.stack.t, "granite-3.1-8b-instruct.json", func(m map[string]any) {
		m["name"] = "faults-" + vendor + "-" + solicitationID
	})}}
}

// killer kills the worker while chosen activities are in flight. It holds
// them in the store: a trigger the test installs in its own database makes
// a chosen write wait on an advisory lock the test holds, or the test
// locks a table a read-only activity reads. Temporal then shows the
// activity started and pending, with nothing to race.
type killer struct {
	f       *faultStack
	db      *pgx.Conn // holds the advisory locks and table locks
	tx      pgx.Tx    // the open transaction of the table locks, if any
	held    []string  // advisory keys held
	sol     string
	bids    []bidResult
	started time.Time
	kills   int
	caught  int
	// killed counts, per activity kind, the activities in flight at a kill.
	killed map[string]int
}

func newKiller(f *faultStack) *killer {
	t := f.stack.t
	ctx := t.Context()
	db, err := pgx.Connect(ctx, f.pg.URL("modeltender"))
	if err != nil {
		t.Fatal(err)
	}
	// A held write waits, inside its own statement, on a shared advisory
	// lock keyed by its table and audit action; the test holds that key
	// exclusively to hold the write. Only this test's database has it.
	_, err = db.Exec(ctx, `
		CREATE FUNCTION fault_hold() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			PERFORM pg_advisory_xact_lock_shared(hashtextextended(TG_TABLE_NAME || ':' || coalesce(to_jsonb(NEW)->>'action', ''), 0));
			RETURN NEW;
		END $$;
		CREATE TRIGGER a_fault_hold BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION fault_hold();
		CREATE TRIGGER a_fault_hold BEFORE INSERT ON prechecks FOR EACH ROW EXECUTE FUNCTION fault_hold();`)
	if err != nil {
		t.Fatalf("install the fault trigger: %v", err)
	}
	return &killer{f: f, db: db, killed: map[string]int{}}
}

// holdOn is what hold holds: the inserts of an audit action or into a
// table (key), or every access to a table (table).
type holdOn struct{ key, table string }

func onAudit(action string) holdOn { return holdOn{key: "audit_events:" + action} }
func onInsert(table string) holdOn { return holdOn{key: table + ":"} }

// readsOf holds every access to a table, for activities that only read.
func readsOf(table string) holdOn { return holdOn{table: table} }

// hold makes the chosen writes or reads wait until release.
func (k *killer) hold(h holdOn) {
	t, ctx := k.f.stack.t, k.f.stack.t.Context()
	if h.key != "" {
		if _, err := k.db.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, h.key); err != nil {
			t.Fatalf("hold %s: %v", h.key, err)
		}
		k.held = append(k.held, h.key)
		return
	}
	if k.tx == nil {
		tx, err := k.db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		k.tx = tx
	}
	if _, err := k.tx.Exec(ctx, `LOCK TABLE `+pgx.Identifier{h.table}.Sanitize()+` IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatalf("lock %s: %v", h.table, err)
	}
}

// release lets every held write and read go on.
func (k *killer) release() {
	t, ctx := k.f.stack.t, context.Background()
	for _, key := range k.held {
		if _, err := k.db.Exec(ctx, `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, key); err != nil {
			t.Fatalf("release %s: %v", key, err)
		}
	}
	k.held = nil
	if k.tx != nil {
		if err := k.tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		k.tx = nil
	}
}

func (k *killer) close() {
	k.release()
	_ = k.db.Close(context.Background())
}

// async sends a request from another goroutine: it may wait on a held
// activity, and its answer arrives after the kill.
func (k *killer) async(as, method, path string, body any) <-chan response {
	out := make(chan response, 1)
	go func() { out <- k.f.stack.do(as, method, path, body) }()
	return out
}

// workflowIDs are the procurement's workflows: the solicitation, each
// candidate's evaluation and the awarded candidate's monitoring.
func (k *killer) workflowIDs() []string {
	ids := []string{contract.SolicitationWorkflowID(k.sol)}
	for _, b := range k.bids {
		for _, c := range b.Candidates {
			ids = append(ids, contract.EvaluationWorkflowID(b.ID, c.ID), contract.MonitoringWorkflowID(c.ID))
		}
	}
	return ids
}

// inFlight counts the activities a worker has started and not finished,
// by kind, as Temporal sees them.
func (k *killer) inFlight() map[string]int {
	t := k.f.stack.t
	running := map[string]int{}
	for _, id := range k.workflowIDs() {
		d, err := k.f.stack.app.Temporal.DescribeWorkflowExecution(t.Context(), id, "")
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			continue
		}
		if err != nil {
			t.Fatalf("describe %s: %v", id, err)
		}
		for _, a := range d.GetPendingActivities() {
			if a.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED {
				running[a.GetActivityType().GetName()]++
			}
		}
	}
	return running
}

// awaitInFlight waits until an activity of each kind is in flight.
func (k *killer) awaitInFlight(kinds ...string) map[string]int {
	var running map[string]int
	k.f.stack.eventually(fmt.Sprintf("%s in flight", strings.Join(kinds, " and ")), time.Minute, func() bool {
		running = k.inFlight()
		for _, kind := range kinds {
			if running[kind] == 0 {
				return false
			}
		}
		return true
	})
	return running
}

func (k *killer) mark(what string) {
	k.f.stack.t.Logf("%6.1fs %s", time.Since(k.started).Seconds(), what)
}

// settle releases what is held and waits until no activity of the
// procurement is pending: the last one caught has run again.
func (k *killer) settle() {
	k.release()
	k.f.stack.eventually("every activity to have run", time.Minute, func() bool {
		for _, id := range k.workflowIDs() {
			d, err := k.f.stack.app.Temporal.DescribeWorkflowExecution(k.f.stack.t.Context(), id, "")
			if err == nil && len(d.GetPendingActivities()) > 0 {
				return false
			}
		}
		return true
	})
}

// kill waits until the activities are in flight, kills the worker with
// SIGKILL, releases what was held and starts another worker.
func (k *killer) kill(when string, kinds ...string) { k.killThenHold(when, holdOn{}, kinds...) }

// killThenHold is kill that holds next, when it names something, while no
// worker runs: the step the procurement goes on to by itself once the
// killed activities run again.
func (k *killer) killThenHold(when string, next holdOn, kinds ...string) {
	f := k.f
	k.awaitInFlight(kinds...)
	f.faults++
	k.kills++
	// What Temporal shows in flight the moment before the kill: nothing
	// held moves on while the test looks.
	running := k.inFlight()
	f.stopWorker(syscall.SIGKILL)
	k.release()
	if next != (holdOn{}) {
		k.hold(next)
	}
	began := time.Now()
	f.startWorker()
	n := 0
	for kind, c := range running {
		k.killed[kind] += c
		n += c
	}
	k.caught += n
	f.survived++
	f.stack.t.Logf("%6.1fs fault %d: kill -9 the worker during %s: %d activities in flight %v; a new worker polls after %s",
		time.Since(k.started).Seconds(), f.faults, when, n, running, time.Since(began).Round(time.Millisecond))
}

// requireEveryKindRestarted reads the procurement's histories: every
// activity kind they ran must have been in flight at a kill, and started
// again (attempt 2 or more) after it. It returns the kinds with their
// counts.
func (k *killer) requireEveryKindRestarted() []string {
	t := k.f.stack.t
	ran, retried := map[string]bool{}, map[string]bool{}
	scheduled := map[int64]string{}
	for _, id := range k.workflowIDs() {
		it := k.f.stack.app.Temporal.GetWorkflowHistory(t.Context(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			var nf *serviceerror.NotFound
			if errors.As(err, &nf) {
				break
			}
			if err != nil {
				t.Fatalf("history of %s: %v", id, err)
			}
			if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
				scheduled[e.GetEventId()] = a.GetActivityType().GetName()
				ran[a.GetActivityType().GetName()] = true
			}
			if a := e.GetActivityTaskStartedEventAttributes(); a != nil && a.GetAttempt() > 1 {
				retried[scheduled[a.GetScheduledEventId()]] = true
			}
		}
	}
	var out []string
	for _, kind := range slices.Sorted(maps.Keys(ran)) {
		if k.killed[kind] == 0 {
			t.Errorf("the procurement ran %s, but no kill caught one in flight", kind)
		}
		if !retried[kind] {
			t.Errorf("no %s was started again after a kill (its history shows no attempt 2)", kind)
		}
		out = append(out, fmt.Sprintf("%s %d", kind, k.killed[kind]))
	}
	return out
}
