package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/modeltender/modeltender/internal/app"
	"github.com/modeltender/modeltender/internal/config"
	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// parkedMemory starts o.parked evaluations that stop at their approval task,
// waits until every task is in the store, and reports the memory of the
// worker, which runs alone in a child process as `modeltender worker` does.
func parkedMemory(ctx context.Context, o options, pg *postgres, dir string, m domain.Manifest, stdout, stderr io.Writer) error {
	url, err := pg.database(ctx, "bench_parked")
	if err != nil {
		return err
	}
	tdir, err := tempSubdir(dir, "temporal-parked")
	if err != nil {
		return err
	}
	ts, err := startTemporal(ctx, "file", tdir)
	if err != nil {
		return err
	}
	defer ts.Stop()
	// This process only starts workflows and reads the store: no worker.
	a, err := openApp(ctx, url, ts.Address(), ts.Namespace())
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := seedPeople(ctx, a.Store)
	if err != nil {
		return err
	}
	w, err := startWorkerChild(ctx, []string{
		"DATABASE_URL=" + url, "TEMPORAL_ADDRESS=" + ts.Address(), "TEMPORAL_NAMESPACE=" + ts.Namespace(),
		"MODELTENDER_TASK_QUEUE=" + taskQueue, "MODELTENDER_WORKER_STICKY_CACHE=" + strconv.Itoa(o.parkedCache),
	}, stderr)
	if err != nil {
		return err
	}
	defer w.stop()
	fmt.Fprintf(stdout, "== %d evaluations parked on approval tasks (file-backed Temporal; worker in child process %d, sticky cache %d)\n", o.parked, w.cmd.Process.Pid, o.parkedCache)
	idle, err := w.measure(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  idle worker:   %s\n", idle)

	sol, err := seedSolicitation(ctx, a.Store, p, a.Policies.Revision())
	if err != nil {
		return err
	}
	t0 := time.Now()
	inputs, err := seedEvaluations(ctx, a.Store, p, sol, m, o.parked)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  seeded %d bids in %s; load average %s\n", o.parked, round(time.Since(t0)), loadAverage())
	t1 := time.Now()
	startCtx, cancel := context.WithTimeout(ctx, o.parkedWait)
	defer cancel()
	err = forEach(startCtx, len(inputs), 16, func(i int) error {
		in := inputs[i]
		// On a loaded machine the embedded server can miss the client's RPC
		// deadline; starting again with the same workflow id is harmless.
		for {
			_, err := a.Temporal.ExecuteWorkflow(startCtx, client.StartWorkflowOptions{ID: in.Ref.WorkflowID, TaskQueue: taskQueue}, contract.EvaluationWorkflow, in)
			var late *serviceerror.DeadlineExceeded
			if err == nil || startCtx.Err() != nil || !(errors.Is(err, context.DeadlineExceeded) || errors.As(err, &late)) {
				return err
			}
		}
	})
	if err != nil {
		return fmt.Errorf("start evaluations: %w", err)
	}
	fmt.Fprintf(stdout, "  started %d evaluations in %s\n", o.parked, round(time.Since(t1)))

	open, err := waitParked(ctx, a, p, sol.ID, o.parked, o.parkedWait, t1, w, stdout)
	if err != nil {
		return err
	}
	elapsed := time.Since(t1)
	if open < o.parked {
		// Report what parked rather than nothing: the memory is still telling.
		fmt.Fprintf(stdout, "  TIMED OUT after %s with %d of %d parked; measuring the worker as it is\n", round(elapsed), open, o.parked)
	} else {
		fmt.Fprintf(stdout, "  all %d parked %s after the first start (%.1f evaluations/s to the approval task); load average %s\n",
			o.parked, round(elapsed), float64(o.parked)/elapsed.Seconds(), loadAverage())
	}
	// Let the last workflow tasks (after OpenTask) complete before measuring.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(5 * time.Second):
	}
	parked, err := w.measure(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  parked worker: %s\n", parked)
	fmt.Fprintf(stdout, "  per parked evaluation: %.1f KiB RSS, %.1f KiB Go heap in use after GC, %.2f goroutines\n",
		float64(parked.rss-idle.rss)/1024/float64(max(open, 1)),
		float64(int64(parked.heap.HeapInuse)-int64(idle.heap.HeapInuse))/1024/float64(max(open, 1)),
		float64(parked.heap.Goroutines-idle.heap.Goroutines)/float64(max(open, 1)))
	self := procStatus(os.Getpid())
	fmt.Fprintf(stdout, "  this process (Temporal server, SQLite, client; no worker): RSS %s, peak %s\n\n", mib(self.rss), mib(self.hwm))
	return nil
}

// waitParked polls the store until n approval tasks of the solicitation are
// open or the timeout passes, reporting progress, and returns how many are.
func waitParked(ctx context.Context, a *app.App, p people, solicitationID string, n int, timeout time.Duration, since time.Time, w *workerChild, stdout io.Writer) (int, error) {
	deadline := time.After(timeout)
	lastReport := time.Now()
	for {
		tasks, err := a.Store.OpenTasksFor(ctx, p.reviewer)
		if err != nil {
			return 0, fmt.Errorf("count open tasks (waited %s): %w", round(time.Since(since)), err)
		}
		open := 0
		for _, t := range tasks {
			if t.SolicitationID == solicitationID {
				open++
			}
		}
		if open >= n {
			return open, nil
		}
		if time.Since(lastReport) >= 30*time.Second {
			lastReport = time.Now()
			fmt.Fprintf(stdout, "  %d of %d parked after %s (%.1f/s); worker RSS %s; load average %s\n",
				open, n, round(time.Since(since)), float64(open)/time.Since(since).Seconds(), mib(w.status().rss), loadAverage())
		}
		select {
		case <-ctx.Done():
			return open, ctx.Err()
		case <-deadline:
			return open, nil
		case <-time.After(5 * time.Second):
		}
	}
}

// workerChild is the worker process of the memory part.
type workerChild struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	exited chan struct{}
}

