// Command scaleout runs modeltender in its production shape on this machine,
// every part a separate OS process: a Temporal server persisting to
// PostgreSQL with several history shards (this command re-run as a small
// helper around the server module), `modeltender migrate`, one `serve` and
// two `worker` processes built from cmd/modeltender. It drives one
// solicitation with -n candidates through evaluation and the reviewers'
// approval over the API, kills one worker with SIGKILL mid-run, and checks
// that every evaluation finishes, exactly once: one approval task and one
// decision per candidate, the audit chain intact, and Temporal's visibility
// (the workflows' search attributes) counting every qualified evaluation.
//
// Run it from the repository root: go run ./bench/scaleout [-n 20]
// (bench/README.md, "Scale-out"). `make test` runs it last, as the
// `scaleout` target; it exits non-zero when any check fails.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/modeltender/modeltender/internal/devstack/pgcluster"
	"github.com/modeltender/modeltender/internal/devstack/temporaldev"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if len(os.Args) > 1 && os.Args[1] == "temporal-server" {
		err = temporalServer(ctx, os.Args[2:])
	} else {
		err = run(ctx, os.Args[1:])
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "scaleout:", err)
		os.Exit(1)
	}
}

// temporalServer is the helper process: the Temporal server on PostgreSQL,
// printing its address once it serves the namespace, until interrupted.
func temporalServer(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("temporal-server", flag.ContinueOnError)
	pgURL := fs.String("pg", "", "PostgreSQL URL of a user that may create databases")
	shards := fs.Int("shards", 4, "history shards")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ts, err := temporaldev.Start(ctx, temporaldev.Options{Namespace: "default", Log: os.Stderr,
		Postgres: &temporaldev.Postgres{URL: *pgURL, HistoryShards: int32(*shards)}})
	if err != nil {
		return err
	}
	defer ts.Stop()
	fmt.Printf("TEMPORAL %s\n", ts.Address())
	<-ctx.Done()
	return nil
}

type options struct {
	n, vendors, shards int
	deadline           time.Duration
	killAt             float64
	keep               bool
}

