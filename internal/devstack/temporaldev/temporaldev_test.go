package temporaldev

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/modeltender/modeltender/internal/contract"
)

// The server comes up with modeltender's search attributes registered, and
// registering them again (as every restart does) changes nothing.
func TestSearchAttributesRegistered(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{Namespace: "procurement"})
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
}
