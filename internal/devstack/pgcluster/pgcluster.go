// Package pgcluster owns private PostgreSQL clusters run from the server
// binaries: the durable one `modeltender dev` keeps in ./.modeltender/pg and
// the throwaway ones tests use. A cluster listens on 127.0.0.1 only, trusts
// every local connection as user postgres, and never outlives the process
// that started it.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrDatabaseExists is wrapped by CreateDatabase when the name is taken, so the
// dev command can create its database on first start and keep it afterwards.
var ErrDatabaseExists = errors.New("database already exists")

// Options configures Start.
type Options struct {
	// Dir is the data directory: initialised on first start, reused afterwards.
	Dir string
	// Port is the TCP port on 127.0.0.1; 0 picks a free one on every start.
	Port int
	// Durable keeps fsync, synchronous_commit and full_page_writes on. Tests
	// turn it off: they never recover a crashed cluster, so they need no flushes.
	Durable bool
	// Log receives the output of initdb, pg_ctl and the server; nil discards it.
	Log io.Writer
}

// Cluster is a running PostgreSQL server. Its methods are safe for concurrent use.
type Cluster struct {
	bin       binaries
	user      *serviceUser // nil when we are not root
	dir       string
	port      int
	socketDir string // under /tmp (removed on Stop) only when dir is too long for a socket path
	log       io.Writer
	fileCopy  bool // create databases with STRATEGY FILE_COPY; see CreateDatabase
	durable   bool // Options.Durable, for a restart (Supervise)

	pid      int           // the postmaster we started, so Stop never stops a successor
	logDone  chan struct{} // closed once the server has closed its output
	watchdog *watchdog

	mu      sync.Mutex
	stopped bool
}

// maxSocketPath is the longest path PostgreSQL accepts for its Unix socket
// (sizeof(sun_path) minus the terminating NUL).
const maxSocketPath = 107

// Start starts the cluster in opts.Dir, running initdb first if the directory
// holds no cluster yet. It fails if a server already runs in that directory.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Dir == "" {
		return nil, errors.New("pgcluster: Options.Dir is empty; set it to the data directory to use")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("resolve data directory %s: %w", opts.Dir, err)
	}
	bin, err := findBinaries(debianBinGlob)
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, dir: dir, port: opts.Port, socketDir: dir, log: opts.Log, logDone: make(chan struct{}), durable: opts.Durable}
	if c.log == nil {
		c.log = io.Discard
	}
	if os.Geteuid() == 0 {
		if c.user, err = lookupServiceUser(ctx); err != nil {
			return nil, err
		}
	}
	if err := c.prepareDir(); err != nil {
		return nil, err
	}
	if err := c.clearStalePID(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		if err := c.initdb(ctx, opts.Durable); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("check for a cluster in %s: %w", dir, err)
	}
	if c.fileCopy, err = fileCopyPays(dir, opts.Durable); err != nil {
		return nil, err
	}
	if c.port == 0 {
		if c.port, err = freePort(); err != nil {
			return nil, err
		}
	}
	if err := c.chooseSocketDir(); err != nil {
		return nil, err
	}
	// The watchdog goes first: if we die between here and Stop, it stops the server.
	if c.watchdog, err = c.startWatchdog(); err != nil {
		c.removeSocketDir()
		return nil, err
	}
	if err := c.start(ctx, opts.Durable); err != nil {
		c.watchdog.release()
		c.removeSocketDir()
		return nil, err
	}
	return c, nil
}

// URL returns the connection URL of database on this cluster.
func (c *Cluster) URL(database string) string {
	return databaseURL(c.port, database)
}

// Port returns the TCP port the server listens on at 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// CreateDatabase creates database name, copied from template unless template
// is "". If the name is taken the error wraps ErrDatabaseExists.
func (c *Cluster) CreateDatabase(ctx context.Context, name, template string) error {
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if c.fileCopy {
		sql += " STRATEGY FILE_COPY"
	}
	err := c.exec(ctx, sql)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" {
		return fmt.Errorf("create database %s: %w", name, ErrDatabaseExists)
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// DropDatabase drops database name if it exists, disconnecting its sessions
// first so a test that leaked a connection does not block its own cleanup.
func (c *Cluster) DropDatabase(ctx context.Context, name string) error {
	if err := c.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// fileCopyPays reports whether CREATE DATABASE should copy files rather than
// WAL-log every block, the default since PostgreSQL 15 added the choice.
// Without fsync the checkpoints FILE_COPY costs are cheap, and it creates a
// test database about 2.5 times faster (50 ms instead of 125 ms).
func fileCopyPays(dir string, durable bool) (bool, error) {
	if durable {
		return false, nil
	}
	data, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	if err != nil {
		return false, fmt.Errorf("read the cluster's PostgreSQL version: %w", err)
	}
	major, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return false, fmt.Errorf("read the cluster's PostgreSQL version from %s/PG_VERSION: %w", dir, err)
	}
	return major >= 15, nil
}

// exec runs one statement on the maintenance database postgres.
func (c *Cluster) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	_, err = conn.Exec(ctx, sql)
	return err
}

// Stop shuts the server down (pg_ctl stop -m fast: sessions are cut, data is
// kept). Calling it again, or after the server crashed, does nothing.
func (c *Cluster) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	if pm, err := readPostmaster(c.dir); err == nil && pm.pid == c.pid && pm.alive() {
		if err := c.run(ctx, c.bin.pgCtl, "stop", "-D", c.dir, "-m", "fast", "-w", "-s"); err != nil {
			// Keep the watchdog: it still stops the server when we exit.
			return fmt.Errorf("stop postgres in %s: %w", c.dir, err)
		}
	}
	c.stopped = true
	c.watchdog.release()
	c.removeSocketDir()
	// The server has exited; wait for its last log lines so none arrive after Stop.
	select {
	case <-c.logDone:
	case <-ctx.Done():
	}
	return nil
}

