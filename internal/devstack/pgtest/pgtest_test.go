package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) {
	Main(m, func(ctx context.Context, databaseURL string) error {
		conn, err := pgx.Connect(ctx, databaseURL)
		if err != nil {
			return err
		}
		// Left open on purpose: Main must cope with a migration that leaks its session.
		_, err = conn.Exec(ctx, "CREATE TABLE bids (vendor text); INSERT INTO bids VALUES ('acme')")
		return err
	})
}

// Parallel tests each get the migrated data and never see each other's writes.
func TestDatabasesAreMigratedAndIsolated(t *testing.T) {
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			conn := connect(t, NewDatabase(t))
			vendor := fmt.Sprintf("vendor-%d", i)
			if _, err := conn.Exec(t.Context(), "INSERT INTO bids VALUES ($1)", vendor); err != nil {
				t.Fatal(err)
			}
			rows, err := conn.Query(t.Context(), "SELECT vendor FROM bids ORDER BY vendor")
			if err != nil {
				t.Fatal(err)
			}
			got, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"acme", vendor}; strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("bids = %v, want %v", got, want)
			}
		})
	}
}

func TestDatabaseIsDroppedAfterTest(t *testing.T) {
	var dbURL string
	t.Run("uses", func(t *testing.T) {
		dbURL = NewDatabase(t)
		// A connection the test forgets to close must not block the drop.
		if _, err := pgx.Connect(t.Context(), dbURL); err != nil {
			t.Fatal(err)
		}
	})
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	var exists bool
	if err := connect(t, u.String()).QueryRow(t.Context(), "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

func connect(t *testing.T, databaseURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}
