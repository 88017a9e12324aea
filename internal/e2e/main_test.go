// Package e2e runs modeltender on the real stack: a private PostgreSQL
// cluster, the embedded Temporal server, the worker with every workflow and
// activity, OPA with the real policies, and the HTTP server on a random port.
// It is the one test package that links the Temporal server.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/app"
	"github.com/modeltender/modeltender/internal/config"
	"github.com/modeltender/modeltender/internal/devstack/pgtest"
	"github.com/modeltender/modeltender/internal/devstack/temporaldev"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, func(ctx context.Context, url string) error { return store.Migrate(ctx, url, io.Discard) })
}

// sharedTemporal is one in-memory Temporal server for the whole test binary;
// each test isolates itself on its own task queue and workflow ids.
var sharedTemporal = sync.OnceValues(func() (*temporaldev.Server, error) {
	return temporaldev.Start(context.Background(), temporaldev.Options{Namespace: "default"})
})

// stack is one running modeltender: its own database, a worker on its own
// task queue and an HTTP server.
type stack struct {
	t     *testing.T
	url   string
	store *store.Store
	app   *app.App
	users map[string]user // by short name
}

type user struct {
	domain.User
	token string
}

func startStack(t *testing.T) *stack {
	t.Helper()
	ts, err := sharedTemporal()
	if err != nil {
		t.Fatalf("start Temporal: %v", err)
	}
	env := map[string]string{
		"DATABASE_URL":           pgtest.NewDatabase(t),
		"TEMPORAL_ADDRESS":       ts.Address(),
		"TEMPORAL_NAMESPACE":     ts.Namespace(),
		"MODELTENDER_TASK_QUEUE": "e2e-" + domain.NewID("q"),
	}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("open app: %v", err)
	}
	w := a.NewWorker()
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		<-served
		w.Stop()
		a.Close()
	})
	s := &stack{t: t, url: "http://" + l.Addr().String(), store: a.Store, app: a, users: map[string]user{}}
	s.addUser("officer", domain.RoleOfficer, "Department of Digital Services", "agency")
	s.addUser("reviewer1", domain.RoleReviewer, "Department of Digital Services", "agency")
	s.addUser("reviewer2", domain.RoleReviewer, "Department of Digital Services", "agency")
	s.addUser("vendorA", domain.RoleVendor, "Northwind Models Inc.", "vendor")
	s.addUser("vendorB", domain.RoleVendor, "Open Weights Cooperative", "vendor")
	// A reviewer account inside a bidding company: separation of duties must stop it.
	s.addUser("insider", domain.RoleReviewer, "Northwind Models Inc.", "vendor")
	return s
}

func (s *stack) addUser(name string, role domain.Role, org, kind string) {
	ctx := context.Background()
	o, err := s.store.EnsureOrganisation(ctx, org, kind)
	if err != nil {
		s.t.Fatalf("organisation %s: %v", org, err)
	}
	u, token, err := s.store.CreateUser(ctx, name+"@example.test", role, o.ID)
	if err != nil {
		s.t.Fatalf("user %s: %v", name, err)
	}
	s.users[name] = user{User: u, token: token}
}

// response is an HTTP answer with its decoded JSON body.
type response struct {
	status      int
	contentType string
	body        []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) problem(t *testing.T) problem {
	t.Helper()
	var p problem
	r.decode(t, &p)
	return p
}

type problem struct {
	Type   string              `json:"type"`
	Status int                 `json:"status"`
	Detail string              `json:"detail"`
	Errors []domain.FieldError `json:"errors"`
}

// do sends a request as the named user ("" for none); body is JSON-encoded
// unless it is already []byte.
func (s *stack) do(as, method, path string, body any) response {
	s.t.Helper()
	var r io.Reader = http.NoBody
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		r = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if as != "" {
		req.Header.Set("Authorization", "Bearer "+s.users[as].token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: b}
}

// must sends a request and fails the test unless it answers want.
func (s *stack) must(want int, as, method, path string, body any) response {
	s.t.Helper()
	r := s.do(as, method, path, body)
	if r.status != want {
		s.t.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, as, r.status, want, r.body)
	}
	return r
}

// eventually polls cond until it holds or the timeout passes.
func (s *stack) eventually(what string, timeout time.Duration, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	trail, _ := s.store.AuditTrailAll(context.Background())
	s.t.Fatalf("timed out after %s waiting for %s; audit trail:\n%s", timeout, what, trail)
}

// manifest reads a manifest file as raw JSON.
func manifest(t *testing.T, name string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