// Discover returns the URL of database modeltender on the cluster a running
// `modeltender dev` keeps in dir, for commands that were given no DATABASE_URL.
func Discover(dir string) (string, error) {
	pm, err := readPostmaster(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err != nil || !pm.alive() {
		return "", fmt.Errorf("no DATABASE_URL set and no dev cluster running in %s; run `make run` first or set DATABASE_URL", dir)
	}
	return databaseURL(pm.port, "modeltender"), nil
}

func databaseURL(port int, database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, url.PathEscape(database))
}

// prepareDir creates the data directory with the owner and mode PostgreSQL
// insists on, and makes sure the service user can reach it.
func (c *Cluster) prepareDir() error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("create data directory %s: %w", c.dir, err)
	}
	if err := os.Chmod(c.dir, 0o700); err != nil {
		return fmt.Errorf("set mode 0700 on data directory %s: %w", c.dir, err)
	}
	if c.user == nil {
		return nil
	}
	if err := os.Chown(c.dir, c.user.uid, c.user.gid); err != nil {
		return fmt.Errorf("hand data directory %s to user %s: %w", c.dir, c.user.name, err)
	}
	return c.user.grantSearch(c.dir, c.log)
}

// clearStalePID refuses to start next to a live server and removes the
// postmaster.pid a crash left behind: if its pid was reused by another process,
// PostgreSQL would take it for a running server and refuse to start.
func (c *Cluster) clearStalePID() error {
	pm, err := readPostmaster(c.dir)
	if err != nil {
		// Missing: nothing to clear. Unreadable: a server may be writing it right
		// now, so leave the call to PostgreSQL's own lock check.
		return nil
	}
	if pm.alive() {
		return fmt.Errorf("a modeltender dev cluster is already running in %s (pid %d, port %d); stop the other `make run` first (or stop that server with `pg_ctl -D %s stop`)",
			c.dir, pm.pid, pm.port, c.dir)
	}
	if err := os.Remove(filepath.Join(c.dir, "postmaster.pid")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale postmaster.pid in %s: %w", c.dir, err)
	}
	return nil
}

func (c *Cluster) initdb(ctx context.Context, durable bool) error {
	args := []string{"-D", c.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions"}
	if !durable {
		args = append(args, "--no-sync")
	}
	if err := c.run(ctx, c.bin.initdb, args...); err != nil {
		return fmt.Errorf("initialise a cluster in %s: %w", c.dir, err)
	}
	return nil
}

// chooseSocketDir keeps the Unix socket in the data directory unless that path
// would be too long for a socket, in which case it uses a fresh /tmp directory.
func (c *Cluster) chooseSocketDir() error {
	if len(filepath.Join(c.dir, ".s.PGSQL."+strconv.Itoa(c.port))) <= maxSocketPath {
		return nil
	}
	dir, err := os.MkdirTemp("/tmp", "mtpg-")
	if err != nil {
		return fmt.Errorf("create socket directory (the data directory path is too long for a socket): %w", err)
	}
	if c.user != nil {
		if err := os.Chown(dir, c.user.uid, c.user.gid); err != nil {
			_ = os.Remove(dir)
			return fmt.Errorf("hand socket directory %s to user %s: %w", dir, c.user.name, err)
		}
	}
	c.socketDir = dir
	return nil
}

func (c *Cluster) removeSocketDir() {
	if c.socketDir != c.dir {
		_ = os.RemoveAll(c.socketDir)
	}
}

// start runs pg_ctl start. The server inherits the write end of a pipe that
// we copy to the log until the server exits, so its output keeps flowing after
// pg_ctl returns, and a failed start can quote it.
func (c *Cluster) start(ctx context.Context, durable bool) error {
	settings := []string{
		"-p", strconv.Itoa(c.port),
		"-k", shellQuote(c.socketDir),
		"-c", "listen_addresses=127.0.0.1",
	}
	if !durable {
		settings = append(settings, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("create log pipe for postgres: %w", err)
	}
	var out tail
	go func() {
		defer close(c.logDone)
		_, _ = io.Copy(io.MultiWriter(c.log, &out), r)
		_ = r.Close()
	}()
	// pg_ctl hands -o to /bin/sh, hence the quoting of the socket path.
	cmd := c.command(ctx, c.bin.pgCtl, "start", "-D", c.dir, "-w", "-t", "60", "-o", strings.Join(settings, " "))
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Run()
	_ = w.Close()
	if err == nil {
		var pm postmaster
		if pm, err = readPostmaster(c.dir); err == nil {
			c.pid = pm.pid
			return nil
		}
		err = fmt.Errorf("read postmaster.pid after start: %w", err)
	}
	// A server that missed the timeout is still starting; do not leave it behind.
	_ = c.run(context.WithoutCancel(ctx), c.bin.pgCtl, "stop", "-D", c.dir, "-m", "immediate", "-w", "-s")
	select {
	case <-c.logDone:
	case <-time.After(5 * time.Second):
	}
	return fmt.Errorf("start postgres in %s on port %d: %w\n%s", c.dir, c.port, err, out.String())
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tail keeps the last few KiB written to it, to explain a failed command.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 4 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = t.buf[len(t.buf)-tailSize:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}
