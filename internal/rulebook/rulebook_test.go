package rulebook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/devstack/pgtest"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/licensing"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/policies"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, func(ctx context.Context, url string) error { return store.Migrate(ctx, url, io.Discard) })
}

func openStore(t *testing.T) (*store.Store, string) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st, url
}

func embedded(t testing.TB) *policies.Bundle {
	t.Helper()
	b, err := policies.LoadBundle()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// countingLoader reads bundles from st and counts the reads.
func countingLoader(st *store.Store, loads *atomic.Int32) Loader {
	return func(ctx context.Context, revision string) (map[string][]byte, error) {
		loads.Add(1)
		return st.PolicyBundle(ctx, revision)
	}
}

func save(t *testing.T, st *store.Store, b *policies.Bundle) {
	t.Helper()
	if err := st.SavePolicyBundle(t.Context(), b.Revision(), b.Files()); err != nil {
		t.Fatal(err)
	}
}

// agencyBundle is the embedded bundle with the Class III preference points
// raised from 10 to 15, as an agency's policy directory.
func agencyBundle(t *testing.T) *policies.Bundle {
	t.Helper()
	return editedBundle(t, func(p string, content []byte) []byte {
		if p == "data/openness_defaults.json" {
			return bytes.Replace(content, []byte(`"III": 10`), []byte(`"III": 15`), 1)
		}
		return content
	})
}

// editedBundle is the embedded bundle written to a policy directory with
// each file passed through edit (nil drops the file), and loaded from it.
func editedBundle(t *testing.T, edit func(path string, content []byte) []byte) *policies.Bundle {
	t.Helper()
	dir := t.TempDir()
	for p, content := range embedded(t).Files() {
		if content = edit(p, content); content == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := policies.LoadBundle(policies.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// classIII is a real candidate that reaches MOF Class III: its score is the
// bundle's Class III preference points.
func classIII() policies.Input {
	return policies.Input{
		Criteria: domain.Criteria{SolicitationID: "sol-1", RiskTier: domain.RiskStandard, ExpectedMonthlyUsers: 50_000},
		Manifest: manifest(),
		AsOf:     time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC),
	}
}

func manifest() domain.Manifest {
	raw, err := os.ReadFile("../../examples/manifests/granite-3.1-8b-instruct.json")
	if err != nil {
		panic(err)
	}
	var m domain.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		panic(err)
	}
	return m
}

func TestStoreKeepsBundlesByRevision(t *testing.T) {
	st, _ := openStore(t)
	ctx := t.Context()
	b := embedded(t)
	save(t, st, b)
	save(t, st, b) // idempotent
	files, err := st.PolicyBundle(ctx, b.Revision())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(files, b.Files()) {
		t.Errorf("stored %d files, read back %d, not the same", len(b.Files()), len(files))
	}
	if _, err := st.PolicyBundle(ctx, "sha256:00"); domain.KindOf(err) != domain.ErrNotFound {
		t.Errorf("PolicyBundle of a revision never stored = %v, want not-found", err)
	}
}

func TestStoredRevisionJudgesAsTheOriginal(t *testing.T) {
	st, _ := openStore(t)
	ctx := t.Context()
	b := embedded(t)
	save(t, st, b)
	engine, analyzer, err := New(st.PolicyBundle, 0).For(ctx, b.Revision())
	if err != nil {
		t.Fatal(err)
	}
	wantEngine, err := policies.NewEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantAnalyzer, err := licensing.NewAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	if engine.Revision() != b.Revision() {
		t.Errorf("engine revision %s, want %s", engine.Revision(), b.Revision())
	}
	for _, tier := range []domain.RiskTier{domain.RiskStandard, domain.RiskHighImpact} {
		in := classIII()
		in.Criteria.RiskTier = tier
		report := analyzer.Review(in.Manifest, in.Criteria)
		if want := wantAnalyzer.Review(in.Manifest, in.Criteria); !reflect.DeepEqual(report, want) {
			t.Errorf("%s: license review\n%+v\nwant\n%+v", tier, report, want)
		}
		in.LicenseFindings = report.Findings
		in.LicenseNormalization = analyzer.Normalize(in.Manifest)
		got, err := engine.Decide(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		want, err := wantEngine.Decide(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: decision\n%+v\nwant\n%+v", tier, got, want)
		}
	}
}

func TestChangedBundleIsAnotherRevisionAndBothAreHeld(t *testing.T) {
	st, _ := openStore(t)
	ctx := t.Context()
	shipped, agency := embedded(t), agencyBundle(t)
	if shipped.Revision() == agency.Revision() {
		t.Fatal("changed preference points kept the revision")
	}
	save(t, st, shipped)
	save(t, st, agency)
	var loads atomic.Int32
	revisions := New(countingLoader(st, &loads), 2)
	scores := map[string]float64{}
	for range 3 {
		for _, b := range []*policies.Bundle{shipped, agency} {
			engine, _, err := revisions.For(ctx, b.Revision())
			if err != nil {
				t.Fatal(err)
			}
			d, err := engine.Decide(ctx, classIII())
			if err != nil {
				t.Fatal(err)
			}
			if d.Revision != b.Revision() {
				t.Errorf("decided under %s, want %s", d.Revision, b.Revision())
			}
			scores[b.Revision()] = d.Score
		}
	}
	if scores[shipped.Revision()] != 10 || scores[agency.Revision()] != 15 {
		t.Errorf("Class III scores %v, want 10 under the shipped revision and 15 under the agency's", scores)
	}
	if n := loads.Load(); n != 2 {
		t.Errorf("loaded %d bundles for 2 revisions used 3 times each", n)
	}

	// Holding one revision, alternating between two reloads each time.
	loads.Store(0)
	one := New(countingLoader(st, &loads), 1)
	for _, b := range []*policies.Bundle{shipped, agency, shipped} {
		if _, _, err := one.For(ctx, b.Revision()); err != nil {
			t.Fatal(err)
		}
	}
	if n := loads.Load(); n != 3 {
		t.Errorf("holding one revision, 3 alternating uses loaded %d times, want 3", n)
	}
}

func TestTamperedStoredBundleIsRefused(t *testing.T) {
	st, url := openStore(t)
	ctx := t.Context()
	b := embedded(t)
	save(t, st, b)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Someone lowers the Class III points in the stored copy.
	tag, err := conn.Exec(ctx, `UPDATE policy_bundle_files SET content = replace(encode(content, 'escape'), '"III": 10', '"III": 1')::bytea
		WHERE revision = $1 AND path = 'data/openness_defaults.json'`, b.Revision())
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("tamper: %v, %d rows", err, tag.RowsAffected())
	}
	var loads atomic.Int32
	revisions := New(countingLoader(st, &loads), 0)
	for range 2 {
		if _, _, err := revisions.For(ctx, b.Revision()); err == nil || !strings.Contains(err.Error(), "hashes to") {
			t.Errorf("For a tampered bundle = %v, want it refused", err)
		}
	}
	if n := loads.Load(); n != 2 {
		t.Errorf("loaded %d times for 2 requests, want the refusal not kept", n)
	}
}

func TestConcurrentRequestsPrepareOnce(t *testing.T) {
	st, _ := openStore(t)
	ctx := t.Context()
	b := embedded(t)
	save(t, st, b)
	var loads atomic.Int32
	release := make(chan struct{})
	revisions := New(func(ctx context.Context, revision string) (map[string][]byte, error) {
		<-release
		loads.Add(1)
		return st.PolicyBundle(ctx, revision)
	}, 0)
	const callers = 8
	engines := make([]*policies.Engine, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			var err error
			if engines[i], _, err = revisions.For(ctx, b.Revision()); err != nil {
				t.Error(err)
			}
		})
	}
	// Give the callers time to queue behind the first; one that comes later
	// finds the revision held, which also prepares once.
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Errorf("%d concurrent requests loaded the bundle %d times, want once", callers, n)
	}
	for i, e := range engines {
		if e != engines[0] {
			t.Errorf("caller %d got another engine", i)
		}
	}

	// A caller that gives up does not cancel the preparation others wait for.
	other := agencyBundle(t)
	save(t, st, other)
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := revisions.For(gone, other.Revision()); err == nil {
		t.Error("For with a cancelled context succeeded")
	}
	if _, _, err := revisions.For(ctx, other.Revision()); err != nil {
		t.Errorf("after a caller gave up: %v", err)
	}
}

