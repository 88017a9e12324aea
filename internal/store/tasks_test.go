package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

func taskID(t domain.Task) string { return t.ID }

// candidateTask is an open compliance task on candidate name of bid b.
func candidateTask(m market, id string, b domain.Bid, created time.Time) domain.Task {
	return domain.Task{ID: id, Kind: domain.TaskComplianceApproval, SolicitationID: m.sol.ID, BidID: b.ID,
		CandidateID: b.Candidates[0].ID, VendorOrgID: b.VendorOrgID, WorkflowID: "evaluation/" + b.ID, Title: "Approve " + id,
		FindingsHash: "sha256:f", Approvals: 1, CreatedAt: created}
}

func createTasks(t *testing.T, st *Store, tasks ...domain.Task) {
	t.Helper()
	for _, task := range tasks {
		requireNoError(t, st.CreateTask(context.Background(), task))
	}
}

// A task is read back as created, an award task without bid or vendor
// included; creating it again keeps the first.
func TestCreateTaskRoundTripAndRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	b := m.bid(t, "bid_a", m.sellerA, at, "granite")
	due := at.Add(48 * time.Hour)
	task := candidateTask(m, "tsk_1", b, at)
	task.Findings = []domain.Finding{{Rule: "license.unknown", Severity: domain.SeverityWarn, Message: "unknown clause"}}
	task.DueAt, task.Approvals = &due, 2
	task.ExcludedOrgIDs, task.ExcludedUserIDs = []string{m.vendorB.ID}, []string{m.officer.ID}
	award := domain.Task{ID: "tsk_award", Kind: domain.TaskAwardApproval, SolicitationID: m.sol.ID, WorkflowID: "solicitation/" + m.sol.ID,
		Title: "Approve the award", FindingsHash: "sha256:none", Approvals: 2, CreatedAt: at}
	createTasks(t, m.st, task, award)

	got, err := m.st.Task(ctx, "tsk_1")
	requireNoError(t, err)
	want := task
	want.Status = domain.TaskOpen
	got.CreatedAt, got.DueAt = got.CreatedAt.UTC(), ptr(got.DueAt.UTC())
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, want)
	}
	got, err = m.st.Task(ctx, "tsk_award")
	requireNoError(t, err)
	if got.BidID != "" || got.VendorOrgID != "" || got.Findings == nil || got.ExcludedOrgIDs == nil {
		t.Errorf("award task read back as %+v: want no bid, no vendor, empty (not nil) lists", got)
	}

	retry := task
	retry.Title, retry.Approvals = "changed", 5
	createTasks(t, m.st, retry)
	if got, _ := m.st.Task(ctx, "tsk_1"); got.Title != task.Title || got.Approvals != 2 {
		t.Errorf("a retried create changed the task: %+v", got)
	}
	_, err = m.st.Task(ctx, "tsk_ghost")
	requireKind(t, err, domain.ErrNotFound)

	bad := candidateTask(m, "tsk_bad", b, at)
	bad.Kind = "gut-feeling"
	requireFails(t, m.st.CreateTask(ctx, bad), "create task tsk_bad")
	if n := count(t, m.st, "tasks", ""); n != 2 {
		t.Errorf("%d tasks, want 2", n)
	}
}

func ptr[T any](v T) *T { return &v }

