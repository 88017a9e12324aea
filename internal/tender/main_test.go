package tender

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/modeltender/modeltender/internal/check"
	"github.com/modeltender/modeltender/internal/devstack/pgtest"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/licensing"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/policies"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, func(ctx context.Context, url string) error { return store.Migrate(ctx, url, io.Discard) })
}

// rules are the embedded policies and license knowledge base, compiled once
// for the whole package.
var rules = sync.OnceValues(func() (struct {
	engine   *policies.Engine
	analyzer *licensing.Analyzer
	packs    []policies.Pack
}, error) {
	var r struct {
		engine   *policies.Engine
		analyzer *licensing.Analyzer
		packs    []policies.Pack
	}
	var err error
	if r.engine, err = policies.NewEngine(context.Background()); err != nil {
		return r, err
	}
	if r.packs, err = policies.Packs(); err != nil {
		return r, err
	}
	r.analyzer, err = licensing.NewAnalyzer()
	return r, err
})

// sent is one update the service sent a workflow.
type sent struct {
	WorkflowID, Name, UpdateID string
	Arg                        any
}

// fakeTemporal is the part of the Temporal client the Service uses: it
// records workflow starts and updates and answers each update with what the
// test's answer function returns, through Temporal's data converter as the
// real client does. Any other client method panics (the embedded nil
// interface), so a use case that starts needing more shows up here.
type fakeTemporal struct {
	client.Client
	mu       sync.Mutex
	starts   []client.StartWorkflowOptions
	inputs   []any
	updates  []sent
	startErr error
	// answer plays the workflow: its result is decoded into the service's
	// result; an error is what the update handle's Get returns, except a
	// serviceerror.NotFound, which UpdateWorkflow returns as for a finished
	// workflow.
	answer func(workflowID, name string, arg any) (any, error)
}

func (f *fakeTemporal) ExecuteWorkflow(_ context.Context, opts client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.startErr != nil {
		return nil, f.startErr
	}
	f.starts = append(f.starts, opts)
	f.inputs = append(f.inputs, args...)
	return nil, nil
}

func (f *fakeTemporal) UpdateWorkflow(_ context.Context, opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.mu.Lock()
	answer := f.answer
	f.updates = append(f.updates, sent{WorkflowID: opts.WorkflowID, Name: opts.UpdateName, UpdateID: opts.UpdateID, Arg: opts.Args[0]})
	f.mu.Unlock()
	if opts.WaitForStage != client.WorkflowUpdateStageCompleted {
		return nil, errors.New("the service must wait for updates to complete")
	}
	var result any
	var err error
	if answer != nil {
		result, err = answer(opts.WorkflowID, opts.UpdateName, opts.Args[0])
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil, err
	}
	return &fakeHandle{workflowID: opts.WorkflowID, result: result, err: err}, nil
}

// sentUpdates returns the updates sent so far.
func (f *fakeTemporal) sentUpdates() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.updates...)
}

type fakeHandle struct {
	workflowID string
	result     any
	err        error
}

func (h *fakeHandle) WorkflowID() string { return h.workflowID }
func (h *fakeHandle) RunID() string      { return "run" }
func (h *fakeHandle) UpdateID() string   { return "update" }
func (h *fakeHandle) Get(_ context.Context, valuePtr any) error {
	if h.err != nil {
		return h.err
	}
	if valuePtr == nil || h.result == nil {
		return nil
	}
	p, err := converter.GetDefaultDataConverter().ToPayload(h.result)
	if err != nil {
		return err
	}
	return converter.GetDefaultDataConverter().FromPayload(p, valuePtr)
}

// refuse is a workflow update validator's rejection of kind.
func refuse(kind domain.ErrorKind, message string) error {
	return temporal.NewApplicationErrorWithOptions(message, string(kind), temporal.ApplicationErrorOptions{NonRetryable: true})
}

