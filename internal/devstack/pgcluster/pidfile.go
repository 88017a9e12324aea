package pgcluster

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// postmaster is what a data directory's postmaster.pid says about its server.
type postmaster struct {
	pid, port int
}

// readPostmaster parses dir/postmaster.pid (line 1 is the pid, line 4 the
// port). The error wraps fs.ErrNotExist when no server claims dir.
func readPostmaster(dir string) (postmaster, error) {
	path := filepath.Join(dir, "postmaster.pid")
	data, err := os.ReadFile(path)
	if err != nil {
		return postmaster{}, fmt.Errorf("read %s: %w", path, err)
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) < 4 {
		return postmaster{}, fmt.Errorf("read %s: %d lines, want at least 4 (pid, directory, start time, port)", path, len(lines))
	}
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil {
		return postmaster{}, fmt.Errorf("read pid from %s: %w", path, err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil {
		return postmaster{}, fmt.Errorf("read port from %s: %w", path, err)
	}
	return postmaster{pid: pid, port: port}, nil
}

// alive reports whether pm.pid is a live postgres process. Checking the name
// matters: after a crash and a reboot (or a container restart) the pid in a
// stale postmaster.pid often belongs to some other process. A zombie counts as
// dead, since it no longer serves anything.
func (pm postmaster) alive() bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pm.pid))
	if err != nil {
		return false
	}
	// Format: "pid (comm) state ..."; comm may itself contain spaces and parentheses.
	open, end := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if open < 0 || end < open || len(stat) < end+3 {
		return false
	}
	return string(stat[open+1:end]) == "postgres" && stat[end+2] != 'Z'
}
