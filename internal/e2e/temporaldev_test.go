package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/internal/devstack/temporaldev"
)

const (
	temporalDevNamespace  = "modeltender-e2e"
	temporalDevTaskQueue  = "temporaldev-e2e"
	temporalDevWorkflowID = "temporaldev-e2e-greet"
	temporalDevWant       = "hello, modeltender"
	// temporalDevReopenEnv makes the test binary, run as a child, only reopen
	// the directory it names and print the stored result.
	temporalDevReopenEnv = "TEMPORALDEV_E2E_REOPEN_DIR"
)

// The dev server keeps workflows across a restart in the same process and
// across processes, the way `make run` restarts it.
func TestTemporalDevSurvivesRestart(t *testing.T) {
	if dir := os.Getenv(temporalDevReopenEnv); dir != "" {
		fmt.Println("result:", temporalDevReadResult(t, startTemporalForTest(t, dir, "reopen")))
		return
	}
	dir := t.TempDir()

	srv := startTemporalForTest(t, dir, "first")
	c := dialTemporalForTest(t, srv)
	w := worker.New(c, temporalDevTaskQueue, worker.Options{})
	w.RegisterWorkflow(temporalDevGreetWorkflow)
	w.RegisterActivity(temporalDevGreetActivity)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: temporalDevWorkflowID, TaskQueue: temporalDevTaskQueue}, temporalDevGreetWorkflow, "modeltender")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if got != temporalDevWant {
		t.Fatalf("workflow result = %q, want %q", got, temporalDevWant)
	}
	w.Stop()
	c.Close()
	began := time.Now()
	srv.Stop()
	t.Logf("temporal stop took %v", time.Since(began).Round(time.Millisecond))

	srv = startTemporalForTest(t, dir, "restart")
	if got := temporalDevReadResult(t, srv); got != temporalDevWant {
		t.Errorf("after restart: result = %q, want %q", got, temporalDevWant)
	}
	srv.Stop()

	// A fresh process opens the database file itself rather than the
	// connection this process's SQLite plugin keeps, so this proves the file has it.
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestTemporalDevSurvivesRestart$", "-test.v")
	child.Env = append(os.Environ(), temporalDevReopenEnv+"="+dir)
	out, err := child.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "result: "+temporalDevWant+"\n") {
		t.Errorf("reopening %s in a new process (err %v) did not find the result %q:\n%s", dir, err, temporalDevWant, out)
	}
	t.Logf("new process:\n%s", out)
}

func temporalDevGreetWorkflow(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var greeting string
	err := workflow.ExecuteActivity(ctx, temporalDevGreetActivity, name).Get(ctx, &greeting)
	return greeting, err
}

func temporalDevGreetActivity(_ context.Context, name string) (string, error) {
	return "hello, " + name, nil
}

// temporalDevReadResult reads the greet workflow's result and checks the namespace.
func temporalDevReadResult(t *testing.T, srv *temporaldev.Server) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c := dialTemporalForTest(t, srv)
	defer c.Close()
	var got string
	if err := c.GetWorkflow(ctx, temporalDevWorkflowID, "").Get(ctx, &got); err != nil {
		t.Fatalf("read result of workflow %s: %v", temporalDevWorkflowID, err)
	}
	ns, err := client.NewNamespaceClient(temporalDevClientOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	if _, err := ns.Describe(ctx, temporalDevNamespace); err != nil {
		t.Errorf("namespace %s: %v", temporalDevNamespace, err)
	}
	return got
}

// startTemporalForTest starts a dev server on dir, logs how long that took and
// stops it when the test ends.
func startTemporalForTest(t *testing.T, dir, label string) *temporaldev.Server {
	t.Helper()
	began := time.Now()
	srv, err := temporaldev.Start(t.Context(), temporaldev.Options{Dir: dir, Namespace: temporalDevNamespace, Log: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("temporal %s start took %v (frontend %s)", label, time.Since(began).Round(time.Millisecond), srv.Address())
	t.Cleanup(srv.Stop)
	return srv
}

func dialTemporalForTest(t *testing.T, srv *temporaldev.Server) client.Client {
	t.Helper()
	c, err := client.Dial(temporalDevClientOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// temporalDevClientOptions logs only warnings: the SDK's default logger prints
// a line for every workflow and activity task.
func temporalDevClientOptions(srv *temporaldev.Server) client.Options {
	return client.Options{
		HostPort:  srv.Address(),
		Namespace: srv.Namespace(),
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
	}
}