// finished is what Temporal answers an update to a workflow that has ended.
var finished = serviceerror.NewNotFound("workflow execution already completed")

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// world is a Service over a fresh database and a fake Temporal, with an
// agency (officer, reviewer, auditor, admin), a second agency's officer and
// reviewer, two vendors with a seller each and a reviewer account inside
// vendor A. Its
// clock stands at t0 until a test moves it.
type world struct {
	svc                               *Service
	st                                *store.Store
	dbURL                             string
	temporal                          *fakeTemporal
	now                               *time.Time
	agency, otherAgency               domain.Organisation
	vendorA, vendorB                  domain.Organisation
	officer, reviewer, auditor, admin domain.User
	otherOfficer, sellerA, sellerB    domain.User
	insider, otherReviewer            domain.User
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	r, err := rules()
	if err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewDatabase(t)
	st, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	now := t0
	w := &world{st: st, dbURL: url, temporal: &fakeTemporal{}, now: &now}
	w.svc = &Service{Store: st, Temporal: w.temporal, Policies: r.engine, Licenses: r.analyzer, Packs: r.packs, TaskQueue: "tender-test",
		Check: check.New(check.Fixed{Engine: r.engine, Analyzer: r.analyzer, PackCatalogue: r.packs}),
		Now:   func() time.Time { return *w.now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	org := func(name, kind string) domain.Organisation {
		o, err := st.EnsureOrganisation(ctx, name, kind)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	user := func(email string, role domain.Role, o domain.Organisation) domain.User {
		u, _, err := st.CreateUser(ctx, email, role, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	w.agency, w.otherAgency = org("Department of Digital Services", "agency"), org("Other Department", "agency")
	w.vendorA, w.vendorB = org("Northwind", "vendor"), org("Open Weights", "vendor")
	w.officer = user("officer@dds.test", domain.RoleOfficer, w.agency)
	w.reviewer = user("reviewer@dds.test", domain.RoleReviewer, w.agency)
	w.auditor = user("auditor@dds.test", domain.RoleAuditor, w.agency)
	w.admin = user("admin@dds.test", domain.RoleAdmin, w.agency)
	w.otherOfficer = user("officer@other.test", domain.RoleOfficer, w.otherAgency)
	w.otherReviewer = user("reviewer@other.test", domain.RoleReviewer, w.otherAgency)
	w.sellerA = user("seller@northwind.test", domain.RoleVendor, w.vendorA)
	w.sellerB = user("seller@openweights.test", domain.RoleVendor, w.vendorB)
	w.insider = user("reviewer@northwind.test", domain.RoleReviewer, w.vendorA)
	return w
}

// terms are valid draft terms with the deadline a week after t0.
func terms() Terms {
	users := int64(5000)
	return Terms{Title: "Text models for casework", RiskTier: "standard", Deadline: t0.Add(7 * 24 * time.Hour).Format(time.RFC3339),
		ExpectedMonthlyUsers: &users, UseCases: []string{"internal-productivity"}}
}

// published drafts and publishes a solicitation as the officer.
func (w *world) published(t *testing.T) domain.Solicitation {
	t.Helper()
	ctx := context.Background()
	d, err := w.svc.Draft(ctx, w.officer, terms())
	if err != nil {
		t.Fatal(err)
	}
	sol, err := w.svc.Publish(ctx, w.officer, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	return sol
}

// setStatus moves a solicitation as its workflow would.
func (w *world) setStatus(t *testing.T, solID string, status domain.SolicitationStatus) {
	t.Helper()
	err := w.st.SetSolicitationStatus(context.Background(), solID, status, *w.now, store.AuditEvent{
		Key: "status/" + solID + "/" + string(status), At: *w.now, Actor: "workflow", Action: "solicitation." + string(status),
		SubjectType: "solicitation", SubjectID: solID, SolicitationID: solID})
	if err != nil {
		t.Fatal(err)
	}
}

// storedBid stores a bid of seller on sol as the workflow's activity would.
func (w *world) storedBid(t *testing.T, sol domain.Solicitation, seller domain.User, id string) domain.Bid {
	t.Helper()
	m := domain.Manifest{SchemaVersion: "1", Name: "model-" + id, Weights: domain.Weights{License: "Apache-2.0"}}
	b := domain.Bid{ID: id, SolicitationID: sol.ID, VendorOrgID: seller.OrgID, SubmittedBy: seller.ID, SubmittedAt: *w.now,
		Candidates: []domain.Candidate{{ID: id + "-c1", BidID: id, Name: m.Name, Manifest: m, ManifestHash: "sha256:" + id}}}
	if err := w.st.InsertBid(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	b.Status, b.Revision = "submitted", 1
	return b
}

func requireKind(t *testing.T, err error, kind domain.ErrorKind) {
	t.Helper()
	if domain.KindOf(err) != kind {
		t.Fatalf("want a %s error, got %v", kind, err)
	}
}

// requireRefusal wants a domain error of kind whose message says mentions.
func requireRefusal(t *testing.T, err error, kind domain.ErrorKind, mentions string) {
	t.Helper()
	requireKind(t, err, kind)
	if !strings.Contains(err.Error(), mentions) {
		t.Fatalf("error %q does not say %q", err, mentions)
	}
}

func requireNoError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// requireNothingSent fails if the service sent any update since n were sent.
func (w *world) requireNothingSent(t *testing.T, n int) {
	t.Helper()
	if got := w.temporal.sentUpdates(); len(got) != n {
		t.Fatalf("%d updates sent, want %d: %+v", len(got), n, got[n:])
	}
}

// lastUpdate is the last update sent, which must have name.
func (w *world) lastUpdate(t *testing.T, name string) sent {
	t.Helper()
	u := w.temporal.sentUpdates()
	if len(u) == 0 {
		t.Fatalf("no update sent, want %s", name)
	}
	if last := u[len(u)-1]; last.Name != name {
		t.Fatalf("last update %s, want %s", last.Name, name)
	}
	return u[len(u)-1]
}

// requireField wants an invalid-input error naming field with a message
// that says mentions.
func requireField(t *testing.T, err error, field, mentions string) {
	t.Helper()
	requireKind(t, err, domain.ErrInvalid)
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("want a domain error, got %v", err)
	}
	for _, f := range de.Fields {
		if f.Field == field && strings.Contains(f.Message, mentions) {
			return
		}
	}
	t.Fatalf("no error on %s saying %q in %+v", field, mentions, de.Fields)
}
