package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/modeltender/modeltender/internal/app"
	"github.com/modeltender/modeltender/internal/config"
	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/devstack/pgcluster"
	"github.com/modeltender/modeltender/internal/devstack/temporaldev"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/internal/store"
)

// taskQueue is the queue of the bench's worker; each run has its own servers.
const taskQueue = "evalbench"

// postgres is the private, non-durable cluster of one bench run.
type postgres struct{ cluster *pgcluster.Cluster }

func startPostgres(ctx context.Context, dir string) (*postgres, error) {
	c, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir, Durable: false})
	if err != nil {
		return nil, err
	}
	return &postgres{cluster: c}, nil
}

// database creates and migrates a fresh database, so every measurement starts
// from empty tables.
func (p *postgres) database(ctx context.Context, name string) (string, error) {
	if err := p.cluster.CreateDatabase(ctx, name, ""); err != nil {
		return "", err
	}
	url := p.cluster.URL(name)
	if err := store.Migrate(ctx, url, io.Discard); err != nil {
		return "", fmt.Errorf("migrate %s: %w", name, err)
	}
	return url, nil
}

func (p *postgres) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.cluster.Stop(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "evalbench:", err)
	}
}

// startTemporal starts the embedded server in memory or, for "file", in
// SQLite under dir, as `modeltender dev` does.
func startTemporal(ctx context.Context, mode, dir string) (*temporaldev.Server, error) {
	opts := temporaldev.Options{Namespace: "default"}
	if mode == "file" {
		opts.Dir = dir
	}
	return temporaldev.Start(ctx, opts)
}

// stack is modeltender's app with its worker running in this process, plus
// the baseline workflow registered on the same worker.
type stack struct {
	mode   string // Temporal persistence: memory | file
	app    *app.App
	worker worker.Worker
	people people
	parked *parkedSet // baseline workflows waiting for their decision
}

func openStack(ctx context.Context, mode, databaseURL string, ts *temporaldev.Server, stickyCache int) (*stack, error) {
	a, err := openApp(ctx, databaseURL, ts.Address(), ts.Namespace())
	if err != nil {
		return nil, err
	}
	s := &stack{mode: mode, app: a, parked: newParkedSet()}
	if s.people, err = seedPeople(ctx, a.Store); err != nil {
		a.Close()
		return nil, err
	}
	if err := s.startWorker(stickyCache); err != nil {
		a.Close()
		return nil, err
	}
	return s, nil
}

// startWorker starts the stack's worker with a sticky cache of the given
// size. The size is process-wide in the SDK and read when a worker is
// created with no other worker alive, so the previous worker must be stopped.
func (s *stack) startWorker(stickyCache int) error {
	s.app.Config.Worker = workerSettings(stickyCache)
	s.worker = s.app.NewWorker()
	registerBaseline(s.worker, s.parked)
	if err := s.worker.Start(); err != nil {
		return fmt.Errorf("start worker (sticky cache %d): %w", stickyCache, err)
	}
	return nil
}

func (s *stack) close() {
	s.worker.Stop()
	s.app.Close()
}

// workerSettings are the production defaults with another sticky cache
// size; the concurrency limit on workflow tasks stays within the cache.
func workerSettings(stickyCache int) config.Worker {
	return config.Worker{
		StickyCacheSize:  stickyCache,
		MaxWorkflowTasks: min(config.DefaultMaxWorkflowTasks, stickyCache),
		MaxActivities:    config.DefaultMaxActivities,
	}
}

func openApp(ctx context.Context, databaseURL, temporalAddress, namespace string) (*app.App, error) {
	cfg := config.Config{DatabaseURL: databaseURL, TemporalAddress: temporalAddress, TemporalNamespace: namespace, TaskQueue: taskQueue,
		Worker: workerSettings(config.DefaultStickyCacheSize)}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return app.Open(ctx, cfg, log)
}

// people are the organisations and users the evaluations refer to.
type people struct {
	agency, vendor    domain.Organisation
	officer, reviewer domain.User
	submitter         domain.User
}

func seedPeople(ctx context.Context, st *store.Store) (people, error) {
	var p people
	var err error
	if p.agency, err = st.EnsureOrganisation(ctx, "Department of Benchmarks", "agency"); err != nil {
		return p, err
	}
	if p.vendor, err = st.EnsureOrganisation(ctx, "Northwind Models Inc.", "vendor"); err != nil {
		return p, err
	}
	for _, u := range []struct {
		to    *domain.User
		email string
		role  domain.Role
		org   string
	}{
		{&p.officer, "officer@bench.test", domain.RoleOfficer, p.agency.ID},
		{&p.reviewer, "reviewer@bench.test", domain.RoleReviewer, p.agency.ID},
		{&p.submitter, "vendor@bench.test", domain.RoleVendor, p.vendor.ID},
	} {
		if *u.to, _, err = st.CreateUser(ctx, u.email, u.role, u.org); err != nil {
			return p, fmt.Errorf("create user %s: %w", u.email, err)
		}
	}
	return p, nil
}

