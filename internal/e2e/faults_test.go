package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/app"
	"github.com/modeltender/modeltender/internal/config"
	"github.com/modeltender/modeltender/internal/devstack/pgcluster"
	"github.com/modeltender/modeltender/internal/devstack/temporaldev"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
)

// faultStack is a modeltender whose every part the test may kill: its own
// PostgreSQL cluster and Temporal server (both on disk, restarted on the
// same ports), the HTTP server in this process, and the worker in a
// separate `modeltender worker` process.
type faultStack struct {
	*stack
	test             *testing.T
	dir              string
	bin              string
	pg               *pgcluster.Cluster
	pgPort           int
	temporal         *temporaldev.Server
	temporalPort     int
	queue            string
	worker           *exec.Cmd
	workerLog        *os.File
	stopServe        context.CancelFunc
	served           chan error
	faults, survived int
}

// Faults on the real stack, each followed by a check that the procurement
// goes on: kill -9 of the worker process while activities run (after the
// deadline, during evaluations, during the standstill), PostgreSQL stopped
// and started again mid-run, and the whole stack stopped across a
// deadline. At the end audit rows, tasks, decisions and stages are counted:
// none duplicated, none lost. It takes about 1.5 minutes, most of them
// building the binary and waiting out the 10s timeout of an activity a kill
// caught in flight; alone: go test ./internal/e2e -run TestFaultsOnTheRealStack.
// TestFaultsDuringEachActivityKind kills the worker during each activity kind.
func TestFaultsOnTheRealStack(t *testing.T) {
	t.Parallel() // its PostgreSQL, Temporal and worker are its own
	started := time.Now()
	f := startFaultStack(t)
	s := f.stack

	// 1. The worker dies while the deadline's activities and the evaluations run.
	mark := func(what string) { t.Logf("%6.1fs %s", time.Since(started).Seconds(), what) }
	mark("stack up: binary built, worker process polling")
	sol1 := s.publish(12*time.Second, "standard", map[string]any{"standstill_days": 2.0 / 86400})
	bids1 := f.bidBoth(sol1.ID)
	f.waitStatus(sol1.ID, domain.SolicitationEvaluating)
	f.killWorker("after the deadline, as evaluations start")
	time.Sleep(700 * time.Millisecond)
	f.killWorker("during the evaluation stages")
	tasks := f.openTasks(bids1)
	f.survived += 2
	mark("both candidates reached their approval tasks")

	// 2. PostgreSQL stops as the decisions are recorded and ranked.
	for _, task := range tasks {
		s.must(http.StatusOK, "reviewer1", "POST", "/api/v1/tasks/"+task.ID+"/decision", map[string]any{
			"verdict": "approve", "reason_code": "meets-requirements", "comment": "evidence complete", "findings_hash": task.FindingsHash})
	}
	f.restartPostgres()
	for _, b := range bids1 {
		s.outcome("officer", b.ID, domain.OutcomeQualified)
	}
	f.survived++
	mark("both candidates qualified")

	// 3. The worker dies during the standstill; its timer fires after the restart.
	s.awardTo(sol1.ID, bids1[0].Candidates[0].ID, "reviewer1")
	f.killWorker("during the standstill")
	f.waitStatus(sol1.ID, domain.SolicitationAwarded)
	f.survived++
	mark("the award stands")

	// 4. Everything stops before a deadline and starts after it.
	sol2 := s.publish(10*time.Second, "standard")
	bids2 := f.bidBoth(sol2.ID)
	f.restartAllAcross(sol2.Deadline)
	mark("the whole stack is up again")
	for _, task := range f.openTasks(bids2) {
		s.must(http.StatusOK, "reviewer1", "POST", "/api/v1/tasks/"+task.ID+"/decision", map[string]any{
			"verdict": "approve", "reason_code": "meets-requirements", "comment": "evidence complete", "findings_hash": task.FindingsHash})
	}
	for _, b := range bids2 {
		s.outcome("officer", b.ID, domain.OutcomeQualified)
	}
	f.waitStatus(sol2.ID, domain.SolicitationEvaluated)
	f.survived++

	rows := f.requireNothingLostOrDuplicated(map[string][]bidResult{sol1.ID: bids1, sol2.ID: bids2})
	t.Logf("faults: %d injected, %d survived (every evaluation completed, nothing duplicated or lost: %s), in %s",
		f.faults, f.survived, rows, time.Since(started).Round(time.Millisecond))
	if f.survived != f.faults {
		t.Errorf("%d faults injected, %d survived", f.faults, f.survived)
	}
}

