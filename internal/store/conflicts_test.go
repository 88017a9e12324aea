package store

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/devstack/pgtest"
	"github.com/modeltender/modeltender/internal/domain"
)

var at = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// reviewFixture is an agency with three reviewers and an officer, a second
// agency with a reviewer, a vendor with its own reviewer account, and one
// open compliance task on the vendor's bid.
type reviewFixture struct {
	st                            *Store
	agency, otherAgency, vendor   domain.Organisation
	r1, r2, r3, outsider, insider domain.User
	officer, auditor              domain.User
	task                          domain.Task
}

func newReviewFixture(t *testing.T) reviewFixture {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	f := reviewFixture{st: st}
	org := func(name, kind string) domain.Organisation { return mustOrg(t, st, name, kind) }
	user := func(email string, role domain.Role, o domain.Organisation) domain.User {
		return mustUser(t, st, email, role, o)
	}
	f.agency, f.otherAgency, f.vendor = org("Agency", "agency"), org("Other Agency", "agency"), org("Vendor", "vendor")
	f.officer = user("officer@agency.test", domain.RoleOfficer, f.agency)
	f.auditor = user("auditor@agency.test", domain.RoleAuditor, f.agency)
	f.r1 = user("r1@agency.test", domain.RoleReviewer, f.agency)
	f.r2 = user("r2@agency.test", domain.RoleReviewer, f.agency)
	f.r3 = user("r3@agency.test", domain.RoleReviewer, f.agency)
	f.outsider = user("r@other.test", domain.RoleReviewer, f.otherAgency)
	f.insider = user("r@vendor.test", domain.RoleReviewer, f.vendor)
	seller := user("seller@vendor.test", domain.RoleVendor, f.vendor)
	sol := domain.Solicitation{ID: "sol_1", AgencyOrgID: f.agency.ID, Title: "t", RiskTier: domain.RiskHighImpact,
		Deadline: at.Add(time.Hour), Status: domain.SolicitationDraft, CreatedBy: f.officer.ID, CreatedAt: at}
	if err := st.CreateSolicitation(ctx, sol); err != nil {
		t.Fatal(err)
	}
	m := domain.Manifest{SchemaVersion: "1", Name: "granite", Weights: domain.Weights{License: "Apache-2.0"}}
	bid := domain.Bid{ID: "bid_1", SolicitationID: sol.ID, VendorOrgID: f.vendor.ID, SubmittedBy: seller.ID, SubmittedAt: at,
		Candidates: []domain.Candidate{{ID: "cnd_1", BidID: "bid_1", Name: m.Name, Manifest: m, ManifestHash: "sha256:m"}}}
	if err := st.InsertBid(ctx, bid); err != nil {
		t.Fatal(err)
	}
	f.task = domain.Task{ID: "tsk-cnd_1-1", Kind: domain.TaskComplianceApproval, SolicitationID: sol.ID, BidID: bid.ID,
		CandidateID: "cnd_1", VendorOrgID: f.vendor.ID, WorkflowID: "evaluation/bid_1/cnd_1", Title: "Approve granite",
		FindingsHash: domain.HashFindings(nil), Approvals: 2, CreatedAt: at}
	if err := st.CreateTask(ctx, f.task); err != nil {
		t.Fatal(err)
	}
	return f
}

func requireKind(t *testing.T, err error, kind domain.ErrorKind) {
	t.Helper()
	if domain.KindOf(err) != kind {
		t.Fatalf("want a %s error, got %v", kind, err)
	}
}

