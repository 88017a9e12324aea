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

func upsertAll(ctx workflow.Context) error {
	return workflow.UpsertTypedSearchAttributes(ctx,
		contract.SearchSolicitationID.ValueSet("sol_1"), contract.SearchRiskTier.ValueSet("standard"),
		contract.SearchStage.ValueSet("intake"), contract.SearchOutcome.ValueSet("pending"),
		contract.SearchVendorOrgID.ValueSet("org_1"))
}

func runUpsert(ctx context.Context, t *testing.T, s *Server, when string) {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: s.Address(), Namespace: s.Namespace(), Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, "upsert", worker.Options{})
	w.RegisterWorkflow(upsertAll)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
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
