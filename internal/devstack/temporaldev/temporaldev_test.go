package temporaldev

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/modeltender/modeltender/internal/contract"
)

// The server comes up with modeltender's search attributes registered, and
// registering them again (as every restart does) changes nothing. Its Web UI
// serves its page and reads the namespace through the frontend.
func TestSearchAttributesAndUI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{Namespace: "procurement", UI: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	conn, err := grpc.NewClient(s.Address(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	op := operatorservice.NewOperatorServiceClient(conn)
	if err := s.registerSearchAttributes(ctx, op); err != nil {
		t.Fatalf("registering again: %v", err)
	}
	have, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "procurement"})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range contract.SearchAttributes {
		if got := have.GetCustomAttributes()[k.GetName()]; got != k.GetValueType() {
			t.Errorf("search attribute %s: registered as %v, want %v", k.GetName(), got, k.GetValueType())
		}
	}

	page := get(t, s.UIURL()+"/")
	if !strings.Contains(page, "<html") {
		t.Errorf("GET %s/ is not the UI's page:\n%.300s", s.UIURL(), page)
	}
	ns := get(t, s.UIURL()+"/api/v1/namespaces/procurement")
	if !strings.Contains(ns, `"procurement"`) {
		t.Errorf("the UI's API does not describe the namespace:\n%.300s", ns)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v\n%.300s", url, res.Status, err, b)
	}
	return string(b)
}

// A workflow that sets every search attribute in its first task, started the
// moment Start returns, runs that task once: on a new server, and on one
// restarted over a namespace that lacked the attributes (as a state
// directory from before they existed does). Otherwise its task fails with
// BadSearchAttributes and an update sent meanwhile is refused.
func TestSearchAttributesHoldFromTheFirstTask(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	s, err := Start(ctx, Options{Dir: dir, Namespace: "procurement"})
	if err != nil {
		t.Fatal(err)
	}
	runUpsert(ctx, t, s, "new server")
	conn, err := grpc.NewClient(s.Address(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range contract.SearchAttributes {
		names = append(names, k.GetName())
	}
	_, err = operatorservice.NewOperatorServiceClient(conn).RemoveSearchAttributes(ctx, &operatorservice.RemoveSearchAttributesRequest{Namespace: "procurement", SearchAttributes: names})
	_ = conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	s.Stop()

	s, err = Start(ctx, Options{Dir: dir, Namespace: "procurement"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	runUpsert(ctx, t, s, "restart that registers them")
}

// dialWorker connects a client to s and runs a worker on queue with what
// register adds; stop stops both, before the server goes.
func dialWorker(t *testing.T, s *Server, queue string, register func(worker.Worker)) (c client.Client, stop func()) {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: s.Address(), Namespace: s.Namespace(), Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	w := worker.New(c, queue, worker.Options{})
	register(w)
	if err := w.Start(); err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c, func() { w.Stop(); c.Close() }
}

func upsertAll(ctx workflow.Context) error {
	return workflow.UpsertTypedSearchAttributes(ctx,
		contract.SearchSolicitationID.ValueSet("sol_1"), contract.SearchRiskTier.ValueSet("standard"),
		contract.SearchStage.ValueSet("intake"), contract.SearchOutcome.ValueSet("pending"),
		contract.SearchVendorOrgID.ValueSet("org_1"))
}

func runUpsert(ctx context.Context, t *testing.T, s *Server, when string) {
	t.Helper()
	c, closeWorker := dialWorker(t, s, "upsert", func(w worker.Worker) { w.RegisterWorkflow(upsertAll) })
	defer closeWorker()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "upsert"}, upsertAll)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	it := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if f := e.GetWorkflowTaskFailedEventAttributes(); f != nil {
			t.Errorf("%s: the first workflow task failed: %s %s", when, f.GetCause(), f.GetFailure().GetMessage())
		}
	}
}

// A server whose services stop behind its back is started again by
// Supervise on the same port with the same state: a workflow started before
// the death completes after it. One death too many within the window ends
// supervision with an error naming Temporal.
func TestSuperviseRestartsADeadServer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{Dir: t.TempDir(), Namespace: "procurement"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	notes := make(chan string, 16)
	failed := s.Supervise(ctx, Supervision{Interval: 200 * time.Millisecond, FailAfter: 3, MaxRestarts: 1, Window: time.Minute},
		func(n string) { notes <- n })

	c, closeWorker := dialWorker(t, s, "supervised", func(w worker.Worker) {
		w.RegisterWorkflow(sleepThenAnswer)
		w.RegisterActivity(answer)
	})
	defer closeWorker()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "supervised"}, sleepThenAnswer)
	if err != nil {
		t.Fatal(err)
	}

	s.die()
	if err := s.probe(ctx, time.Second); err == nil {
		t.Fatal("the frontend still answers after its services stopped")
	}
	waitNote(ctx, t, notes, "serving again")
	var got string
	if err := run.Get(ctx, &got); err != nil || got != "answered" {
		t.Fatalf("the workflow started before the death: %q, %v", got, err)
	}

	s.die()
	select {
	case err := <-failed:
		if !strings.Contains(err.Error(), "Temporal") || !strings.Contains(err.Error(), "2 times") {
			t.Errorf("giving up says: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("a second death within the window did not end supervision")
	}
}

// die stops the services of the current run as a crash would, leaving the
// Server to believe it runs.
func (s *Server) die() {
	s.mu.Lock()
	srv := s.server
	s.mu.Unlock()
	_ = srv.Stop()
}

func waitNote(ctx context.Context, t *testing.T, notes <-chan string, want string) {
	t.Helper()
	for {
		select {
		case n := <-notes:
			t.Log(n)
			if strings.Contains(n, want) {
				return
			}
		case <-ctx.Done():
			t.Fatalf("no note saying %q", want)
		}
	}
}

func sleepThenAnswer(ctx workflow.Context) (string, error) {
	if err := workflow.Sleep(ctx, 2*time.Second); err != nil {
		return "", err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, answer).Get(ctx, &out)
	return out, err
}

func answer(context.Context) (string, error) { return "answered", nil }