func startFaultStack(t *testing.T) *faultStack {
	t.Helper()
	dir := t.TempDir()
	f := &faultStack{test: t, dir: dir, bin: faultBinary(t), queue: "faults-" + domain.NewID("q")}
	f.startPostgres()
	if err := f.pg.CreateDatabase(t.Context(), "modeltender", ""); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(t.Context(), f.pg.URL("modeltender"), io.Discard); err != nil {
		t.Fatal(err)
	}
	f.startTemporal()
	f.stack = &stack{t: t, users: map[string]user{}}
	f.startApp()
	f.startWorker()
	t.Cleanup(func() {
		f.stopWorker(syscall.SIGKILL)
		f.stopApp()
		f.temporal.Stop()
		_ = f.pg.Stop(context.Background())
		if t.Failed() {
			f.printWorkerLogs()
		}
	})
	s := f.stack
	s.addUser("officer", domain.RoleOfficer, "Department of Digital Services", "agency")
	s.addUser("reviewer1", domain.RoleReviewer, "Department of Digital Services", "agency")
	s.addUser("vendorA", domain.RoleVendor, "Northwind Models Inc.", "vendor")
	s.addUser("vendorB", domain.RoleVendor, "Open Weights Cooperative", "vendor")
	return f
}

// faults shares one build of modeltender among the fault tests running at
// once: building it twice side by side doubles the slowest part of their
// start on a loaded machine. The last test using it removes it.
var faults struct {
	sync.Mutex
	dir, bin string
	users    int
}

func faultBinary(t *testing.T) string {
	t.Helper()
	faults.Lock()
	defer faults.Unlock()
	if faults.users == 0 {
		dir, err := os.MkdirTemp("", "modeltender-faults-")
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "modeltender")
		build := exec.Command("go", "build", "-o", bin, "./cmd/modeltender")
		build.Dir = "../.."
		if out, err := build.CombinedOutput(); err != nil {
			_ = os.RemoveAll(dir)
			t.Fatalf("build modeltender: %v\n%s", err, out)
		}
		faults.dir, faults.bin = dir, bin
	}
	faults.users++
	t.Cleanup(func() {
		faults.Lock()
		defer faults.Unlock()
		if faults.users--; faults.users == 0 {
			_ = os.RemoveAll(faults.dir)
		}
	})
	return faults.bin
}

func (f *faultStack) startPostgres() {
	c, err := pgcluster.Start(f.test.Context(), pgcluster.Options{Dir: filepath.Join(f.dir, "pg"), Port: f.pgPort})
	if err != nil {
		f.test.Fatal(err)
	}
	f.pg, f.pgPort = c, c.Port()
}

func (f *faultStack) startTemporal() {
	ts, err := temporaldev.Start(f.test.Context(), temporaldev.Options{Dir: filepath.Join(f.dir, "temporal"), Namespace: "default", FrontendPort: f.temporalPort})
	if err != nil {
		f.test.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ts.Address())
	f.temporal = ts
	f.temporalPort, _ = strconv.Atoi(port)
}

func (f *faultStack) env() map[string]string {
	return map[string]string{
		"DATABASE_URL": f.pg.URL("modeltender"), "TEMPORAL_ADDRESS": f.temporal.Address(), "TEMPORAL_NAMESPACE": "default",
		"MODELTENDER_TASK_QUEUE": f.queue, "MODELTENDER_STATE_DIR": filepath.Join(f.dir, "state"), "MODELTENDER_CONNECT_TIMEOUT": "5s",
	}
}

