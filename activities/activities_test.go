package activities

import (
	"context"
	"errors"
	"io"
	"maps"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/modeltender/modeltender/internal/check"
	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/devstack/pgtest"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/licensing"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/policies"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, func(ctx context.Context, url string) error { return store.Migrate(ctx, url, io.Discard) })
}

var at = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// fixture is a database with an agency, a vendor, a reviewer and a published
// solicitation, and the activities over it.
type fixture struct {
	acts     *Activities
	st       *store.Store
	bid      domain.Bid
	reviewer domain.User
	officer  domain.User
	ref      contract.EvaluationRef
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	engine, err := policies.NewEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	packs, err := policies.Packs()
	if err != nil {
		t.Fatal(err)
	}
	analyzer, err := licensing.NewAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	agency, err := st.EnsureOrganisation(ctx, "Agency", "agency")
	if err != nil {
		t.Fatal(err)
	}
	vendor, err := st.EnsureOrganisation(ctx, "Vendor", "vendor")
	if err != nil {
		t.Fatal(err)
	}
	officer, _, err := st.CreateUser(ctx, "officer@agency.test", domain.RoleOfficer, agency.ID)
	if err != nil {
		t.Fatal(err)
	}
	seller, _, err := st.CreateUser(ctx, "seller@vendor.test", domain.RoleVendor, vendor.ID)
	if err != nil {
		t.Fatal(err)
	}
	reviewer, _, err := st.CreateUser(ctx, "reviewer@agency.test", domain.RoleReviewer, agency.ID)
	if err != nil {
		t.Fatal(err)
	}
	sol := domain.Solicitation{ID: "sol_1", AgencyOrgID: agency.ID, Title: "t", RiskTier: domain.RiskStandard,
		Deadline: at.Add(time.Hour), Status: domain.SolicitationDraft, CreatedBy: officer.ID, CreatedAt: at}
	if err := st.CreateSolicitation(ctx, sol); err != nil {
		t.Fatal(err)
	}
	m := domain.Manifest{SchemaVersion: "1", Name: "granite", Weights: domain.Weights{License: "Apache-2.0"}}
	bid := domain.Bid{ID: "bid_1", SolicitationID: sol.ID, VendorOrgID: vendor.ID, SubmittedBy: seller.ID, SubmittedAt: at,
		Candidates: []domain.Candidate{{ID: "cnd_1", BidID: "bid_1", Name: m.Name, Manifest: m, ManifestHash: manifest.Hash(m)}}}
	return fixture{
		acts:     &Activities{Store: st, Check: check.New(check.Fixed{Engine: engine, Analyzer: analyzer, PackCatalogue: packs}), Now: func() time.Time { return at }},
		st:       st,
		bid:      bid,
		reviewer: reviewer,
		officer:  officer,
		ref: contract.EvaluationRef{SolicitationID: sol.ID, BidID: bid.ID, CandidateID: "cnd_1", VendorOrgID: vendor.ID,
			WorkflowID: "evaluation/bid_1/cnd_1"},
	}
}

