// Command evalbench measures modeltender's evaluation pipeline on the
// embedded stack that `make run` uses: a private PostgreSQL cluster, the
// embedded Temporal server (in memory and file-backed SQLite) and the real
// worker with every workflow and activity.
//
// It reports two things (see bench/README.md):
//   - automated evaluations per second, with the approval step decided by a
//     client that polls the reviewers' inbox, next to a baseline workflow
//     that runs as many no-op activities and one Update round trip on the
//     same worker, in the same run;
//   - the worker's memory with many evaluations parked on an approval task,
//     measured on a worker running in a child process.
//
// Run it from the repository root: go run ./bench/evalbench -h
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/modeltender/modeltender/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("interrupted; servers stopped (%w)", err)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "evalbench:", err)
		os.Exit(1)
	}
}

// options are the command-line settings.
type options struct {
	n           int
	concurrency []int
	temporal    []string // memory | file
	poll        time.Duration
	manifest    string
	parked      int
	parkedCache int
	// stickyCaches are the worker's sticky cache sizes of the throughput
	// part, one set of rounds each, on the same server and database.
	stickyCaches []int
	parkedWait   time.Duration
	workerChild  bool
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("evalbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var levels, modes, caches string
	fs.IntVar(&o.n, "n", 200, "evaluations per measured round (and as many baseline workflows); 0 skips the throughput part")
	fs.StringVar(&levels, "concurrency", "20,50", "comma-separated numbers of evaluations in flight, one round each")
	fs.StringVar(&modes, "temporal", "memory,file", "comma-separated Temporal persistence modes for the throughput part: memory, file (SQLite in a temp dir, as `make run`)")
	fs.DurationVar(&o.poll, "poll", 20*time.Millisecond, "how often the deciding client polls for parked evaluations")
	fs.StringVar(&o.manifest, "manifest", filepath.FromSlash("examples/manifests/granite-3.1-8b-instruct.json"), "candidate manifest every evaluation reviews (evidence re-dated to a month ago)")
	fs.IntVar(&o.parked, "parked", 500, "evaluations to park on an approval task for the memory part (file-backed Temporal, worker in a child process); 0 skips it")
	fs.IntVar(&o.parkedCache, "parked-cache", config.DefaultStickyCacheSize, "sticky workflow cache size of the memory part's worker (MODELTENDER_WORKER_STICKY_CACHE)")
	fs.StringVar(&caches, "sticky-cache", strconv.Itoa(config.DefaultStickyCacheSize), "comma-separated sticky workflow cache sizes of the throughput part's worker, one set of rounds each")
	fs.DurationVar(&o.parkedWait, "parked-timeout", 45*time.Minute, "how long to wait for every evaluation of the memory part to park")
	fs.BoolVar(&o.workerChild, "worker-child", false, "internal: run as the worker process of the memory part (configured from the environment)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q: evalbench takes flags only (see -h)", fs.Args())
	}
	for f := range strings.SplitSeq(levels, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 {
			return o, fmt.Errorf("-concurrency %q: want positive integers separated by commas, e.g. 20,50", levels)
		}
		o.concurrency = append(o.concurrency, c)
	}
	for f := range strings.SplitSeq(caches, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 {
			return o, fmt.Errorf("-sticky-cache %q: want positive integers separated by commas, e.g. 10000,2000", caches)
		}
		o.stickyCaches = append(o.stickyCaches, c)
	}
	for f := range strings.SplitSeq(modes, ",") {
		m := strings.TrimSpace(f)
		if m != "memory" && m != "file" {
			return o, fmt.Errorf("-temporal %q: want memory, file or both separated by a comma", modes)
		}
		o.temporal = append(o.temporal, m)
	}
	if o.n < 0 || o.parked < 0 || o.parkedCache < 1 {
		return o, errors.New("-n and -parked cannot be negative, -parked-cache must be positive")
	}
	return o, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	if o.workerChild {
		return runWorkerChild(ctx, getenv, os.Stdin, stdout)
	}
	m, err := loadManifest(o.manifest)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "evalbench-")
	if err != nil {
		return fmt.Errorf("create work directory: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()

	pg, err := startPostgres(ctx, filepath.Join(dir, "pg"))
	if err != nil {
		return err
	}
	defer pg.stop()

	fmt.Fprintf(stdout, "evalbench: %s, GOMAXPROCS %d, load average at start %s\n", machine(), gomaxprocs(), loadAverage())
	if o.n > 0 {
		for _, mode := range o.temporal {
			if err := throughput(ctx, o, pg, mode, dir, m, stdout); err != nil {
				return fmt.Errorf("throughput with %s Temporal: %w", mode, err)
			}
		}
	}
	if o.parked > 0 {
		if err := parkedMemory(ctx, o, pg, dir, m, stdout, stderr); err != nil {
			return fmt.Errorf("parked evaluations: %w", err)
		}
	}
	return nil
}
