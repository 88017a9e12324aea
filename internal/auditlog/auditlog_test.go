package auditlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/devstack/pgtest"
	"github.com/modeltender/modeltender/internal/store"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, func(ctx context.Context, url string) error { return store.Migrate(ctx, url, io.Discard) })
}

// trail is a database with three events on sol-a's chain and one on the global chain.
func trail(t *testing.T) (url string, head store.ChainHead) {
	t.Helper()
	ctx := context.Background()
	url = pgtest.NewDatabase(t)
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for i, e := range []store.AuditEvent{
		{Action: "solicitation.published", SubjectType: "solicitation", SubjectID: "sol-a", SolicitationID: "sol-a"},
		{Action: "bid.submitted", SubjectType: "bid", SubjectID: "bid-1", SolicitationID: "sol-a"},
		{Action: "bid.submitted", SubjectType: "bid", SubjectID: "bid-2", SolicitationID: "sol-a"},
		{Action: "conflict.declared", SubjectType: "organisation", SubjectID: "org-1"},
	} {
		e.Key, e.At, e.Actor = fmt.Sprintf("event/%d", i), at.Add(time.Duration(i)*time.Minute), "officer"
		if err := st.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	head, err = st.AuditChainHead(ctx, "sol-a")
	if err != nil {
		t.Fatal(err)
	}
	return url, head
}

func run(url string, args ...string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string {
		if k == "DATABASE_URL" {
			return url
		}
		return ""
	}
	err := Run(context.Background(), args, getenv, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func exitCode(err error) int {
	var e *ExitError
	if errors.As(err, &e) {
		return e.ExitCode()
	}
	if err != nil {
		return 1
	}
	return 0
}

func TestVerifyIntactTrail(t *testing.T) {
	url, head := trail(t)
	out, _, err := run(url, "verify")
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	want := "global chain (events outside any solicitation): intact, rows checked: 1, head seq 1 hash "
	if !strings.Contains(out, want) ||
		!strings.Contains(out, "solicitation sol-a: intact, rows checked: 3, head seq 3 hash "+head.Hash+"\n") ||
		!strings.HasSuffix(out, "2 chains, 4 rows: intact\n") {
		t.Errorf("output:\n%s", out)
	}

	out, _, err = run(url, "verify", "--solicitation", "sol-a", "--head", fmt.Sprintf("%d:%s", head.Seq, head.Hash), "--json")
	if err != nil {
		t.Fatalf("verify --solicitation --head --json: %v\n%s", err, out)
	}
	var statuses []store.ChainStatus
	if err := json.Unmarshal([]byte(out), &statuses); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if len(statuses) != 1 || !statuses[0].Intact || statuses[0].Head.Seq != 3 || statuses[0].Head.Hash != head.Hash {
		t.Errorf("statuses %+v, want sol-a intact at its head", statuses)
	}
}

func TestVerifyTamperedTrailExitsOne(t *testing.T) {
	ctx := context.Background()
	url, head := trail(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	var id int64
	if _, err := conn.Exec(ctx, `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `UPDATE audit_events SET actor = 'someone-else' WHERE chain = 'sol-a' AND seq = 2 RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"verify"},
		{"verify", "--solicitation", "sol-a"},
		{"verify", "--solicitation", "sol-a", "--head", fmt.Sprintf("3:%s", head.Hash)},
	} {
		out, _, err := run(url, args...)
		want := fmt.Sprintf("solicitation sol-a: BROKEN at seq 2, hash-mismatch: row seq 2 (id %d) no longer matches its hash: it was changed", id)
		if exitCode(err) != 1 || !strings.Contains(out, want) || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: exit %d (%v)\n%s\nwant exit 1 and %s", args, exitCode(err), err, out, want)
		}
	}
}

func TestVerifyCannotReadExitsTwo(t *testing.T) {
	ctx := context.Background()
	unmigrated := pgtest.NewDatabase(t)
	conn, err := pgx.Connect(ctx, unmigrated)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `DROP TABLE audit_chain_heads`); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)
	for _, c := range []struct {
		url  string
		args []string
		want string
	}{
		{"postgres://postgres@127.0.0.1:1/modeltender?sslmode=disable&connect_timeout=5", []string{"verify"},
			"check DATABASE_URL and that PostgreSQL is running"},
		{unmigrated, []string{"verify"}, "run `modeltender migrate`"},
		{unmigrated, []string{"verify", "--solicitation", "sol-a"}, "run `modeltender migrate`"},
		{"", []string{"verify"}, "no DATABASE_URL set and no dev cluster running"},
		{unmigrated, nil, usage},
		{unmigrated, []string{"check"}, usage},
		{unmigrated, []string{"verify", "--head", "1:" + strings.Repeat("a", 64)}, "--head needs --solicitation"},
		{unmigrated, []string{"verify", "--solicitation", "sol-a", "--head", "3:abc"}, `head "3:abc" is not SEQ:HASH`},
	} {
		out, _, err := run(c.url, c.args...)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: exit %d (%v), output %q; want exit 2 saying %q", c.url, c.args, exitCode(err), err, out, c.want)
		}
	}
}