// startApp runs the HTTP server in this process, without a worker.
func (f *faultStack) startApp() {
	t := f.stack.t
	env := f.env()
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.Open(t.Context(), cfg, log)
	if err != nil {
		t.Fatalf("open app: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.stopServe, f.served = cancel, make(chan error, 1)
	go func() { f.served <- a.Serve(ctx, l) }()
	f.stack.app, f.stack.store, f.stack.url = a, a.Store, "http://"+l.Addr().String()
}

func (f *faultStack) stopApp() {
	if f.stopServe == nil {
		return
	}
	f.stopServe()
	<-f.served
	f.stack.app.Close()
	f.stopServe = nil
}

// startWorker runs `modeltender worker` against the test's PostgreSQL and
// Temporal and waits until it polls.
func (f *faultStack) startWorker() {
	t := f.stack.t
	logPath := filepath.Join(f.dir, fmt.Sprintf("worker-%d.log", f.faults))
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(f.bin, "worker")
	cmd.Env = os.Environ()
	for k, v := range f.env() {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.worker, f.workerLog = cmd, out
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(logPath)
		if strings.Contains(string(b), "worker polling") {
			return
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(logPath)
	t.Fatalf("the worker process did not start polling:\n%s", b)
}

// printWorkerLogs prints the end of each worker process's log, for a failed run.
func (f *faultStack) printWorkerLogs() {
	logs, _ := filepath.Glob(filepath.Join(f.dir, "worker-*.log"))
	for _, path := range logs {
		b, _ := os.ReadFile(path)
		if len(b) > 8000 {
			b = b[len(b)-8000:]
		}
		f.test.Logf("%s (end):\n%s", filepath.Base(path), b)
	}
}

func (f *faultStack) stopWorker(sig syscall.Signal) {
	if f.worker == nil {
		return
	}
	_ = f.worker.Process.Signal(sig)
	_ = f.worker.Wait()
	_ = f.workerLog.Close()
	f.worker = nil
}

// killWorker kills the worker process outright and starts another.
func (f *faultStack) killWorker(when string) {
	f.faults++
	began := time.Now()
	f.stopWorker(syscall.SIGKILL)
	f.startWorker()
	f.stack.t.Logf("fault %d: kill -9 the worker %s; a new one polls after %s", f.faults, when, time.Since(began).Round(time.Millisecond))
}

// restartPostgres stops PostgreSQL mid-run, checks that /healthz says so,
// and starts it again on the same port.
func (f *faultStack) restartPostgres() {
	t := f.stack.t
	f.faults++
	t.Logf("fault %d: stop PostgreSQL while decisions are recorded", f.faults)
	if err := f.pg.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := f.stack.do("", "GET", "/healthz", nil)
	if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), `"postgres":"unreachable`) {
		t.Errorf("/healthz with PostgreSQL down: %d %s", r.status, r.body)
	}
	time.Sleep(2 * time.Second)
	f.startPostgres()
	f.stack.eventually("/healthz to recover", 30*time.Second, func() bool {
		return f.stack.do("", "GET", "/healthz", nil).status == http.StatusOK
	})
}

// restartAllAcross stops the whole stack, Temporal first (checking that
// /healthz says so), waits until deadline has passed, and starts it again.
func (f *faultStack) restartAllAcross(deadline time.Time) {
	t := f.stack.t
	f.faults++
	t.Logf("fault %d: stop the whole stack before the deadline %s, start it after", f.faults, deadline.Format(time.TimeOnly))
	f.stopWorker(syscall.SIGKILL)
	f.temporal.Stop()
	r := f.stack.do("", "GET", "/healthz", nil)
	if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), `"temporal":"unreachable`) {
		t.Errorf("/healthz with Temporal down: %d %s", r.status, r.body)
	}
	f.stopApp()
	if err := f.pg.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !time.Now().Before(deadline) {
		t.Fatalf("the stack stopped after the deadline %s: the fault did not cross it", deadline)
	}
	time.Sleep(time.Until(deadline) + time.Second)
	f.startPostgres()
	f.startTemporal()
	f.startApp()
	f.startWorker()
}

func (f *faultStack) bidBoth(solicitationID string) []bidResult {
	var out []bidResult
	for _, vendor := range []string{"vendorA", "vendorB"} {
		var b bidResult
		f.stack.must(http.StatusCreated, vendor, "POST", "/api/v1/solicitations/"+solicitationID+"/bids", map[string]any{
			"candidates": []json.RawMessage{exampleManifest(f.stack.t, "granite-3.1-8b-instruct.json", func(m map[string]any) {
				m["name"] = "faults-" + vendor + "-" + solicitationID
			})},
		}).decode(f.stack.t, &b)
		out = append(out, b)
	}
	return out
}

func (f *faultStack) openTasks(bids []bidResult) []domain.Task {
	var out []domain.Task
	for _, b := range bids {
		out = append(out, f.stack.openTask("reviewer1", b.Candidates[0].ID, domain.TaskComplianceApproval))
	}
	return out
}