// A reviewer's inbox holds the open tasks it may decide, due first: not
// those on its own organisation's bids or an excluded organisation's, not
// those it is excluded from, has decided or that are closed.
func TestOpenTasksFor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	insider, _, err := m.st.CreateUser(ctx, "reviewer@northwind.test", domain.RoleReviewer, m.vendorA.ID)
	requireNoError(t, err)
	a := m.bid(t, "bid_a", m.sellerA, at, "a")
	b := m.bid(t, "bid_b", m.sellerB, at, "b")
	soon := at.Add(time.Hour)
	dueSoon := candidateTask(m, "tsk_due_soon", b, at.Add(5*time.Hour))
	dueSoon.DueAt = &soon
	excludedOrg := candidateTask(m, "tsk_excl_org", b, at)
	excludedOrg.ExcludedOrgIDs = []string{m.vendorA.ID}
	excludedUser := candidateTask(m, "tsk_excl_user", b, at)
	excludedUser.ExcludedUserIDs = []string{m.reviewer.ID}
	createTasks(t, m.st,
		candidateTask(m, "tsk_on_a", a, at.Add(2*time.Hour)),
		candidateTask(m, "tsk_on_b", b, at.Add(3*time.Hour)),
		dueSoon, excludedOrg, excludedUser,
		candidateTask(m, "tsk_closed", b, at),
		candidateTask(m, "tsk_decided", b, at))
	requireNoError(t, m.st.CloseTask(ctx, "tsk_closed", domain.TaskSuperseded, at))
	requireNoError(t, m.st.RecordDecision(ctx, domain.Decision{TaskID: "tsk_decided", ReviewerID: m.reviewer.ID,
		Verdict: domain.VerdictApprove, ReasonCode: "meets-requirements", FindingsHash: "sha256:f", DecidedAt: at}))

	inbox, err := m.st.OpenTasksFor(ctx, m.reviewer)
	requireNoError(t, err)
	if got := ids(inbox, taskID); got != "tsk_excl_org,tsk_due_soon,tsk_on_a,tsk_on_b" {
		t.Errorf("agency reviewer's inbox %s, want tsk_excl_org,tsk_due_soon,tsk_on_a,tsk_on_b", got)
	}
	// A vendor's reviewer is not the agency's: its inbox holds none of the
	// agency's tasks, on its own bids or a competitor's.
	inbox, err = m.st.OpenTasksFor(ctx, insider)
	requireNoError(t, err)
	if got := ids(inbox, taskID); got != "" {
		t.Errorf("Northwind reviewer's inbox %s, want none", got)
	}
	// A reviewer of another agency's team holds only the tasks an officer
	// assigned it to; one without an organisation likewise.
	outsider := mustUser(t, m.st, "reviewer@other.test", domain.RoleReviewer, mustOrg(t, m.st, "Other Agency", "agency"))
	requireNoError(t, m.st.AssignReviewer(ctx, TaskAssignment{TaskID: "tsk_on_b", ReviewerID: outsider.ID, AssignedBy: m.officer.ID, AssignedAt: at}))
	inbox, err = m.st.OpenTasksFor(ctx, outsider)
	requireNoError(t, err)
	if got := ids(inbox, taskID); got != "tsk_on_b" {
		t.Errorf("another agency's reviewer's inbox %s, want only its assigned tsk_on_b", got)
	}
	orgless := domain.User{ID: m.reviewer.ID + "-x", Role: domain.RoleReviewer}
	if inbox, err := m.st.OpenTasksFor(ctx, orgless); err != nil || len(inbox) != 0 {
		t.Errorf("a reviewer without an organisation sees %d open tasks (%v), want none it was not assigned", len(inbox), err)
	}
}

// Officers watch their agency's open tasks, escalated first; another
// agency's tasks are not theirs.
func TestAgencyTasks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	b := m.bid(t, "bid_a", m.sellerA, at, "a")
	createTasks(t, m.st, candidateTask(m, "tsk_1", b, at), candidateTask(m, "tsk_2", b, at.Add(time.Hour)),
		candidateTask(m, "tsk_3", b, at.Add(2*time.Hour)), candidateTask(m, "tsk_done", b, at))
	requireNoError(t, m.st.EscalateTask(ctx, "tsk_3", 2, "", at.Add(3*time.Hour)))
	requireNoError(t, m.st.EscalateTask(ctx, "tsk_2", 1, "", at.Add(3*time.Hour)))
	requireNoError(t, m.st.CloseTask(ctx, "tsk_done", domain.TaskDecided, at))
	list, err := m.st.AgencyTasks(ctx, m.agency.ID)
	requireNoError(t, err)
	if got := ids(list, taskID); got != "tsk_3,tsk_2,tsk_1" {
		t.Errorf("agency tasks %s, want tsk_3,tsk_2,tsk_1 (escalation level, then due)", got)
	}
	if list, err := m.st.AgencyTasks(ctx, m.vendorA.ID); err != nil || len(list) != 0 {
		t.Errorf("tasks of an organisation without solicitations: %v %v", list, err)
	}
}