func run(ctx context.Context, args []string) error {
	var o options
	fs := flag.NewFlagSet("scaleout", flag.ContinueOnError)
	fs.IntVar(&o.n, "n", 20, "candidates, spread over the vendors' bids")
	fs.IntVar(&o.vendors, "vendors", 4, "vendors, one bid each")
	fs.IntVar(&o.shards, "shards", 4, "Temporal history shards")
	fs.DurationVar(&o.deadline, "deadline", 30*time.Second, "time from publication to the deadline; the bids must land before it")
	fs.Float64Var(&o.killAt, "kill-at", 0.25, "kill worker 1 once this share of the candidates has been approved")
	fs.BoolVar(&o.keep, "keep", false, "keep the working directory (logs, databases) afterwards")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.n < o.vendors || o.vendors < 1 {
		return fmt.Errorf("-n %d candidates over -vendors %d: want at least one candidate per vendor", o.n, o.vendors)
	}
	dir, err := os.MkdirTemp("", "scaleout-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Println("working directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	r := &runner{o: o, dir: dir, procs: map[string]*exec.Cmd{}}
	defer r.stopAll()
	return r.run(ctx)
}

type runner struct {
	o     options
	dir   string
	bin   string
	env   []string
	pg    *pgcluster.Cluster
	api   string
	procs map[string]*exec.Cmd
	mu    sync.Mutex
}

func (r *runner) run(ctx context.Context) error {
	start := time.Now()
	pg, err := pgcluster.Start(ctx, pgcluster.Options{Dir: filepath.Join(r.dir, "pg")})
	if err != nil {
		return err
	}
	r.pg = pg
	if err := pg.CreateDatabase(ctx, "modeltender", ""); err != nil {
		return err
	}
	r.bin = filepath.Join(r.dir, "modeltender")
	build := exec.CommandContext(ctx, "go", "build", "-o", r.bin, "./cmd/modeltender")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build modeltender (run from the repository root): %w", err)
	}
	fmt.Printf("PostgreSQL up and modeltender built in %s\n", since(start))

	t0 := time.Now()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	line, err := r.startProcess(ctx, "temporal", exec.CommandContext(ctx, self, "temporal-server", "-pg", pg.URL("postgres"), "-shards", fmt.Sprint(r.o.shards)),
		regexp.MustCompile(`^TEMPORAL (\S+)$`))
	if err != nil {
		return err
	}
	temporalAddr := line[1]
	fmt.Printf("Temporal on PostgreSQL (%d history shards) serving at %s after %s\n", r.o.shards, temporalAddr, since(t0))

	listen, err := freeAddr()
	if err != nil {
		return err
	}
	r.api = "http://" + listen
	r.env = append(os.Environ(),
		"DATABASE_URL="+pg.URL("modeltender"), "TEMPORAL_ADDRESS="+temporalAddr, "TEMPORAL_NAMESPACE=default",
		"MODELTENDER_TASK_QUEUE=scaleout", "MODELTENDER_LISTEN="+listen, "MODELTENDER_STATE_DIR="+filepath.Join(r.dir, "state"),
		"MODELTENDER_WORKER_METRICS_ADDR=127.0.0.1:0")
	if _, err := r.modeltender(ctx, "migrate"); err != nil {
		return err
	}
	officer, err := r.user(ctx, "officer@agency.test", "officer", "Agency")
	if err != nil {
		return err
	}
	reviewer, err := r.user(ctx, "reviewer@agency.test", "reviewer", "Agency")
	if err != nil {
		return err
	}
	vendors := make([]string, r.o.vendors)
	for i := range vendors {
		if vendors[i], err = r.user(ctx, fmt.Sprintf("seller@vendor%d.test", i), "vendor", fmt.Sprintf("Vendor %d", i)); err != nil {
			return err
		}
	}
	t0 = time.Now()
	if _, err := r.startProcess(ctx, "serve", r.command(ctx, "serve"), regexp.MustCompile(`msg=serving`)); err != nil {
		return err
	}
	metrics := map[string]string{}
	for _, w := range []string{"worker1", "worker2"} {
		m, err := r.startProcess(ctx, w, r.command(ctx, "worker"), regexp.MustCompile(`msg="serving metrics" url=(\S+)`))
		if err != nil {
			return err
		}
		metrics[w] = m[1]
	}
	fmt.Printf("serve and two workers up in %s\n", since(t0))

	// The solicitation and its bids.
	var sol struct{ ID string }
	if err := r.call(ctx, officer, "POST", "/api/v1/solicitations", map[string]any{
		"title": "Language model for benefits correspondence", "risk_tier": "standard",
		"deadline": time.Now().Add(r.o.deadline).UTC().Format(time.RFC3339Nano), "expected_monthly_users": 25000,
	}, http.StatusCreated, &sol); err != nil {
		return err
	}
	if err := r.call(ctx, officer, "POST", "/api/v1/solicitations/"+sol.ID+"/publish", nil, http.StatusOK, nil); err != nil {
		return err
	}
	deadline := time.Now().Add(r.o.deadline) // the deadline is at most this
	base, err := os.ReadFile("examples/manifests/granite-3.1-8b-instruct.json")
	if err != nil {
		return err
	}
	var bids []string
	t0 = time.Now()
	for v, token := range vendors {
		var cands []json.RawMessage
		for c := v; c < r.o.n; c += r.o.vendors {
			m, err := candidate(base, fmt.Sprintf("granite-3.1-8b-instruct-%02d", c))
			if err != nil {
				return err
			}
			cands = append(cands, m)
		}
		var bid struct{ ID string }
		if err := r.call(ctx, token, "POST", "/api/v1/solicitations/"+sol.ID+"/bids", map[string]any{
			"candidates": cands, "price": map[string]any{"amount": 100000 + 1000*v, "currency": "USD"},
		}, http.StatusCreated, &bid); err != nil {
			return err
		}
		bids = append(bids, bid.ID)
	}
	fmt.Printf("%d bids with %d candidates submitted in %s\n", len(bids), r.o.n, since(t0))
	if time.Now().After(deadline) {
		return fmt.Errorf("the bids took longer than the -deadline %s: raise it", r.o.deadline)
	}

	// Reviewing: approve every compliance task as it opens; kill worker 1
	// once the given share is approved.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(deadline)):
	}
	t0 = time.Now()
	approved := map[string]bool{}
	killed := false
	var killedAt, firstTask time.Duration
	outcomesAtKill := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Since(t0) > 10*time.Minute {
			return fmt.Errorf("after 10 minutes %d of %d candidates are approved", len(approved), r.o.n)
		}
		var inbox struct {
			Tasks []struct {
				ID, Kind, CandidateID, FindingsHash string
				Status                              string
			} `json:"tasks"`
		}
		if err := r.call(ctx, reviewer, "GET", "/api/v1/tasks", nil, http.StatusOK, &inbox); err != nil {
			return err
		}
		for _, t := range inbox.Tasks {
			if t.Kind != "compliance-approval" || approved[t.ID] {
				continue
			}
			if firstTask == 0 {
				firstTask = time.Since(t0)
			}
			if err := r.call(ctx, reviewer, "POST", "/api/v1/tasks/"+t.ID+"/decision", map[string]any{
				"verdict": "approve", "reason_code": "meets-requirements", "comment": "evidence complete",
			}, http.StatusOK, nil); err != nil {
				return err
			}
			approved[t.ID] = true
			if !killed && float64(len(approved)) >= r.o.killAt*float64(r.o.n) {
				// What each worker had run, then the kill.
				done := map[string]string{}
				for _, w := range []string{"worker1", "worker2"} {
					done[w] = workDone(metrics[w])
				}
				if err := r.kill("worker1"); err != nil {
					return err
				}
				killed, killedAt = true, time.Since(t0)
				if outcomesAtKill, err = r.outcomes(ctx, officer, bids); err != nil {
					return err
				}
				fmt.Printf("worker 1 killed with SIGKILL %s after the deadline: %d approved, %d outcomes recorded; until then worker 1 ran %s, worker 2 %s\n",
					round(killedAt), len(approved), outcomesAtKill, done["worker1"], done["worker2"])
			}
		}
		if len(approved) == r.o.n {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	for {
		done, err := r.outcomes(ctx, officer, bids)
		if err != nil {
			return err
		}
		if done == r.o.n {
			break
		}
		if time.Since(t0) > 10*time.Minute {
			return fmt.Errorf("after 10 minutes %d of %d evaluations have an outcome", done, r.o.n)
		}
		time.Sleep(300 * time.Millisecond)
	}
	all := time.Since(t0)
	fmt.Printf("worker 2 ran %s in all\n", workDone(metrics["worker2"]))
	fmt.Printf("all %d evaluations qualified %s after the deadline (first approval task after %s; worker 1 killed at %s)\n",
		r.o.n, round(all), round(firstTask), round(killedAt))

	if err := r.checkOnce(ctx, sol.ID); err != nil {
		return err
	}
	if _, err := r.modeltender(ctx, "audit", "verify", "--solicitation", sol.ID); err != nil {
		return fmt.Errorf("audit chain: %w", err)
	}
	if err := r.checkVisibility(ctx, temporalAddr, sol.ID); err != nil {
		return err
	}
	fmt.Printf("checked: one approval task and one decision per candidate, one outcome each, audit chain intact, visibility counts %d; total %s\n",
		r.o.n, since(start))
	return nil
}

