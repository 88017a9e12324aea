package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// debianBinGlob is where Debian's postgresql packages put the server binaries,
// which are not on PATH there.
const debianBinGlob = "/usr/lib/postgresql/*/bin"

type binaries struct{ initdb, pgCtl string }

// findBinaries looks for initdb and pg_ctl next to each other: first on PATH,
// then in the newest directory matching glob.
func findBinaries(glob string) (binaries, error) {
	var dirs []string
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	matches, err := filepath.Glob(glob)
	if err != nil {
		return binaries{}, fmt.Errorf("search %s: %w", glob, err)
	}
	// The version is the directory above bin: 15, 9.6, ...
	version := func(binDir string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
		return v
	}
	slices.SortFunc(matches, func(a, b string) int { return -compareFloat(version(a), version(b)) })
	dirs = append(dirs, matches...)
	for _, d := range dirs {
		b := binaries{initdb: filepath.Join(d, "initdb"), pgCtl: filepath.Join(d, "pg_ctl")}
		if isExecutable(b.initdb) && isExecutable(b.pgCtl) {
			return b, nil
		}
	}
	return binaries{}, fmt.Errorf("the PostgreSQL server binaries (initdb, pg_ctl) are neither on PATH nor in %s; install them with `apt-get install postgresql` (Debian/Ubuntu) and try again", glob)
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// serviceUser is the unprivileged account PostgreSQL runs as when we are root:
// initdb, pg_ctl and postgres all refuse to run as root.
type serviceUser struct {
	name     string
	uid, gid int
}

// lookupServiceUser picks the packaged postgres account, or else creates a
// system account modeltender without a home.
func lookupServiceUser(ctx context.Context) (*serviceUser, error) {
	for _, name := range []string{"postgres", "modeltender"} {
		if u, err := user.Lookup(name); err == nil {
			return newServiceUser(u)
		}
	}
	out, err := exec.CommandContext(ctx, "useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "modeltender").CombinedOutput()
	// Look up even after a failure: a parallel test process may have created the user first.
	u, lookupErr := user.Lookup("modeltender")
	if lookupErr != nil {
		return nil, fmt.Errorf("PostgreSQL refuses to run as root and creating the system user modeltender failed (%v): %s; create an unprivileged user postgres or modeltender, or run as a normal user",
			err, bytes.TrimSpace(out))
	}
	return newServiceUser(u)
}

func newServiceUser(u *user.User) (*serviceUser, error) {
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("parse uid %q of user %s: %w", u.Uid, u.Username, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("parse gid %q of user %s: %w", u.Gid, u.Username, err)
	}
	return &serviceUser{name: u.Username, uid: uid, gid: gid}, nil
}

// grantSearch adds the search bit for others (o+x) to every parent of dir that
// lacks it, since PostgreSQL must walk down to its data directory and root's
// home and test temp directories are 0700. Search does not allow listing, and
// each change is logged.
func (u *serviceUser) grantSearch(dir string, log io.Writer) error {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("check that user %s can reach %s: %w", u.name, dir, err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			mode := fi.Mode()&(os.ModePerm|os.ModeSticky|os.ModeSetuid|os.ModeSetgid) | 0o001
			if err := os.Chmod(p, mode); err != nil {
				return fmt.Errorf("let user %s reach %s (chmod o+x %s): %w", u.name, dir, p, err)
			}
			_, _ = fmt.Fprintf(log, "pgcluster: chmod o+x %s so PostgreSQL (user %s) can reach %s\n", p, u.name, dir)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// command builds a command for a PostgreSQL binary, run as the service user
// when we are root. It runs in / because the service user may not be able to
// enter our working directory.
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	argv := append([]string{name}, args...)
	if c.user != nil {
		argv = append([]string{"runuser", "-u", c.user.name, "--"}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = "/"
	return cmd
}

// run runs a short-lived command, copying its output to the log and quoting
// the end of it in the error.
func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	var out tail
	cmd := c.command(ctx, name, args...)
	cmd.Stdout = io.MultiWriter(c.log, &out)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out.String())
	}
	return nil
}

// watchdog is a helper process that stops the server once we are gone,
// however we end (panic, os.Exit, SIGKILL): it reads a pipe only we hold open
// for writing, and the kernel closes our end when we die.
type watchdog struct {
	cmd  *exec.Cmd
	pipe *os.File
}

func (c *Cluster) startWatchdog() (*watchdog, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("create watchdog pipe: %w", err)
	}
	defer func() { _ = r.Close() }()
	stop := c.command(context.Background(), c.bin.pgCtl, "stop", "-D", c.dir, "-m", "fast", "-w", "-s")
	cmd := exec.Command("/bin/sh", append([]string{"-c", `cat >/dev/null; exec "$@"`, "pgcluster-watchdog"}, stop.Args...)...)
	cmd.Stdin = r
	cmd.Dir = "/"
	// Its own session, so a Ctrl-C aimed at our process group does not kill it first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("start postgres watchdog: %w", err)
	}
	return &watchdog{cmd: cmd, pipe: w}, nil
}

// release ends the watchdog without letting it act: Stop has stopped the
// server, or it never started. It kills the watchdog's process group (sh and
// cat), which Setsid made ours alone.
func (w *watchdog) release() {
	if err := syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		_ = w.cmd.Process.Kill()
	}
	_ = w.cmd.Wait()
	_ = w.pipe.Close()
}
