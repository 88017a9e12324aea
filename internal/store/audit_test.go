package store

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/devstack/pgtest"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, func(ctx context.Context, url string) error { return Migrate(ctx, url, io.Discard) })
}

// BenchmarkAppendAudit is the cost of one audit append on one solicitation's trail.
func BenchmarkAppendAudit(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, pgtest.NewDatabase(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := range b.N {
		if err := st.AppendAudit(ctx, AuditEvent{Key: fmt.Sprintf("bench/%d", i), At: at, Actor: "officer",
			Action: "bid.submitted", SubjectType: "bid", SubjectID: "bid-1", SolicitationID: "sol-1",
			Detail: map[string]any{"revision": 1, "vendor": "Acme"}}); err != nil {
			b.Fatal(err)
		}
	}
}
