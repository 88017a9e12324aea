package temporaldev

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/operatorservice/v1"
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