// startWorkerChild re-executes this binary as a worker and waits until it polls.
func startWorkerChild(ctx context.Context, env []string, stderr io.Writer) (*workerChild, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the evalbench binary to run the worker: %w", err)
	}
	cmd := exec.Command(exe, "-worker-child")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = stderr
	// If this process dies without stopping it, the kernel does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start worker process: %w", err)
	}
	w := &workerChild{cmd: cmd, stdin: stdin, lines: make(chan string, 1), exited: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			w.lines <- sc.Text()
		}
		close(w.lines)
		_ = cmd.Wait()
		close(w.exited)
	}()
	line, err := w.readLine(ctx, 2*time.Minute)
	if err != nil || line != "ready" {
		w.stop()
		return nil, fmt.Errorf("worker process did not start (%q): %v", line, err)
	}
	return w, nil
}

func (w *workerChild) readLine(ctx context.Context, timeout time.Duration) (string, error) {
	select {
	case l, ok := <-w.lines:
		if !ok {
			return "", errors.New("worker process exited")
		}
		return l, nil
	case <-time.After(timeout):
		return "", fmt.Errorf("no answer from the worker process in %s", timeout)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// stop closes the worker's stdin, which makes it stop polling and exit, and
// kills it if it has not after half a minute.
func (w *workerChild) stop() {
	_ = w.stdin.Close()
	select {
	case <-w.exited:
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.exited
	}
}

func (w *workerChild) status() memStatus { return procStatus(w.cmd.Process.Pid) }

// workerMemory is the worker's memory as the kernel sees it, then after a GC.
type workerMemory struct {
	rss, hwm   int64 // bytes, before the forced GC
	heap       heapStats
	rssAfterGC int64 // after runtime.GC and debug.FreeOSMemory
}

func (m workerMemory) String() string {
	return fmt.Sprintf("RSS %s (peak %s); after GC: Go heap in use %s, heap live %s, runtime total %s, %d goroutines, RSS %s",
		mib(m.rss), mib(m.hwm), mib(int64(m.heap.HeapInuse)), mib(int64(m.heap.HeapAlloc)), mib(int64(m.heap.Sys)), m.heap.Goroutines, mib(m.rssAfterGC))
}

// measure reads the worker's /proc status, then asks it to collect garbage
// and report its heap, then reads its RSS again.
func (w *workerChild) measure(ctx context.Context) (workerMemory, error) {
	before := w.status()
	m := workerMemory{rss: before.rss, hwm: before.hwm}
	if _, err := io.WriteString(w.stdin, "stats\n"); err != nil {
		return m, fmt.Errorf("ask the worker for its heap: %w", err)
	}
	line, err := w.readLine(ctx, time.Minute)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal([]byte(line), &m.heap); err != nil {
		return m, fmt.Errorf("worker heap report %q: %w", line, err)
	}
	m.rssAfterGC = w.status().rss
	return m, nil
}

// heapStats is what the worker reports of its Go runtime after a GC.
type heapStats struct {
	HeapAlloc  uint64 `json:"heap_alloc"`
	HeapInuse  uint64 `json:"heap_inuse"`
	Sys        uint64 `json:"sys"`
	Goroutines int    `json:"goroutines"`
}

// runWorkerChild is the worker process: the real worker, configured like
// `modeltender worker` from the environment, answering "stats" on stdin with
// its heap after a GC, until stdin closes or it is interrupted.
func runWorkerChild(ctx context.Context, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	w := a.NewWorker()
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	fmt.Fprintln(stdout, "ready")
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	enc := json.NewEncoder(stdout)
	for {
		select {
		case <-ctx.Done():
			return nil
		case l, ok := <-lines:
			if !ok {
				return nil
			}
			if l != "stats" {
				continue
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			h := heapStats{HeapAlloc: ms.HeapAlloc, HeapInuse: ms.HeapInuse, Sys: ms.Sys, Goroutines: runtime.NumGoroutine()}
			debug.FreeOSMemory()
			if err := enc.Encode(h); err != nil {
				return err
			}
		}
	}
}

// memStatus is a process's resident set now and at its peak, in bytes.
type memStatus struct{ rss, hwm int64 }

func procStatus(pid int) memStatus {
	var s memStatus
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return s
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			continue
		}
		if key == "VmRSS" {
			s.rss = kib * 1024
		} else {
			s.hwm = kib * 1024
		}
	}
	return s
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