// Temporal retries an activity whose result was lost; running every writing
// activity twice must leave exactly the rows one run leaves.
func TestActivitiesAreIdempotent(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	task := domain.Task{ID: "tsk-cnd_1-1", Kind: domain.TaskComplianceApproval, Status: domain.TaskOpen,
		SolicitationID: f.ref.SolicitationID, BidID: f.bid.ID, CandidateID: "cnd_1", VendorOrgID: f.ref.VendorOrgID,
		WorkflowID: f.ref.WorkflowID, Title: "Approve granite", FindingsHash: domain.HashFindings(nil), Approvals: 1, CreatedAt: at}
	decision := contract.DecisionRecord{SolicitationID: f.ref.SolicitationID, ClosesTask: true, Decision: domain.Decision{
		TaskID: task.ID, ReviewerID: f.reviewer.ID, Verdict: domain.VerdictApprove, ReasonCode: "meets-requirements",
		FindingsHash: task.FindingsHash, DecidedAt: at.Add(time.Minute)}}
	steps := []struct {
		name string
		run  func() error
	}{
		{"RecordBid", func() error { return f.acts.RecordBid(ctx, f.bid) }},
		{"SetSolicitationStatus", func() error {
			return f.acts.SetSolicitationStatus(ctx, contract.StatusChange{SolicitationID: f.ref.SolicitationID, Status: domain.SolicitationClosed, At: at})
		}},
		{"StartEvaluation", func() error { return f.acts.StartEvaluation(ctx, f.ref, "sha256:rev", at) }},
		{"RecordStage", func() error {
			return f.acts.RecordStage(ctx, f.ref, domain.StageUpdate{Stage: domain.StageIntake, Status: domain.StagePassed, At: at})
		}},
		{"OpenTask", func() error { return f.acts.OpenTask(ctx, task) }},
		{"EscalateTask", func() error {
			return f.acts.EscalateTask(ctx, contract.Escalation{SolicitationID: f.ref.SolicitationID, TaskID: task.ID, Level: 2, At: at, Reason: "too few reviewers"})
		}},
		{"AssignReviewer", func() error {
			return f.acts.AssignReviewer(ctx, contract.Assignment{SolicitationID: f.ref.SolicitationID, TaskID: task.ID, ReviewerID: f.reviewer.ID, OfficerID: f.officer.ID, At: at})
		}},
		{"RecordDecision", func() error { return f.acts.RecordDecision(ctx, decision) }},
		{"RecordException", func() error {
			return f.acts.RecordException(ctx, contract.TaskException{SolicitationID: f.ref.SolicitationID, TaskID: task.ID, OfficerID: f.officer.ID,
				Reason: "no second reviewer", ApprovalsCredited: 1, At: at})
		}},
		{"CompleteEvaluation", func() error {
			return f.acts.CompleteEvaluation(ctx, f.ref, contract.Outcome{Outcome: domain.OutcomeQualified, Score: 40, At: at})
		}},
	}
	for _, step := range steps {
		if err := step.run(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		once, err := f.st.TableCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := step.run(); err != nil {
			t.Fatalf("%s again: %v", step.name, err)
		}
		twice, err := f.st.TableCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(once, twice) {
			t.Errorf("%s is not idempotent:\nonce  %v\ntwice %v", step.name, once, twice)
		}
	}
	evals, err := f.st.EvaluationsForBid(ctx, f.bid.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evals) != 1 || evals[0].Outcome == nil || *evals[0].Outcome != domain.OutcomeQualified {
		t.Fatalf("evaluation after the run: %+v", evals)
	}
	if got, err := f.st.Task(ctx, task.ID); err != nil || got.Status != domain.TaskDecided {
		t.Fatalf("task after decision: %+v, %v", got, err)
	}
}

// Assigning a user who does not exist is refused once, not retried.
func TestAssignUnknownReviewerIsNotRetried(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	err := f.acts.AssignReviewer(ctx, contract.Assignment{SolicitationID: f.ref.SolicitationID, TaskID: "tsk-cnd_1-1",
		ReviewerID: "usr_nobody", OfficerID: f.officer.ID, At: at})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || appErr.Type() != string(domain.ErrNotFound) {
		t.Fatalf("want a non-retryable not-found error, got %v", err)
	}
}

// Intake re-validates the stored manifest and flags tampering.
func TestIntakeChecksTheStoredManifest(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.bid.Candidates[0].ManifestHash = "sha256:something-else"
	if err := f.acts.RecordBid(ctx, f.bid); err != nil {
		t.Fatal(err)
	}
	res, err := f.acts.Intake(ctx, f.ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Rule != "intake.digest-mismatch" || res.Findings[0].Severity != domain.SeverityDeny {
		t.Fatalf("findings: %+v", res.Findings)
	}
}

// A worker running another policy revision than the solicitation froze
// fails closed: a warn finding for a human, never a silent pass.
// A candidate of a solicitation frozen under a revision this worker cannot
// load goes to a reviewer; it is never judged by other rules.
func TestCheckPolicyRefusesOtherRevisions(t *testing.T) {
	f := newFixture(t)
	d, err := f.acts.CheckPolicy(context.Background(), contract.PolicyInput{
		Manifest: f.bid.Candidates[0].Manifest, AsOf: at,
		Criteria: domain.Criteria{RiskTier: domain.RiskStandard, PolicyRevision: "sha256:old"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range d.Warn {
		if w.Rule == check.RevisionUnavailableRule && d.Revision == "sha256:old" {
			return
		}
	}
	t.Fatalf("no warning that revision sha256:old is unavailable in %+v", d)
}

// The workflow's policy check resolves free-text license names as evaluate
// does, so class_if_licenses_normalized is filled in there too.
func TestCheckPolicyNormalizesLicenses(t *testing.T) {
	f := newFixture(t)
	m := f.bid.Candidates[0].Manifest
	m.Weights.License = "Apache 2.0"
	for _, name := range []string{"Model architecture", "Evaluation results", "Model card", "Data card", "Technical report"} {
		m.Components = append(m.Components, domain.Component{Name: name, License: "Apache-2.0", Included: true})
	}
	d, err := f.acts.CheckPolicy(context.Background(), contract.PolicyInput{
		Manifest: m, AsOf: at, Criteria: domain.Criteria{RiskTier: domain.RiskStandard},
	})
	if err != nil {
		t.Fatal(err)
	}
	if d.Openness.Class != nil || d.Openness.ClassIfLicensesNormalized == nil || *d.Openness.ClassIfLicensesNormalized != "III" {
		t.Errorf("class %v, normalized %v; want none as written and III with Apache 2.0 read as Apache-2.0",
			d.Openness.Class, d.Openness.ClassIfLicensesNormalized)
	}
}

// Monitoring re-checks before evidence expires: a red-team report (12-month
// limit) dated eleven months and three weeks ago moves the next re-check
// ahead of the 30-day interval.
func TestNextRecheckBeforeEvidenceExpires(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.bid.Candidates[0].Manifest.Evidence = []domain.EvidenceItem{
		{Kind: "model-card", Date: "2020-01-01"}, // no age limit
		{Kind: "red-team-report", Date: at.AddDate(0, -12, 21).Format("2006-01-02")},
	}
	f.bid.Candidates[0].ManifestHash = manifest.Hash(f.bid.Candidates[0].Manifest)
	if err := f.acts.RecordBid(ctx, f.bid); err != nil {
		t.Fatal(err)
	}
	next, err := f.acts.NextRecheck(ctx, f.ref, at, 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	dated, _ := time.Parse("2006-01-02", at.AddDate(0, -12, 21).Format("2006-01-02"))
	want := dated.AddDate(0, 12, -7)
	if !next.Equal(want) {
		t.Fatalf("next re-check %s, want %s (a week before the red-team report expires)", next, want)
	}
}