// checkOnce requires each side effect once per candidate, however often
// activities were retried after the kill.
func (r *runner) checkOnce(ctx context.Context, solicitationID string) error {
	conn, err := pgx.Connect(ctx, r.pg.URL("modeltender"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var candidates, tasks, decisions, outcomes, extraTasks int
	err = conn.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM candidates c JOIN bids b ON b.id = c.bid_id WHERE b.solicitation_id = $1),
			(SELECT count(*) FROM tasks WHERE solicitation_id = $1 AND kind = 'compliance-approval'),
			(SELECT count(*) FROM decisions d JOIN tasks t ON t.id = d.task_id WHERE t.solicitation_id = $1),
			(SELECT count(*) FROM evaluations e JOIN bids b ON b.id = e.bid_id WHERE b.solicitation_id = $1 AND e.outcome = 'qualified'),
			(SELECT count(*) FROM (SELECT candidate_id FROM tasks WHERE solicitation_id = $1 GROUP BY candidate_id HAVING count(*) > 1) x)`,
		solicitationID).Scan(&candidates, &tasks, &decisions, &outcomes, &extraTasks)
	if err != nil {
		return fmt.Errorf("count side effects: %w", err)
	}
	if candidates != r.o.n || tasks != r.o.n || decisions != r.o.n || outcomes != r.o.n || extraTasks != 0 {
		return fmt.Errorf("side effects: %d candidates, %d approval tasks, %d decisions, %d qualified outcomes, %d candidates with more than one task; want %d, %d, %d, %d, 0",
			candidates, tasks, decisions, outcomes, extraTasks, r.o.n, r.o.n, r.o.n, r.o.n)
	}
	return nil
}

// checkVisibility counts the qualified evaluations by their search
// attributes, as an operator would; visibility trails the histories a little.
func (r *runner) checkVisibility(ctx context.Context, address, solicitationID string) error {
	c, err := client.DialContext(ctx, client.Options{HostPort: address, Namespace: "default"})
	if err != nil {
		return err
	}
	defer c.Close()
	query := fmt.Sprintf("WorkflowType = 'EvaluationWorkflow' AND ModeltenderSolicitationId = '%s' AND ModeltenderOutcome = 'qualified'", solicitationID)
	var n int64
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		res, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if err != nil {
			return fmt.Errorf("count workflows %q: %w", query, err)
		}
		if n = res.GetCount(); n == int64(r.o.n) {
			return nil
		}
	}
	return fmt.Errorf("visibility counts %d workflows for %q, want %d", n, query, r.o.n)
}

// outcomes counts the candidates with an outcome, as the officer reads them.
func (r *runner) outcomes(ctx context.Context, officer string, bids []string) (int, error) {
	done := 0
	for _, id := range bids {
		var ev struct {
			Evaluations []struct {
				Outcome *string `json:"outcome"`
			} `json:"evaluations"`
		}
		if err := r.call(ctx, officer, "GET", "/api/v1/bids/"+id+"/evaluations", nil, http.StatusOK, &ev); err != nil {
			return 0, err
		}
		for _, e := range ev.Evaluations {
			if e.Outcome != nil {
				done++
			}
		}
	}
	return done, nil
}

// candidate is the example manifest under another name, its evidence
// re-dated to a month ago so it is current at any run.
func candidate(base []byte, name string) (json.RawMessage, error) {
	var m map[string]any
	if err := json.Unmarshal(base, &m); err != nil {
		return nil, err
	}
	m["name"] = name
	for _, e := range m["evidence"].([]any) {
		e.(map[string]any)["date"] = time.Now().AddDate(0, -1, 0).Format("2006-01-02")
	}
	return json.Marshal(m)
}

func (r *runner) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Env = r.env
	return cmd
}

// modeltender runs a one-shot command and returns its standard output.
func (r *runner) modeltender(ctx context.Context, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	cmd := r.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("modeltender %s: %w\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String(), nil
}

var tokenLine = regexp.MustCompile(`API token \(shown once, store it now\): (\S+)`)

func (r *runner) user(ctx context.Context, email, role, org string) (string, error) {
	out, err := r.modeltender(ctx, "users", "add", "--email", email, "--role", role, "--org", org)
	if err != nil {
		return "", err
	}
	m := tokenLine.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("no API token in %q", out)
	}
	return m[1], nil
}

// startProcess starts a long-running process with its output in
// logs/NAME.log and waits until a line of it matches ready.
func (r *runner) startProcess(ctx context.Context, name string, cmd *exec.Cmd, ready *regexp.Regexp) ([]string, error) {
	if err := os.MkdirAll(filepath.Join(r.dir, "logs"), 0o755); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(r.dir, "logs", name+".log"))
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	r.mu.Lock()
	r.procs[name] = cmd
	r.mu.Unlock()
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			fmt.Fprintln(log, sc.Text())
			if m := ready.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m:
				default:
				}
			}
		}
		log.Close()
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); pw.Close() }()
	go func() {
		// A process that exits on its own before the end is reported.
		err := <-exited
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.procs[name] == cmd && ctx.Err() == nil {
			fmt.Fprintf(os.Stderr, "scaleout: %s exited: %v (log: %s)\n", name, err, log.Name())
		}
	}()
	select {
	case m := <-found:
		return m, nil
	case <-time.After(3 * time.Minute):
		return nil, fmt.Errorf("%s did not start within 3 minutes; see %s", name, log.Name())
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// kill sends SIGKILL, as a crash or an OOM kill would.
func (r *runner) kill(name string) error {
	r.mu.Lock()
	cmd := r.procs[name]
	delete(r.procs, name)
	r.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("no process %s", name)
	}
	return cmd.Process.Signal(syscall.SIGKILL)
}

// stopAll stops the processes, the API side first, then PostgreSQL.
func (r *runner) stopAll() {
	r.mu.Lock()
	procs := r.procs
	r.procs = map[string]*exec.Cmd{}
	r.mu.Unlock()
	for _, name := range []string{"serve", "worker1", "worker2", "temporal"} {
		if cmd := procs[name]; cmd != nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _, _ = cmd.Process.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
			}
		}
	}
	if r.pg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = r.pg.Stop(ctx)
	}
}

func (r *runner) call(ctx context.Context, token, method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.api+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %s, want %d: %s", method, path, res.Status, want, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// workDone reads from a worker's /metrics how many workflow tasks and
// activities it has run.
func workDone(url string) string {
	res, err := http.Get(url)
	if err != nil {
		return "(metrics unreadable: " + err.Error() + ")"
	}
	defer res.Body.Close()
	sum := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		for _, name := range []string{"temporal_workflow_task_execution_latency_seconds_count", "temporal_activity_execution_latency_seconds_count"} {
			if rest, ok := strings.CutPrefix(sc.Text(), name+"{"); ok {
				var v float64
				if _, err := fmt.Sscan(rest[strings.LastIndex(rest, " ")+1:], &v); err == nil {
					sum[name] += v
				}
			}
		}
	}
	return fmt.Sprintf("%.0f workflow tasks and %.0f activities",
		sum["temporal_workflow_task_execution_latency_seconds_count"], sum["temporal_activity_execution_latency_seconds_count"])
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func since(t time.Time) time.Duration { return round(time.Since(t)) }

func round(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
