// Package pgtest gives each test binary a private, non-durable PostgreSQL
// cluster and each test a fresh database copied from a migrated template, so
// tests can run in parallel without seeing each other's rows.
//
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m, migrate) }
//
// and call NewDatabase in every test that needs a database.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/devstack/pgcluster"
)

// templateName is the migrated database every test database is copied from.
const templateName = "template_modeltender"

// shared is what Main hands to NewDatabase: TestMain has no other way to pass
// state to the tests it runs. Main sets cluster before any test starts.
var shared struct {
	cluster *pgcluster.Cluster
	seq     atomic.Uint64
}

// Main starts the cluster, creates template_modeltender and runs migrate on
// it (nil skips that), runs the tests, stops the cluster, removes its
// directory and exits with the tests' code. The cluster also stops if the
// process dies midway, through a panicking test for example.
func Main(m *testing.M, migrate func(ctx context.Context, databaseURL string) error) {
	os.Exit(run(m, migrate))
}

func run(m *testing.M, migrate func(ctx context.Context, databaseURL string) error) int {
	// A short path keeps the server's Unix socket inside the data directory.
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: create cluster directory: %v\n", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()

	ctx := context.Background()
	c, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := c.Stop(stopCtx); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
	}()
	if err := prepareTemplate(ctx, c, migrate); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}
	shared.cluster = c
	return m.Run()
}

func prepareTemplate(ctx context.Context, c *pgcluster.Cluster, migrate func(context.Context, string) error) error {
	if err := c.CreateDatabase(ctx, templateName, ""); err != nil {
		return err
	}
	if migrate != nil {
		if err := migrate(ctx, c.URL(templateName)); err != nil {
			return fmt.Errorf("migrate %s: %w", templateName, err)
		}
	}
	// Migration code easily forgets to close its pool, and one session left on
	// the template makes every CREATE DATABASE ... TEMPLATE fail.
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to close sessions on %s: %w", templateName, err)
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", templateName); err != nil {
		return fmt.Errorf("close sessions left on %s: %w", templateName, err)
	}
	return nil
}

// NewDatabase creates a database copied from the migrated template and returns
// its URL; the database is dropped when the test ends. It is safe for parallel tests.
func NewDatabase(t testing.TB) string {
	t.Helper()
	c := shared.cluster
	if c == nil {
		t.Fatal("pgtest.NewDatabase needs the cluster pgtest.Main starts: add `func TestMain(m *testing.M) { pgtest.Main(m, migrate) }` to this package's tests")
	}
	name := "test_" + strconv.FormatUint(shared.seq.Add(1), 10)
	if err := c.CreateDatabase(t.Context(), name, templateName); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := c.DropDatabase(context.Background(), name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return c.URL(name)
}
