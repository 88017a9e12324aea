package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"
)

// Every migration goes down and up again; running Migrate on a database that
// is up to date applies nothing and changes nothing.
func TestMigrateFromEmptyAndAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := openStoreURL(t)
	db, err := sql.Open("pgx", url)
	requireNoError(t, err)
	defer db.Close()
	dir, err := fs.Sub(migrations, "migrations")
	requireNoError(t, err)
	provider, err := goose.NewProvider(goose.DialectPostgres, db, dir, goose.WithLogger(goose.NopLogger()))
	requireNoError(t, err)
	sources := provider.ListSources()
	if _, err := provider.DownTo(ctx, 0); err != nil {
		t.Fatalf("migrations down: %v", err)
	}
	var tables int
	requireNoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version'`).Scan(&tables))
	if tables != 0 {
		t.Fatalf("%d tables left after every migration went down", tables)
	}

	var log bytes.Buffer
	requireNoError(t, Migrate(ctx, url, &log))
	if got := strings.Count(log.String(), "migration applied"); got != len(sources) {
		t.Errorf("%d migrations logged, want %d:\n%s", got, len(sources), log.String())
	}
	for _, s := range sources {
		if !strings.Contains(log.String(), fmt.Sprintf("version=%d ", s.Version)) {
			t.Errorf("migration %d not logged", s.Version)
		}
	}
	log.Reset()
	requireNoError(t, Migrate(ctx, url, &log))
	if log.Len() != 0 {
		t.Errorf("a second run applied something:\n%s", log.String())
	}

	st, err := Open(ctx, url)
	requireNoError(t, err)
	defer st.Close()
	requireNoError(t, st.Ping(ctx))
	counts, err := st.TableCounts(ctx)
	requireNoError(t, err)
	if len(counts) == 0 || counts["audit_events"] != 0 {
		t.Errorf("table counts after migrating up: %v", counts)
	}
	if _, err := st.EnsureOrganisation(ctx, "Agency", "agency"); err != nil {
		t.Errorf("the migrated schema does not take an organisation: %v", err)
	}
}

// openStoreURL is a migrated test database's URL.
func openStoreURL(t *testing.T) string {
	t.Helper()
	_, url := openStore(t)
	return url
}

// Open says what is wrong: a URL it cannot parse, or a server that does not
// answer at the address it names.
func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, err := Open(ctx, "postgres://%zz")
	requireFails(t, err, "parse DATABASE_URL")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	requireNoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	requireNoError(t, l.Close())
	url := fmt.Sprintf("postgres://nobody@127.0.0.1:%d/none?sslmode=disable&connect_timeout=5", port)
	_, err = Open(ctx, url)
	requireFails(t, err, fmt.Sprintf("connect to postgres at 127.0.0.1:%d", port))
	requireFails(t, Migrate(ctx, url, io.Discard), "migrations")
}

// A closed store refuses work instead of hanging.
func TestClosedStore(t *testing.T) {
	t.Parallel()
	st, _ := openStore(t)
	st.Close()
	if err := st.Ping(context.Background()); err == nil {
		t.Error("Ping on a closed store succeeded")
	}
}