// A reviewer decides a task once; the decisions list oldest first with the
// reviewer's role and organisation.
func TestRecordDecisionOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	b := m.bid(t, "bid_a", m.sellerA, at, "a")
	createTasks(t, m.st, candidateTask(m, "tsk_1", b, at))
	second, _, err := m.st.CreateUser(ctx, "second@agency.test", domain.RoleReviewer, m.agency.ID)
	requireNoError(t, err)
	reject := domain.Decision{TaskID: "tsk_1", ReviewerID: second.ID, Verdict: domain.VerdictReject, ReasonCode: "license-incompatible",
		Comment: "no", FindingsHash: "sha256:f", DecidedAt: at.Add(2 * time.Hour)}
	approve := domain.Decision{TaskID: "tsk_1", ReviewerID: m.reviewer.ID, Verdict: domain.VerdictApprove, ReasonCode: "meets-requirements",
		FindingsHash: "sha256:f", DecidedAt: at.Add(time.Hour)}
	requireNoError(t, m.st.RecordDecision(ctx, reject))
	requireNoError(t, m.st.RecordDecision(ctx, approve))
	flip := approve
	flip.Verdict, flip.DecidedAt = domain.VerdictReject, at.Add(3*time.Hour)
	requireNoError(t, m.st.RecordDecision(ctx, flip))

	ds, err := m.st.Decisions(ctx, "tsk_1")
	requireNoError(t, err)
	if len(ds) != 2 {
		t.Fatalf("%d decisions, want 2", len(ds))
	}
	if d := ds[0]; d.ReviewerID != m.reviewer.ID || d.Verdict != domain.VerdictApprove || d.ReviewerRole != domain.RoleReviewer || d.ReviewerOrgID != m.agency.ID {
		t.Errorf("first decision %+v: want the approval, kept over the later flip, with role and organisation", d)
	}
	if ds[1].Comment != "no" {
		t.Errorf("second decision %+v", ds[1])
	}
	bad := approve
	bad.ReviewerID, bad.TaskID = "usr_ghost", "tsk_1"
	requireFails(t, m.st.RecordDecision(ctx, bad), "record decision on tsk_1")
	bad = approve
	bad.ReviewerID, bad.Verdict = m.officer.ID, "maybe"
	requireFails(t, m.st.RecordDecision(ctx, bad), "record decision on tsk_1")
	if n := count(t, m.st, "decisions", ""); n != 2 {
		t.Errorf("%d decisions after refused ones, want 2", n)
	}
}

// A task closes once, and escalates only upwards.
func TestCloseAndEscalateTask(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	b := m.bid(t, "bid_a", m.sellerA, at, "a")
	createTasks(t, m.st, candidateTask(m, "tsk_1", b, at))
	requireNoError(t, m.st.CloseTask(ctx, "tsk_1", domain.TaskDecided, at.Add(time.Hour)))
	requireNoError(t, m.st.CloseTask(ctx, "tsk_1", domain.TaskSuperseded, at.Add(2*time.Hour)))
	if got, _ := m.st.Task(ctx, "tsk_1"); got.Status != domain.TaskDecided {
		t.Errorf("status %s, want decided kept", got.Status)
	}
	if n := count(t, m.st, "tasks", "closed_at = $1", at.Add(time.Hour)); n != 1 {
		t.Error("closed_at is not the first close")
	}

	requireNoError(t, m.st.EscalateTask(ctx, "tsk_1", 2, "no eligible reviewer left", at.Add(time.Hour)))
	requireNoError(t, m.st.EscalateTask(ctx, "tsk_1", 1, "", at.Add(2*time.Hour)))
	requireNoError(t, m.st.EscalateTask(ctx, "tsk_1", 2, "again", at.Add(3*time.Hour)))
	got, _ := m.st.Task(ctx, "tsk_1")
	if got.EscalationLevel != 2 || got.EscalationReason != "no eligible reviewer left" {
		t.Errorf("escalation %d %q, want level 2 with its first reason", got.EscalationLevel, got.EscalationReason)
	}
}

// The reviewers an officer may add to a task come from other agencies'
// teams: never the issuing agency (its own are eligible already), never a
// vendor organisation, bidding or not.
func TestAssignableReviewers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	b := m.bid(t, "bid_a", m.sellerA, at, "a")
	task := candidateTask(m, "tsk_a", b, at)
	createTasks(t, m.st, task)
	outsider := mustUser(t, m.st, "reviewer@other.test", domain.RoleReviewer, mustOrg(t, m.st, "Other Agency", "agency"))
	mustUser(t, m.st, "reviewer@northwind.test", domain.RoleReviewer, m.vendorA)
	mustUser(t, m.st, "reviewer@openweights.test", domain.RoleReviewer, m.vendorB)
	got, err := m.st.AssignableReviewers(ctx, task)
	requireNoError(t, err)
	if len(got) != 1 || got[0].ID != outsider.ID {
		t.Errorf("assignable reviewers %+v, want only the other agency's", got)
	}
}
