package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"

	"github.com/modeltender/modeltender/internal/devstack/pgtest"
)

var auditAt = time.Date(2026, 11, 26, 10, 0, 0, 123456789, time.UTC)

func openStore(t testing.TB) (*Store, string) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	st, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st, url
}

// bidEvent is the i-th event of a solicitation's trail.
func bidEvent(sol string, i int) AuditEvent {
	return AuditEvent{Key: fmt.Sprintf("%s/bid/%d", sol, i), At: auditAt.Add(time.Duration(i) * time.Second),
		Actor: "vendor-user", Action: "bid.submitted", SubjectType: "bid", SubjectID: fmt.Sprintf("bid-%d", i),
		SolicitationID: sol, Detail: map[string]any{"revision": i, "vendor": "Acme <AI> & Co", "price": 1234.5}}
}

func appendEvents(t testing.TB, st *Store, events ...AuditEvent) {
	t.Helper()
	for _, e := range events {
		if err := st.AppendAudit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

func seedChain(t testing.TB, st *Store, sol string, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		appendEvents(t, st, bidEvent(sol, i))
	}
}

func verify(t *testing.T, st *Store, chain string, anchors ...ChainHead) ChainStatus {
	t.Helper()
	status, err := st.VerifyAuditChain(context.Background(), chain, anchors...)
	if err != nil {
		t.Fatal(err)
	}
	return status
}

func TestAuditChainLinksEveryEventOfASolicitation(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	seedChain(t, st, "sol-a", 3)
	seedChain(t, st, "sol-b", 2)
	// Inside another write's transaction; about a solicitation without naming it; outside any solicitation.
	if err := st.SetSolicitationStatus(ctx, "sol-a", "closed", auditAt, AuditEvent{Key: "sol-a/closed", At: auditAt,
		Actor: "system", Action: "solicitation.closed", SubjectType: "solicitation", SubjectID: "sol-a", SolicitationID: "sol-a"}); err != nil {
		t.Fatal(err)
	}
	appendEvents(t, st,
		AuditEvent{Key: "sol-b/edited", At: auditAt, Actor: "officer", Action: "solicitation.edited", SubjectType: "solicitation", SubjectID: "sol-b"},
		AuditEvent{Key: "org/declared", At: auditAt, Actor: "reviewer", Action: "conflict.declared", SubjectType: "organisation", SubjectID: "org-1"})

	trail, err := st.AuditTrail(ctx, "sol-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(trail) != 4 {
		t.Fatalf("sol-a trail has %d events, want 4", len(trail))
	}
	prev := genesisHash
	for i, e := range trail {
		if e.Seq != int64(i+1) || e.PrevHash != prev || len(e.Hash) != 64 {
			t.Errorf("event %d: seq %d prev %s hash %s, want seq %d prev %s", i, e.Seq, e.PrevHash, e.Hash, i+1, prev)
		}
		prev = e.Hash
	}
	if !trail[0].At.Equal(auditAt.Add(time.Second).Truncate(time.Microsecond)) {
		t.Errorf("at %s, want the appended time to the microsecond", trail[0].At)
	}
	head, err := st.AuditChainHead(ctx, "sol-a")
	if err != nil {
		t.Fatal(err)
	}
	if want := (ChainHead{Chain: "sol-a", Seq: 4, Hash: prev}); head != want {
		t.Errorf("head %+v, want %+v", head, want)
	}
	if got := verify(t, st, "sol-a"); !got.Intact || got.Rows != 4 || got.Head != head {
		t.Errorf("verify sol-a = %s, want intact with 4 rows up to %+v", got, head)
	}
	if got := verify(t, st, "sol-a", ChainHead{Seq: 2, Hash: trail[1].Hash}, ChainHead{Seq: 4, Hash: trail[3].Hash}); !got.Intact {
		t.Errorf("verify sol-a against its published heads = %s, want intact", got)
	}
	if b, _ := st.AuditTrail(ctx, "sol-b"); len(b) != 3 || b[2].Action != "solicitation.edited" {
		t.Errorf("sol-b trail %+v, want its two bids and the edit naming it as subject", b)
	}
	all, err := st.VerifyAuditChains(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range all {
		got = append(got, fmt.Sprintf("%q:%d:%v", s.Chain, s.Rows, s.Intact))
	}
	if want := `"":1:true "sol-a":4:true "sol-b":3:true`; strings.Join(got, " ") != want {
		t.Errorf("chains %s, want %s", strings.Join(got, " "), want)
	}
	empty, err := st.AuditChainHead(ctx, "sol-none")
	if err != nil || empty.Seq != 0 || empty.Hash != genesisHash {
		t.Errorf("head of an empty chain = %+v, %v; want seq 0 and the genesis hash", empty, err)
	}
}

func TestAuditRetriedAppendDoesNotAdvanceTheChain(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	seedChain(t, st, "sol-a", 2)
	before, _ := st.AuditChainHead(ctx, "sol-a")
	retry := bidEvent("sol-a", 2)
	retry.At = retry.At.Add(time.Minute) // a retry may carry another time; the first write stands
	appendEvents(t, st, retry, bidEvent("sol-a", 1))
	after, _ := st.AuditChainHead(ctx, "sol-a")
	if after != before {
		t.Fatalf("head moved from %+v to %+v on a retried append", before, after)
	}
	appendEvents(t, st, bidEvent("sol-a", 3))
	trail, _ := st.AuditTrail(ctx, "sol-a")
	if len(trail) != 3 || trail[2].Seq != 3 || trail[2].PrevHash != before.Hash {
		t.Fatalf("trail after a retry and a new event: %+v", trail)
	}
	if got := verify(t, st, "sol-a"); !got.Intact || got.Rows != 3 {
		t.Errorf("verify = %s, want intact with 3 rows", got)
	}
}

func TestAuditConcurrentAppendsToOneChain(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := 1; i <= n; i++ {
		wg.Go(func() {
			// Every writer also retries its own append, as an activity may.
			for range 2 {
				errs <- st.AppendAudit(ctx, bidEvent("sol-a", i))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	trail, err := st.AuditTrail(ctx, "sol-a")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, e := range trail {
		if e.Seq != int64(i+1) {
			t.Errorf("event %d has seq %d", i, e.Seq)
		}
		if seen[e.SubjectID] {
			t.Errorf("%s stored twice", e.SubjectID)
		}
		seen[e.SubjectID] = true
	}
	if len(trail) != n {
		t.Errorf("%d events stored, want %d", len(trail), n)
	}
	if got := verify(t, st, "sol-a"); !got.Intact || got.Rows != n || got.Head.Seq != n {
		t.Errorf("verify = %s, want intact with %d rows", got, n)
	}
}

// A failed append writes nothing and leaves the pool usable: here the chain
// holds a row behind its head's back, so the next seq is taken.
func TestAuditFailedAppendRollsBack(t *testing.T) {
	ctx := context.Background()
	st, url := openStore(t)
	seedChain(t, st, "sol-a", 2)
	tamper(t, url).forge("sol-a", 3)
	for range 5 { // more attempts than the pool has connections
		err := st.AppendAudit(ctx, bidEvent("sol-a", 4))
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.ConstraintName != "audit_events_chain_seq_key" {
			t.Fatalf("append onto a taken seq: %v, want a unique violation of (chain, seq)", err)
		}
	}
	appendEvents(t, st, bidEvent("sol-b", 1))
	trail, _ := st.AuditTrail(ctx, "sol-a")
	if head, _ := st.AuditChainHead(ctx, "sol-a"); len(trail) != 3 || head.Seq != 2 {
		t.Errorf("after failed appends: %d rows, head seq %d; want the 3 rows there were and head 2", len(trail), head.Seq)
	}
	if got := verify(t, st, "sol-b"); !got.Intact || got.Rows != 1 {
		t.Errorf("verify sol-b = %s, want intact with 1 row", got)
	}
}

// TestAuditTrailRefusesChanges shows the error each refused statement gives
// the application, connected as the database owner (the superuser here).
func TestAuditTrailRefusesChanges(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	seedChain(t, st, "sol-a", 2)
	for _, c := range []struct{ sql, message string }{
		{`UPDATE audit_events SET actor = 'someone-else' WHERE seq = 1`,
			"UPDATE on audit_events refused: the audit trail is append-only"},
		{`DELETE FROM audit_events WHERE seq = 2`,
			"DELETE on audit_events refused: the audit trail is append-only"},
		{`TRUNCATE audit_events`,
			"TRUNCATE on audit_events refused: the audit trail is append-only"},
		{`UPDATE audit_chain_heads SET seq = 1`,
			"UPDATE on audit_chain_heads refused: a chain head moves only when an audit event is appended"},
		{`INSERT INTO audit_chain_heads VALUES ('sol-x', 1, repeat('0', 64))`,
			"INSERT on audit_chain_heads refused: a chain head moves only when an audit event is appended"},
		{`DELETE FROM audit_chain_heads`,
			"DELETE on audit_chain_heads refused: a chain head moves only when an audit event is appended"},
		{`TRUNCATE audit_chain_heads`,
			"TRUNCATE on audit_chain_heads refused: a chain head moves only when an audit event is appended"},
		// An insert that does not extend the chain at its head.
		{`INSERT INTO audit_events (idempotency_key, at, actor, action, subject_type, subject_id, solicitation_id, seq, prev_hash, hash)
			VALUES ('forged', now(), 'x', 'x', 'bid', 'b', 'sol-a', 7, repeat('0', 64), repeat('1', 64))`,
			`audit event forged (seq 7) does not extend chain "sol-a" at its head (seq 2)`},
	} {
		_, err := st.pool.Exec(ctx, c.sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Message != c.message {
			t.Errorf("%s:\n got %v\nwant %s", c.sql, err, c.message)
			continue
		}
		t.Logf("%s\n  -> SQLSTATE %s: %s (hint: %s)", strings.Join(strings.Fields(c.sql), " "), pgErr.Code, pgErr.Message, pgErr.Hint)
	}
	if got := verify(t, st, "sol-a"); !got.Intact || got.Rows != 2 {
		t.Errorf("verify after refused changes = %s, want intact with 2 rows", got)
	}
}

// tamperer is a connection of the database owner with triggers off, as an
// attacker with owner rights would have it.
type tamperer struct {
	t    *testing.T
	conn *pgx.Conn
}

func tamper(t *testing.T, url string) tamperer {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	if _, err := conn.Exec(context.Background(), `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	return tamperer{t, conn}
}

func (tp tamperer) exec(sql string, args ...any) {
	tp.t.Helper()
	if _, err := tp.conn.Exec(context.Background(), sql, args...); err != nil {
		tp.t.Fatalf("%s: %v", sql, err)
	}
}

func (tp tamperer) id(chain string, seq int64) int64 {
	tp.t.Helper()
	var id int64
	if err := tp.conn.QueryRow(context.Background(), `SELECT id FROM audit_events WHERE chain = $1 AND seq = $2`, chain, seq).Scan(&id); err != nil {
		tp.t.Fatalf("row seq %d of %s: %v", seq, chain, err)
	}
	return id
}

// rehash recomputes the links and hashes of a chain's rows from..to, and its
// head when moveHead: what an attacker does to hide a change.
func (tp tamperer) rehash(chain string, from, to int64, moveHead bool) {
	tp.t.Helper()
	ctx := context.Background()
	rows, err := tp.conn.Query(ctx, `
		SELECT id, seq, at, actor, action, subject_type, subject_id, solicitation_id, detail::text, idempotency_key, prev_hash
		FROM audit_events WHERE chain = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq`, chain, from, to)
	if err != nil {
		tp.t.Fatal(err)
	}
	type row struct {
		id   int64
		form auditForm
	}
	forms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		var at time.Time
		var detail string
		err := r.Scan(&x.id, &x.form.Seq, &at, &x.form.Actor, &x.form.Action, &x.form.SubjectType, &x.form.SubjectID,
			&x.form.SolicitationID, &detail, &x.form.IdempotencyKey, &x.form.PrevHash)
		x.form.At, x.form.Detail = at.UTC().Format(auditTimeLayout), []byte(detail)
		return x, err
	})
	if err != nil {
		tp.t.Fatal(err)
	}
	prev := forms[0].form.PrevHash
	for _, x := range forms {
		x.form.PrevHash = prev
		h, err := x.form.hash()
		if err != nil {
			tp.t.Fatal(err)
		}
		tp.exec(`UPDATE audit_events SET prev_hash = $2, hash = $3 WHERE id = $1`, x.id, prev, h)
		prev = h
		if moveHead {
			tp.exec(`UPDATE audit_chain_heads SET seq = $2, hash = $3 WHERE chain = $1`, chain, x.form.Seq, h)
		}
	}
}

// forge inserts a row with a correct hash linked to the row at seq-1.
func (tp tamperer) forge(chain string, seq int64) int64 {
	tp.t.Helper()
	ctx := context.Background()
	var prev string
	if err := tp.conn.QueryRow(ctx, `SELECT hash FROM audit_events WHERE chain = $1 AND seq = $2`, chain, seq-1).Scan(&prev); err != nil {
		tp.t.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 10, 0, 3, 500000000, time.UTC)
	f := auditForm{Seq: seq, At: at.Format(auditTimeLayout), Actor: "officer", Action: "bid.excluded",
		SubjectType: "bid", SubjectID: "bid-2", SolicitationID: &chain, Detail: []byte(`{}`), IdempotencyKey: "forged", PrevHash: prev}
	h, err := f.hash()
	if err != nil {
		tp.t.Fatal(err)
	}
	var id int64
	if err := tp.conn.QueryRow(ctx, `
		INSERT INTO audit_events (idempotency_key, at, actor, action, subject_type, subject_id, solicitation_id, detail, seq, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, '{}', $8, $9, $10) RETURNING id`,
		f.IdempotencyKey, at, f.Actor, f.Action, f.SubjectType, f.SubjectID, chain, seq, prev, h).Scan(&id); err != nil {
		tp.t.Fatal(err)
	}
	return id
}

// shift moves the rows from seq on one place up, one row at a time from the
// top so the unique (chain, seq) index never sees two rows at one place.
func (tp tamperer) shift(chain string, from int64) {
	tp.t.Helper()
	for seq := int64(6); seq >= from; seq-- {
		tp.exec(`UPDATE audit_events SET seq = seq + 1 WHERE chain = $1 AND seq = $2`, chain, seq)
	}
}

func TestAuditVerifyNamesTheFirstTamperedRow(t *testing.T) {
	for _, c := range []struct {
		name    string
		tamper  func(tp tamperer) (seq, rowID int64)
		anchor  bool // verify against the head published before the tampering
		kind    ProblemKind
		message string
	}{
		{"edited row", func(tp tamperer) (int64, int64) {
			tp.exec(`UPDATE audit_events SET detail = '{"price": 1}' WHERE chain = 'sol-a' AND seq = 3`)
			return 3, tp.id("sol-a", 3)
		}, false, HashMismatch, "row seq 3 (id %[2]d) no longer matches its hash: it was changed"},
		{"edited time", func(tp tamperer) (int64, int64) {
			tp.exec(`UPDATE audit_events SET at = at + interval '1 microsecond' WHERE chain = 'sol-a' AND seq = 4`)
			return 4, tp.id("sol-a", 4)
		}, false, HashMismatch, "row seq 4 (id %[2]d) no longer matches its hash: it was changed"},
		{"edited row with its hash recomputed", func(tp tamperer) (int64, int64) {
			tp.exec(`UPDATE audit_events SET actor = 'someone-else' WHERE chain = 'sol-a' AND seq = 3`)
			tp.rehash("sol-a", 3, 3, false)
			return 3, tp.id("sol-a", 3)
		}, false, BrokenLink, "row seq 3 (id %[2]d) is not the row that seq 4 (id %[3]d) was appended after: it was changed and its hash recomputed, or replaced"},
		{"deleted middle row", func(tp tamperer) (int64, int64) {
			tp.exec(`DELETE FROM audit_events WHERE chain = 'sol-a' AND seq = 3`)
			return 3, 0
		}, false, SequenceGap, "row seq 3 is missing (deleted): the chain goes on at seq 4 (id %[3]d)"},
		{"deleted middle row, the rest renumbered", func(tp tamperer) (int64, int64) {
			tp.exec(`DELETE FROM audit_events WHERE chain = 'sol-a' AND seq = 3`)
			for seq := int64(4); seq <= 6; seq++ {
				tp.exec(`UPDATE audit_events SET seq = seq - 1 WHERE chain = 'sol-a' AND seq = $1`, seq)
			}
			tp.exec(`UPDATE audit_chain_heads SET seq = 5 WHERE chain = 'sol-a'`)
			return 3, tp.id("sol-a", 3)
		}, false, BrokenLink, "row seq 3 (id %[2]d) links to a row that is not in the chain: it was changed, or rows before it were deleted and the rest renumbered"},
		{"deleted last row", func(tp tamperer) (int64, int64) {
			tp.exec(`DELETE FROM audit_events WHERE chain = 'sol-a' AND seq = 6`)
			return 6, 0
		}, false, HeadMismatch, "the chain ends at seq 5 but its recorded head is seq 6 (hash %[4]s): rows from seq 6 on were deleted"},
		{"deleted last row and head moved back", func(tp tamperer) (int64, int64) {
			tp.exec(`DELETE FROM audit_events WHERE chain = 'sol-a' AND seq = 6`)
			tp.exec(`UPDATE audit_chain_heads SET seq = 5, hash = (SELECT hash FROM audit_events WHERE chain = 'sol-a' AND seq = 5) WHERE chain = 'sol-a'`)
			return 6, 0
		}, true, AnchorMismatch, "the published head seq 6 (hash %[4]s) is not in the chain, which ends at seq 5: rows were removed"},
		{"forged row inserted in the middle", func(tp tamperer) (int64, int64) {
			tp.shift("sol-a", 4)
			return 4, tp.forge("sol-a", 4)
		}, false, BrokenLink, "row seq 4 (id %[2]d) was inserted: row seq 5 (id %[5]d) was appended right after row seq 3 (id %[6]d)"},
		{"forged row appended", func(tp tamperer) (int64, int64) {
			return 7, tp.forge("sol-a", 7)
		}, false, HeadMismatch, "row seq 7 (id %[2]d) is past the recorded head (seq 6): it was inserted without the append path"},
		{"two rows reordered", func(tp tamperer) (int64, int64) {
			id2, id4 := tp.id("sol-a", 2), tp.id("sol-a", 4)
			tp.exec(`UPDATE audit_events SET seq = 100 WHERE id = $1`, id2)
			tp.exec(`UPDATE audit_events SET seq = 2 WHERE id = $1`, id4)
			tp.exec(`UPDATE audit_events SET seq = 4 WHERE id = $1`, id2)
			return 2, id4
		}, false, BrokenLink, "rows were reordered: row seq 2 (id %[2]d) was appended after row id %[7]d, which now sits at seq 3"},
		{"whole chain rewritten from an edited row", func(tp tamperer) (int64, int64) {
			tp.exec(`UPDATE audit_events SET detail = '{"price": 1}' WHERE chain = 'sol-a' AND seq = 2`)
			tp.rehash("sol-a", 2, 6, true)
			return 6, tp.id("sol-a", 6)
		}, true, AnchorMismatch, "row seq 6 (id %[2]d) has hash %[8]s, not the published %[4]s: the chain was rewritten from there on or before"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st, url := openStore(t)
			seedChain(t, st, "sol-a", 6)
			seedChain(t, st, "sol-b", 2)
			published, err := st.AuditChainHead(ctx, "sol-a")
			if err != nil {
				t.Fatal(err)
			}
			tp := tamper(t, url)
			seq, rowID := c.tamper(tp)

			var anchors []ChainHead
			if c.anchor {
				anchors = append(anchors, published)
				if got := verify(t, st, "sol-a"); !got.Intact {
					t.Errorf("without the published head: %s; want the rewrite to go unseen, which is why heads are published", got)
				}
			}
			got := verify(t, st, "sol-a", anchors...)
			if got.Intact || got.Problem == nil {
				t.Fatalf("verify = %s, want a %s", got, c.kind)
			}
			ids := func(seq int64) int64 {
				var id int64
				_ = tp.conn.QueryRow(ctx, `SELECT id FROM audit_events WHERE chain = 'sol-a' AND seq = $1`, seq).Scan(&id)
				return id
			}
			var lastHash string
			_ = tp.conn.QueryRow(ctx, `SELECT hash FROM audit_events WHERE chain = 'sol-a' AND seq = 6`).Scan(&lastHash)
			want := fmt.Sprintf(c.message, seq, rowID, ids(seq+1), published.Hash, ids(5), ids(3), ids(3), lastHash)
			if p := got.Problem; p.Kind != c.kind || p.Seq != seq || p.RowID != rowID || p.What != want {
				t.Errorf("problem %+v\nwant kind %s, seq %d, row %d: %s", *p, c.kind, seq, rowID, want)
			}
			all, err := st.VerifyAuditChains(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range all {
				if s.Intact != (s.Chain != "sol-a" || c.anchor) {
					t.Errorf("%s", s)
				}
			}
		})
	}
}

// TestAuditMigrationChainsExistingRows starts from a database at migration 5
// with rows written before the chain, values chosen where canonical JSON is
// easy to get wrong, and checks the SQL backfill hashes them as the Go code does.
func TestAuditMigrationChainsExistingRows(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, dir, goose.WithLogger(goose.NopLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.DownTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	details := []string{
		`{}`,
		`{"n": [1e21, 1e-7, 0.1, 1.0, -0, 100, 123456789012345678901234567890, 1e15, 0.000001, 5e-324, 1.7976931348623157e308, -12.5e-3]}`,
		`{"text": "line\nbreak \"quoted\" back\\slash tab\t bell\u0007 del\u007f <html> & é 😀", "u": "\u2028"}`,
		`{"z": 1, "a": {"nested": [true, false, null, {"b": [], "a": {}}]}, "é": 2, "😀": 3, "\ue000": 4, "aa": 5, "": 6}`,
	}
	for i, d := range details {
		sol := any("sol-legacy")
		if i == 3 {
			sol = nil
		}
		if _, err := db.ExecContext(ctx, `
			INSERT INTO audit_events (idempotency_key, at, actor, action, subject_type, subject_id, solicitation_id, detail)
			VALUES ($1, $2, 'officer', 'legacy.event', 'solicitation', 'sol-legacy', $3, $4)`,
			fmt.Sprintf("legacy/%d", i), auditAt.Add(time.Duration(i)*time.Hour), sol, d); err != nil {
			t.Fatalf("legacy row %d: %v", i, err)
		}
	}
	if _, err := db.ExecContext(ctx, `
		INSERT INTO audit_events (idempotency_key, at, actor, action, subject_type, subject_id, detail)
		VALUES ('legacy/global', $1, 'admin', 'user.created', 'user', 'u-1', '{"role": "auditor"}')`, auditAt); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, url, io.Discard); err != nil {
		t.Fatal(err)
	}

	st, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for chain, rows := range map[string]int64{"sol-legacy": 4, "": 1} {
		if got := verify(t, st, chain); !got.Intact || got.Rows != rows {
			t.Errorf("after the migration: %s, want intact with %d rows", got, rows)
		}
	}
	legacy, err := st.AuditTrail(ctx, "sol-legacy")
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range legacy {
		if e.Seq != int64(i+1) || !e.At.Equal(auditAt.Add(time.Duration(i)*time.Hour).Truncate(time.Microsecond)) {
			t.Errorf("legacy row %d chained at seq %d (at %s), want seq %d: rows are chained in id order", i, e.Seq, e.At, i+1)
		}
	}
	appendEvents(t, st, bidEvent("sol-legacy", 1))
	if got := verify(t, st, "sol-legacy"); !got.Intact || got.Rows != 5 {
		t.Errorf("after appending to the migrated chain: %s, want intact with 5 rows", got)
	}
	if _, err := provider.DownTo(ctx, 5); err != nil {
		t.Fatalf("migration 6 down: %v", err)
	}
}

// The hashed form is fixed: changing it breaks every chain already stored.
func TestAuditFormCanonicalJSON(t *testing.T) {
	sol := "sol-1"
	f := auditForm{Seq: 7, At: "2026-11-26T10:00:00.123456Z", Actor: "u-1", Action: "bid.submitted", SubjectType: "bid",
		SubjectID: "b-1", SolicitationID: &sol, Detail: []byte(`{"z": 1.50, "a": "<é>", "n": 1e21}`), IdempotencyKey: "k", PrevHash: genesisHash}
	got, err := f.canonical()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"action":"bid.submitted","actor":"u-1","at":"2026-11-26T10:00:00.123456Z","detail":{"a":"<é>","n":1e+21,"z":1.5},` +
		`"idempotency_key":"k","prev_hash":"` + genesisHash + `","seq":7,"solicitation_id":"sol-1","subject_id":"b-1","subject_type":"bid"}`
	if string(got) != want {
		t.Errorf("canonical form\n got %s\nwant %s", got, want)
	}
	f.SolicitationID = nil
	if got, _ := f.canonical(); !strings.Contains(string(got), `"solicitation_id":null`) {
		t.Errorf("a row outside any solicitation: %s, want solicitation_id null", got)
	}
}

// BenchmarkAppendAudit is the cost of one audit append on one solicitation's trail.
func BenchmarkAppendAudit(b *testing.B) {
	ctx := context.Background()
	st, _ := openStore(b)
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

// BenchmarkVerifyAuditChain10000 walks one solicitation's chain of 10,000 rows.
func BenchmarkVerifyAuditChain10000(b *testing.B) {
	ctx := context.Background()
	st, _ := openStore(b)
	const n = 10000
	if err := st.inTx(ctx, func(tx pgx.Tx) error {
		for i := 1; i <= n; i++ {
			if err := appendAudit(ctx, tx, bidEvent("sol-a", i)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		status, err := st.VerifyAuditChain(ctx, "sol-a")
		if err != nil || !status.Intact || status.Rows != n {
			b.Fatalf("verify = %s, %v", status, err)
		}
	}
}