func (f *faultStack) waitStatus(id string, want domain.SolicitationStatus) {
	f.stack.eventually(fmt.Sprintf("solicitation %s to be %s", id, want), 2*time.Minute, func() bool {
		sol, err := f.stack.store.Solicitation(context.Background(), id)
		return err == nil && sol.Status == want
	})
}

// stagesOfAnApproval are the stages an approved candidate goes through.
var stagesOfAnApproval = []domain.Stage{domain.StageIntake, domain.StageLicense, domain.StagePolicy,
	domain.StageClarification, domain.StageApproval, domain.StageOutcome}

// requireNothingLostOrDuplicated counts, per solicitation, what each fault
// could have duplicated or lost, and says how many rows it counted.
func (f *faultStack) requireNothingLostOrDuplicated(sols map[string][]bidResult) string {
	t := f.stack.t
	ctx := context.Background()
	db, err := pgx.Connect(ctx, f.pg.URL("modeltender"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close(ctx) }()
	count := func(q string, args ...any) int {
		var n int
		if err := db.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	exactlyOne := func(what, q string, args ...any) {
		if n := count(q, args...); n != 1 {
			t.Errorf("%s: %d, want exactly 1", what, n)
		}
	}
	var audit, stages, tasks, decisions int
	for solID, bids := range sols {
		for _, b := range bids {
			exactlyOne("bid.submitted of "+b.ID, `SELECT count(*) FROM audit_events WHERE action = 'bid.submitted' AND subject_id = $1`, b.ID)
			cand := b.Candidates[0].ID
			for _, action := range []string{"evaluation.started", "evaluation.completed"} {
				exactlyOne(action+" of "+cand, `SELECT count(*) FROM audit_events WHERE action = $1 AND subject_id = $2`, action, cand)
			}
			exactlyOne("completed evaluation of "+cand, `SELECT count(*) FROM evaluations WHERE candidate_id = $1 AND completed_at IS NOT NULL AND outcome = 'qualified'`, cand)
			exactlyOne("compliance task of "+cand, `SELECT count(*) FROM tasks WHERE candidate_id = $1 AND kind = 'compliance-approval'`, cand)
			exactlyOne("decision on the compliance task of "+cand, `SELECT count(*) FROM decisions d JOIN tasks k ON k.id = d.task_id
				WHERE k.candidate_id = $1 AND k.kind = 'compliance-approval'`, cand)
			exactlyOne("task.decided on the compliance task of "+cand, `SELECT count(*) FROM audit_events e JOIN tasks k ON k.id = e.subject_id
				WHERE e.action = 'task.decided' AND k.candidate_id = $1 AND k.kind = 'compliance-approval'`, cand)
			if n := count(`SELECT count(*) FROM evaluation_stages WHERE candidate_id = $1`, cand); n != len(stagesOfAnApproval) {
				t.Errorf("stages of %s: %d, want the %d of %v", cand, n, len(stagesOfAnApproval), stagesOfAnApproval)
			}
			if dup := count(`SELECT count(*) FROM (SELECT 1 FROM audit_events WHERE action = 'evaluation.stage' AND subject_id = $1
				GROUP BY detail->>'stage', detail->>'status' HAVING count(*) > 1) d`, cand); dup != 0 {
				t.Errorf("%d stage events of %s recorded twice", dup, cand)
			}
		}
		for _, action := range []string{"solicitation.closed", "solicitation.evaluating", "solicitation.evaluated"} {
			exactlyOne(action+" of "+solID, `SELECT count(*) FROM audit_events WHERE action = $1 AND subject_id = $2`, action, solID)
		}
		audit += count(`SELECT count(*) FROM audit_events WHERE solicitation_id = $1`, solID)
		stages += count(`SELECT count(*) FROM evaluation_stages s JOIN evaluations e USING (candidate_id) WHERE e.solicitation_id = $1`, solID)
		tasks += count(`SELECT count(*) FROM tasks WHERE solicitation_id = $1`, solID)
		decisions += count(`SELECT count(*) FROM decisions d JOIN tasks k ON k.id = d.task_id WHERE k.solicitation_id = $1`, solID)
	}
	for _, action := range []string{"award.recommended", "award.standstill", "award.awarded"} {
		if n := count(`SELECT count(*) FROM audit_events WHERE action = $1`, action); n != 1 {
			t.Errorf("%s: %d, want exactly 1", action, n)
		}
	}
	return fmt.Sprintf("%d audit rows, %d stages, %d tasks, %d decisions", audit, stages, tasks, decisions)
}
