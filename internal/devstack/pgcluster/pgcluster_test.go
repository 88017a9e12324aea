package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func startForTest(t *testing.T, dir string) *Cluster {
	t.Helper()
	began := time.Now()
	c, err := Start(t.Context(), Options{Dir: dir, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("started postgres in %s on port %d in %v", dir, c.Port(), time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return c
}

func TestRestartKeepsData(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	c := startForTest(t, dir)

	if err := c.CreateDatabase(ctx, "modeltender", ""); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDatabase(ctx, "modeltender", ""); !errors.Is(err, ErrDatabaseExists) {
		t.Fatalf("second CreateDatabase: got %v, want ErrDatabaseExists", err)
	}
	mustExec(t, c.URL("modeltender"), "CREATE TABLE bids (vendor text); INSERT INTO bids VALUES ('acme')")

	url, err := Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	if url != c.URL("modeltender") {
		t.Errorf("Discover = %q, want %q", url, c.URL("modeltender"))
	}
	if _, err := Start(ctx, Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second Start in a running directory: got %v, want an 'already running' error", err)
	}

	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := Discover(dir); err == nil || !strings.Contains(err.Error(), "make run") {
		t.Errorf("Discover after Stop: got %v, want an error that says to run `make run`", err)
	}

	c = startForTest(t, dir)
	var vendor string
	conn := connect(t, c.URL("modeltender"))
	if err := conn.QueryRow(ctx, "SELECT vendor FROM bids").Scan(&vendor); err != nil {
		t.Fatalf("read data written before the restart: %v", err)
	}
	if vendor != "acme" {
		t.Errorf("vendor = %q, want acme", vendor)
	}
	_ = conn.Close(ctx)

	if err := c.CreateDatabase(ctx, "copy", "modeltender"); err != nil {
		t.Fatal(err)
	}
	mustExec(t, c.URL("copy"), "SELECT vendor FROM bids")
	if err := c.DropDatabase(ctx, "copy"); err != nil {
		t.Fatal(err)
	}
	if err := c.DropDatabase(ctx, "copy"); err != nil {
		t.Fatalf("dropping a missing database: %v", err)
	}
}

// A server killed outright leaves postmaster.pid behind; the next start must not trip over it.
func TestStartAfterCrash(t *testing.T) {
	dir := t.TempDir()
	c := startForTest(t, dir)
	if err := syscall.Kill(c.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return !(postmaster{pid: c.pid}).alive() })
	if err := c.Stop(t.Context()); err != nil {
		t.Fatalf("Stop after crash: %v", err)
	}
	// Its backends notice the dead postmaster and exit; until then they hold
	// its shared memory and PostgreSQL refuses to start, which is fine.
	var again *Cluster
	waitFor(t, func() bool {
		var err error
		again, err = Start(t.Context(), Options{Dir: dir})
		if err != nil && !strings.Contains(err.Error(), "shared memory") {
			t.Fatal(err)
		}
		return err == nil
	})
	t.Cleanup(func() { _ = again.Stop(context.Background()) })
	mustExec(t, again.URL("postgres"), "SELECT 1")
}

// The server must not outlive its owner, however the owner ends: here it is
// SIGKILLed right after Start, so nothing of ours runs.
func TestServerDiesWithOwner(t *testing.T) {
	if dir := os.Getenv("PGCLUSTER_TEST_OWNER_DIR"); dir != "" {
		c, err := Start(context.Background(), Options{Dir: dir})
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("started on port", c.Port())
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}
	dir := t.TempDir()
	owner := exec.Command(os.Args[0], "-test.run=^TestServerDiesWithOwner$")
	owner.Env = append(os.Environ(), "PGCLUSTER_TEST_OWNER_DIR="+dir)
	out, _ := owner.CombinedOutput()
	if !strings.Contains(string(out), "started on port") {
		t.Fatalf("owner process did not start a cluster:\n%s", out)
	}
	waitFor(t, func() bool { _, err := Discover(dir); return err != nil })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
	}
}

// A stale postmaster.pid whose pid now belongs to another process must not block start.
func TestStartWithReusedPID(t *testing.T) {
	dir := t.TempDir()
	c := startForTest(t, dir)
	if err := c.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	stale := fmt.Sprintf("%d\n%s\n1700000000\n5432\n%s\n127.0.0.1\n  0 0\nready   \n", os.Getpid(), dir, dir)
	if err := os.WriteFile(filepath.Join(dir, "postmaster.pid"), []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	c = startForTest(t, dir)
	mustExec(t, c.URL("postgres"), "SELECT 1")
}

func TestLongDirUsesShortSocketDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 100))
	c := startForTest(t, dir)
	if c.socketDir == dir {
		t.Fatalf("socket dir is the data dir %s (%d bytes), too long for a socket path", dir, len(dir))
	}
	mustExec(t, c.URL("postgres"), "SELECT 1")
	if err := c.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.socketDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket dir %s survived Stop: %v", c.socketDir, err)
	}
}

func TestMissingBinariesSayWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := findBinaries(filepath.Join(t.TempDir(), "*", "bin"))
	if err == nil || !strings.Contains(err.Error(), "apt-get install postgresql") {
		t.Fatalf("got %v, want an error that says to apt-get install postgresql", err)
	}
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func mustExec(t *testing.T, url, sql string) {
	t.Helper()
	conn := connect(t, url)
	defer func() { _ = conn.Close(context.Background()) }()
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// testLog sends cluster output to the test log (shown with -v or on failure).
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// A server killed under a supervised cluster is started again on the same
// port, with its data, and the same URL works.
func TestSuperviseRestartsADeadServer(t *testing.T) {
	c := startForTest(t, t.TempDir())
	mustExec(t, c.URL("postgres"), "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
	// Test clusters commit without waiting for the WAL flush; make this one stick.
	mustExec(t, c.URL("postgres"), "CHECKPOINT")
	notes := make(chan string, 10)
	failed := c.Supervise(t.Context(), 100*time.Millisecond, 30*time.Second, func(s string) { notes <- s })
	first := c.pid
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		pid, _ := c.current()
		return pid != first && (postmaster{pid: pid}).alive()
	})
	conn := connect(t, c.URL("postgres"))
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT n FROM kept").Scan(&n); err != nil || n != 42 {
		t.Fatalf("after the restart: %d, %v", n, err)
	}
	if died, again := <-notes, <-notes; !strings.Contains(died, "died") || !strings.Contains(again, "running again") {
		t.Errorf("notes: %q, %q", died, again)
	}
	select {
	case err := <-failed:
		t.Fatalf("supervisor gave up: %v", err)
	default:
	}
}

// A server that cannot be started again ends supervision with an error
// naming its directory, for `dev` to stop on.
func TestSuperviseGivesUpWithAClearError(t *testing.T) {
	dir := t.TempDir()
	c := startForTest(t, dir)
	failed := c.Supervise(t.Context(), 100*time.Millisecond, time.Second, func(string) {})
	// Without PG_VERSION the directory is no cluster and no start succeeds.
	if err := os.Rename(filepath.Join(dir, "PG_VERSION"), filepath.Join(dir, "PG_VERSION.moved")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(c.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-failed:
		if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "could not be started again") {
			t.Errorf("give-up error: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the supervisor neither restarted the server nor gave up")
	}
}