// A conflict stands once: declaring it again is refused; withdrawn, it no
// longer keeps the reviewer from tasks, stays on record with the reason and
// an audit event, and may be declared again.
func TestConflictDeclaredOnceAndWithdrawn(t *testing.T) {
	ctx := context.Background()
	f := newReviewFixture(t)
	if err := f.st.DeclareConflict(ctx, f.r1.ID, f.vendor.ID, "former employee", at); err != nil {
		t.Fatal(err)
	}
	requireKind(t, f.st.DeclareConflict(ctx, f.r1.ID, f.vendor.ID, "again", at.Add(time.Minute)), domain.ErrConflict)
	if inbox, err := f.st.OpenTasksFor(ctx, f.r1); err != nil || len(inbox) != 0 {
		t.Fatalf("a conflicted reviewer's inbox: %v %v", inbox, err)
	}

	requireKind(t, f.st.WithdrawConflict(ctx, f.r1.ID, f.agency.ID, "never declared", at), domain.ErrNotFound)
	if err := f.st.WithdrawConflict(ctx, f.r1.ID, f.vendor.ID, "left the company in 2019", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	requireKind(t, f.st.WithdrawConflict(ctx, f.r1.ID, f.vendor.ID, "twice", at.Add(2*time.Hour)), domain.ErrNotFound)
	if c, err := f.st.Conflicts(ctx, f.r1.ID); err != nil || len(c) != 0 {
		t.Fatalf("standing conflicts after withdrawal: %v %v", c, err)
	}
	if d, err := f.st.DeclaredConflicts(ctx, f.r1.ID); err != nil || len(d) != 0 {
		t.Fatalf("declared conflicts after withdrawal: %v %v", d, err)
	}
	if inbox, err := f.st.OpenTasksFor(ctx, f.r1); err != nil || len(inbox) != 1 {
		t.Fatalf("the inbox after withdrawal: %v %v", inbox, err)
	}
	var withdrawn int
	var reason string
	if err := f.st.pool.QueryRow(ctx, `SELECT count(*), max(withdrawal_reason) FROM conflicts_of_interest
		WHERE reviewer_id = $1 AND withdrawn_at = $2`, f.r1.ID, at.Add(time.Hour)).Scan(&withdrawn, &reason); err != nil {
		t.Fatal(err)
	}
	if withdrawn != 1 || reason != "left the company in 2019" {
		t.Fatalf("the withdrawn declaration on record: %d rows, reason %q", withdrawn, reason)
	}
	trail, err := f.st.AuditTrailAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(trail, "conflict.withdrawn "+f.vendor.ID+" ") || !strings.Contains(trail, "left the company in 2019") {
		t.Fatalf("audit trail lacks the withdrawal:\n%s", trail)
	}

	if err := f.st.DeclareConflict(ctx, f.r1.ID, f.vendor.ID, "rejoined as adviser", at.Add(3*time.Hour)); err != nil {
		t.Fatalf("declare again after withdrawal: %v", err)
	}
	if c, err := f.st.Conflicts(ctx, f.r1.ID); err != nil || !slices.Equal(c, []string{f.vendor.ID}) {
		t.Fatalf("standing conflicts: %v %v", c, err)
	}
}

// The eligible reviewers of a task are the issuing agency's, less those with
// a standing conflict with a bidder and those excluded; a withdrawn
// conflict no longer counts.
func TestEligibleReviewers(t *testing.T) {
	ctx := context.Background()
	f := newReviewFixture(t)
	for _, c := range []struct{ reviewer, org string }{{f.r2.ID, f.vendor.ID}, {f.r3.ID, f.vendor.ID}} {
		if err := f.st.DeclareConflict(ctx, c.reviewer, c.org, "advised them", at); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.st.WithdrawConflict(ctx, f.r3.ID, f.vendor.ID, "contract ended", at); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.EligibleReviewers(ctx, f.task)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{f.r1.ID, f.r3.ID}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("eligible reviewers %v, want r1 and r3 %v", got, want)
	}

	// An award task names every bidder and the recommending user instead of one vendor.
	award := f.task
	award.VendorOrgID, award.ExcludedOrgIDs, award.ExcludedUserIDs = "", []string{f.vendor.ID}, []string{f.r1.ID}
	if got, err = f.st.EligibleReviewers(ctx, award); err != nil || !slices.Equal(got, []string{f.r3.ID}) {
		t.Fatalf("eligible reviewers of the award task: %v %v, want [%s]", got, err, f.r3.ID)
	}
}

// An officer's assignment names an existing reviewer, is stored once and
// listed with the task.
func TestAssignReviewer(t *testing.T) {
	ctx := context.Background()
	f := newReviewFixture(t)
	a := TaskAssignment{TaskID: f.task.ID, ReviewerID: f.outsider.ID, AssignedBy: f.officer.ID, AssignedAt: at}
	for range 2 { // idempotent
		if err := f.st.AssignReviewer(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	nobody := a
	nobody.ReviewerID = "usr_nobody"
	requireKind(t, f.st.AssignReviewer(ctx, nobody), domain.ErrNotFound)
	auditor := a
	auditor.ReviewerID = f.auditor.ID
	requireKind(t, f.st.AssignReviewer(ctx, auditor), domain.ErrInvalid)
	if _, _, err := f.st.Reviewer(ctx, f.auditor.ID); domain.KindOf(err) != domain.ErrInvalid {
		t.Fatalf("an auditor named as reviewer: %v", err)
	}
	if _, _, err := f.st.Reviewer(ctx, "usr_nobody"); domain.KindOf(err) != domain.ErrNotFound {
		t.Fatalf("an unknown reviewer: %v", err)
	}
	if err := f.st.DeclareConflict(ctx, f.outsider.ID, f.vendor.ID, "advised them", at); err != nil {
		t.Fatal(err)
	}
	if u, conflicts, err := f.st.Reviewer(ctx, f.outsider.ID); err != nil || u.OrgID != f.otherAgency.ID || !slices.Equal(conflicts, []string{f.vendor.ID}) {
		t.Fatalf("the outsider as reviewer: %+v %v %v", u, conflicts, err)
	}
	got, err := f.st.TaskAssignments(ctx, f.task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ReviewerID != f.outsider.ID || got[0].AssignedBy != f.officer.ID || !got[0].AssignedAt.Equal(at) {
		t.Fatalf("assignments: %+v", got)
	}
}

// An escalation for want of reviewers keeps its reason with the task.
func TestEscalationReason(t *testing.T) {
	ctx := context.Background()
	f := newReviewFixture(t)
	reason := "1 eligible reviewer(s) left for the 2 approval(s)"
	if err := f.st.EscalateTask(ctx, f.task.ID, 2, reason, at); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.Task(ctx, f.task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.EscalationLevel != 2 || got.EscalationReason != reason {
		t.Fatalf("escalated task: level %d, reason %q", got.EscalationLevel, got.EscalationReason)
	}
}