// loadManifest reads and validates a manifest with its evidence re-dated to a
// month ago, so the safety policy never finds it expired.
func loadManifest(path string) (domain.Manifest, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return domain.Manifest{}, fmt.Errorf("read manifest: %w (run evalbench from the repository root or pass -manifest)", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return domain.Manifest{}, fmt.Errorf("decode %s: %w", path, err)
	}
	evidence, _ := doc["evidence"].([]any)
	for _, e := range evidence {
		if item, ok := e.(map[string]any); ok {
			item["date"] = time.Now().AddDate(0, -1, 0).Format(time.DateOnly)
		}
	}
	if raw, err = json.Marshal(doc); err != nil {
		return domain.Manifest{}, err
	}
	m, err := manifest.ParseJSON(raw, "")
	if err != nil {
		return domain.Manifest{}, fmt.Errorf("manifest %s: %w", path, err)
	}
	return m, nil
}

// solicitation is a published and closed solicitation whose candidates are
// evaluated directly, without a SolicitationWorkflow.
func seedSolicitation(ctx context.Context, st *store.Store, p people, revision string) (domain.Solicitation, error) {
	now := time.Now().UTC()
	sol := domain.Solicitation{
		ID: domain.NewID("sol"), AgencyOrgID: p.agency.ID, Title: "evalbench", RiskTier: domain.RiskStandard,
		Deadline: now, ExpectedMonthlyUsers: 25000, Status: domain.SolicitationDraft, CreatedBy: p.officer.ID, CreatedAt: now,
	}
	if err := st.CreateSolicitation(ctx, sol); err != nil {
		return sol, err
	}
	if err := st.MarkPublished(ctx, sol.ID, revision, now, store.AuditEvent{
		Key: "solicitation/" + sol.ID + "/published", At: now, Actor: p.officer.ID, Action: "solicitation.published",
		SubjectType: "solicitation", SubjectID: sol.ID, SolicitationID: sol.ID}); err != nil {
		return sol, err
	}
	if err := st.SetSolicitationStatus(ctx, sol.ID, domain.SolicitationClosed, now, store.AuditEvent{
		Key: "solicitation/" + sol.ID + "/closed", At: now, Actor: "system", Action: "solicitation.closed",
		SubjectType: "solicitation", SubjectID: sol.ID, SolicitationID: sol.ID,
	}); err != nil {
		return sol, err
	}
	return st.Solicitation(ctx, sol.ID)
}

// seedEvaluations stores n bids of one candidate each and returns the
// evaluation inputs the SolicitationWorkflow would give their children.
func seedEvaluations(ctx context.Context, st *store.Store, p people, sol domain.Solicitation, m domain.Manifest, n int) ([]contract.EvaluationInput, error) {
	inputs := make([]contract.EvaluationInput, n)
	hash := manifest.Hash(m)
	err := forEach(ctx, n, 8, func(i int) error {
		bid := domain.Bid{ID: domain.NewID("bid"), SolicitationID: sol.ID, VendorOrgID: p.vendor.ID, SubmittedBy: p.submitter.ID, SubmittedAt: sol.Deadline.Add(-time.Minute)}
		c := domain.Candidate{ID: domain.NewID("cnd"), BidID: bid.ID, Name: m.Name, ManifestHash: hash, Manifest: m}
		bid.Candidates = []domain.Candidate{c}
		if err := st.InsertBid(ctx, bid); err != nil {
			return err
		}
		id := contract.EvaluationWorkflowID(bid.ID, c.ID)
		inputs[i] = contract.EvaluationInput{
			Ref:      contract.EvaluationRef{SolicitationID: sol.ID, BidID: bid.ID, CandidateID: c.ID, VendorOrgID: bid.VendorOrgID, WorkflowID: id},
			Criteria: sol.Criteria(),
			AsOf:     sol.Deadline,
		}
		return nil
	})
	return inputs, err
}

// forEach calls fn for 0..n-1 with at most parallel calls at a time and
// returns the first error; after an error or cancellation it starts no more.
func forEach(ctx context.Context, n, parallel int, fn func(i int) error) error {
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		once  sync.Once
		first error
	)
	fail := func(err error) { once.Do(func() { first = err }) }
	var failed atomic.Bool
	for range min(parallel, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || failed.Load() {
					return
				}
				if err := ctx.Err(); err != nil {
					fail(err)
					failed.Store(true)
					return
				}
				if err := fn(i); err != nil {
					fail(err)
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// machine describes the CPU the numbers were taken on.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s), %s/%s", runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH)
}

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }

// loadAverage is the 1, 5 and 15 minute load average: the machine is shared,
// and the numbers mean little without it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return "unknown"
	}
	return string(bytes.Join(f[:3], []byte(" ")))
}

// tempSubdir returns a fresh directory under dir.
func tempSubdir(dir, name string) (string, error) {
	d := filepath.Join(dir, name)
	return d, os.MkdirAll(d, 0o755)
}