func TestAddHoldsTheBundleAtHand(t *testing.T) {
	revisions := New(func(context.Context, string) (map[string][]byte, error) {
		t.Error("a revision added was loaded")
		return nil, nil
	}, 0)
	b := embedded(t)
	engine, _, err := revisions.Add(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := revisions.For(t.Context(), b.Revision())
	if err != nil || again != engine {
		t.Errorf("For the added revision = %p, %v; want the added engine %p", again, err, engine)
	}
}

// BenchmarkPrepareRevision loads and prepares a revision that is not held:
// the cost of the first candidate judged under it in a process.
func BenchmarkPrepareRevision(b *testing.B) {
	shipped := embedded(b)
	load := func(context.Context, string) (map[string][]byte, error) { return shipped.Files(), nil }
	b.ReportAllocs()
	for b.Loop() {
		// A new set each time, so the revision is never held.
		if _, _, err := New(load, 1).For(b.Context(), shipped.Revision()); err != nil {
			b.Fatal(err)
		}
	}
}

// The packs of a revision are those of its stored bundle, not this
// process's: a solicitation's requirements and notice stay as published.
func TestPacksAreThoseOfTheRevision(t *testing.T) {
	st, _ := openStore(t)
	ctx := t.Context()
	shipped := embedded(t)
	renamed := editedBundle(t, func(p string, content []byte) []byte {
		if p == "data/policy_packs.json" {
			return bytes.Replace(content, []byte(`"title": "`), []byte(`"title": "Renamed: `), 1)
		}
		return content
	})
	save(t, st, shipped)
	save(t, st, renamed)
	revisions := New(st.PolicyBundle, 0)
	want, err := policies.Packs(policies.FromBundle(shipped))
	if err != nil {
		t.Fatal(err)
	}
	got, err := revisions.Packs(ctx, shipped.Revision())
	if err != nil || !reflect.DeepEqual(got, want) || len(got) == 0 {
		t.Fatalf("packs of the shipped revision: %d, %v; want the %d shipped ones", len(got), err, len(want))
	}
	other, err := revisions.Packs(ctx, renamed.Revision())
	if err != nil || len(other) != len(want) || !strings.HasPrefix(other[0].Title, "Renamed: ") || other[0].Title == want[0].Title {
		t.Fatalf("packs of the renamed revision: %+v, %v", other, err)
	}

}
