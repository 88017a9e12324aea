package tender

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/modeltender/modeltender/internal/check"
	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/licensing"
	"github.com/modeltender/modeltender/policies"
)

// Each role may take the actions policies/data/permissions.json gives it
// and no other; a refusal says which role to sign in as, and a refused use
// case sends nothing to a workflow and writes nothing.
func TestAuthorizeRefusesPerRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	sol := w.published(t)
	b := w.storedBid(t, sol, w.sellerA, "bid_a")
	before := len(w.temporal.sentUpdates())
	counts, err := w.st.TableCounts(ctx)
	requireNoError(t, err)

	refusals := []struct {
		who   domain.User
		call  func(u domain.User) error
		hint  string
		label string
	}{
		{w.sellerA, func(u domain.User) error { _, err := w.svc.Draft(ctx, u, terms()); return err }, "sign in as a procurement officer", "vendor drafts"},
		{w.reviewer, func(u domain.User) error { _, err := w.svc.Publish(ctx, u, sol.ID); return err }, "sign in as a procurement officer", "reviewer publishes"},
		{w.sellerA, func(u domain.User) error {
			_, err := w.svc.Amend(ctx, u, sol.ID, Amendment{Description: "x"})
			return err
		}, "sign in as a procurement officer", "vendor amends"},
		{w.auditor, func(u domain.User) error { _, err := w.svc.Cancel(ctx, u, sol.ID, "why"); return err }, "sign in as a procurement officer", "auditor cancels"},
		{w.officer, func(u domain.User) error {
			_, err := w.svc.SubmitBid(ctx, u, sol.ID, BidSubmission{Candidates: candidatesJSON("x")})
			return err
		}, "sign in as a vendor user", "officer bids"},
		{w.reviewer, func(u domain.User) error { _, err := w.svc.Withdraw(ctx, u, b.ID); return err }, "", "reviewer withdraws"},
		{w.officer, func(u domain.User) error { _, err := w.svc.Ask(ctx, u, sol.ID, "?"); return err }, "", "officer asks"},
		{w.sellerA, func(u domain.User) error { _, err := w.svc.Answer(ctx, u, sol.ID, "qst_1", "!"); return err }, "", "vendor answers"},
		{w.officer, func(u domain.User) error { _, err := w.svc.Protest(ctx, u, sol.ID, "unfair"); return err }, "", "officer protests"},
		{w.sellerB, func(u domain.User) error {
			_, err := w.svc.DecideProtest(ctx, u, sol.ID, "prt_1", ProtestDecision{Outcome: "upheld", Decision: "yes"})
			return err
		}, "", "vendor decides a protest"},
		{w.sellerA, func(u domain.User) error {
			_, err := w.svc.RecommendAward(ctx, u, sol.ID, Recommendation{CandidateID: "c", Rationale: "r"})
			return err
		}, "", "vendor recommends"},
		{w.admin, func(u domain.User) error { _, err := w.svc.Bid(ctx, u, b.ID); return err }, "", "admin reads a bid"},
		{w.sellerA, func(u domain.User) error { _, err := w.svc.Tasks(ctx, u); return err }, "", "vendor lists tasks"},
		{w.officer, func(u domain.User) error {
			_, err := w.svc.Decide(ctx, u, "tsk_1", Verdict{Verdict: "approve", ReasonCode: "meets-requirements"})
			return err
		}, "sign in as a compliance reviewer", "officer decides"},
		{w.officer, func(u domain.User) error { _, err := w.svc.DeclareConflict(ctx, u, w.vendorA.ID, "r"); return err }, "", "officer declares a conflict"},
		{w.sellerA, func(u domain.User) error { _, err := w.svc.AuditTrail(ctx, u, sol.ID); return err }, "", "vendor reads the audit trail"},
		{w.sellerA, func(u domain.User) error { _, _, err := w.svc.Ranking(ctx, u, sol.ID); return err }, "", "vendor reads the ranking"},
		{w.reviewer, func(u domain.User) error { _, err := w.svc.Prechecks(ctx, u, b.ID); return err }, "", "reviewer reads pre-checks"},
		{w.sellerA, func(u domain.User) error {
			_, err := w.svc.AssignReviewer(ctx, u, "tsk_1", w.reviewer.ID)
			return err
		}, "", "vendor assigns a reviewer"},
		{w.reviewer, func(u domain.User) error {
			_, err := w.svc.AnswerClarification(ctx, u, "clr_1", ClarificationAnswer{Answer: "answer"})
			return err
		}, "", "reviewer answers a clarification"},
	}
	for _, r := range refusals {
		err := r.call(r.who)
		if domain.KindOf(err) != domain.ErrForbidden {
			t.Errorf("%s: %v, want forbidden", r.label, err)
			continue
		}
		if !strings.Contains(err.Error(), r.hint) {
			t.Errorf("%s: %q does not say %q", r.label, err, r.hint)
		}
	}
	w.requireNothingSent(t, before)
	after, err := w.st.TableCounts(ctx)
	requireNoError(t, err)
	for table, n := range counts {
		if after[table] != n {
			t.Errorf("refused calls changed %s from %d to %d rows", table, n, after[table])
		}
	}

	for _, allowed := range []struct {
		role   domain.User
		action string
	}{{w.officer, "solicitation:publish"}, {w.sellerA, "bid:submit"}, {w.reviewer, "task:decide"}, {w.auditor, "audit:read"}, {w.admin, "user:create"}} {
		if ok, err := w.svc.Allowed(ctx, allowed.role, allowed.action); err != nil || !ok {
			t.Errorf("%s may not %s: %v", allowed.role.Role, allowed.action, err)
		}
	}
}

// Validate names every wrong field at once; a draft with them is not stored.
func TestDraftValidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	users := int64(-1)
	days, standstill := 30.0, 61.0
	bad := Terms{Title: "  ", RiskTier: "extreme", Deadline: t0.Add(-time.Hour).Format(time.RFC3339), ExpectedMonthlyUsers: &users,
		MinimumOpennessClass: "IV", UseCases: []string{"astrology", "research", "research"},
		Weights:        &domain.ScoringWeights{Openness: 0.5, Safety: 0.5, Price: 0.5},
		OpennessPoints: &domain.PreferencePoints{ClassI: 1, ClassII: 2, ClassIII: 3}, EnquiryPeriodDays: &days, StandstillDays: &standstill}
	_, err := w.svc.Draft(ctx, w.officer, bad)
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.ErrInvalid {
		t.Fatalf("draft with bad terms: %v, want field errors", err)
	}
	fields := map[string]int{}
	for _, f := range de.Fields {
		fields[f.Field]++
	}
	for _, f := range []string{"title", "risk_tier", "deadline", "expected_monthly_users", "minimum_openness_class", "weights",
		"openness_preference_points", "enquiry_period_days", "standstill_days"} {
		if fields[f] != 1 {
			t.Errorf("field %s named %d times, want once; errors %+v", f, fields[f], de.Fields)
		}
	}
	if fields["use_cases"] != 2 {
		t.Errorf("use_cases named %d times, want twice (unknown and repeated)", fields["use_cases"])
	}
	if n := countSolicitations(t, w); n != 0 {
		t.Errorf("%d solicitations stored from invalid terms", n)
	}
	_, errs := w.svc.Validate(Terms{Deadline: "next tuesday"}, t0)
	if !hasField(errs, "deadline", "RFC 3339") {
		t.Errorf("an unreadable deadline: %+v", errs)
	}
	if _, errs := w.svc.Validate(terms(), t0); len(errs) != 0 {
		t.Errorf("valid terms refused: %+v", errs)
	}
}

func hasField(errs []domain.FieldError, field, mentions string) bool {
	for _, e := range errs {
		if e.Field == field && strings.Contains(e.Message, mentions) {
			return true
		}
	}
	return false
}

func countSolicitations(t *testing.T, w *world) int {
	t.Helper()
	counts, err := w.st.TableCounts(context.Background())
	requireNoError(t, err)
	return int(counts["solicitations"])
}

// A draft belongs to the officer's agency, gets the default weights,
// standstill and notice, and is seen only by that agency until published;
// editing it is audited; an officer without an agency cannot draft.
func TestDraftAndEdit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	tm := terms()
	tm.Title = "  Padded title "
	d, err := w.svc.Draft(ctx, w.officer, tm)
	requireNoError(t, err)
	stored, err := w.st.Solicitation(ctx, d.ID)
	requireNoError(t, err)
	if stored.Status != domain.SolicitationDraft || stored.AgencyOrgID != w.agency.ID || stored.Title != "Padded title" ||
		stored.Weights != domain.DefaultWeights || stored.StandstillDays != 10 || stored.AmendmentNoticeDays != 3 ||
		!stored.Deadline.Equal(t0.Add(7*24*time.Hour)) || stored.CreatedBy != w.officer.ID {
		t.Errorf("stored draft %+v", stored)
	}
	for _, u := range []domain.User{w.sellerA, w.otherOfficer} {
		_, err := w.svc.Solicitation(ctx, u, d.ID)
		requireKind(t, err, domain.ErrNotFound)
		list, err := w.svc.Solicitations(ctx, u)
		requireNoError(t, err)
		if len(list) != 0 {
			t.Errorf("%s sees another agency's draft: %+v", u.Email, list)
		}
	}
	if list, _ := w.svc.Solicitations(ctx, w.reviewer); len(list) != 1 {
		t.Errorf("the agency's reviewer sees %d solicitations, want its draft", len(list))
	}

	edited := terms()
	edited.Title, edited.RiskTier = "Edited", "high-impact"
	weights := domain.ScoringWeights{Openness: 0.25, Safety: 0.25, Price: 0.25, Fit: 0.25}
	edited.Weights = &weights
	*w.now = t0.Add(time.Hour)
	got, err := w.svc.EditDraft(ctx, w.officer, d.ID, edited)
	requireNoError(t, err)
	stored, _ = w.st.Solicitation(ctx, d.ID)
	if got.Title != "Edited" || stored.Title != "Edited" || stored.RiskTier != domain.RiskHighImpact || stored.Weights != weights {
		t.Errorf("edited draft %+v (returned %+v)", stored, got)
	}
	trail, err := w.st.AuditTrail(ctx, d.ID)
	requireNoError(t, err)
	if len(trail) != 1 || trail[0].Action != "solicitation.edited" || trail[0].Actor != w.officer.ID {
		t.Errorf("audit trail of the edit %+v", trail)
	}
	_, err = w.svc.EditDraft(ctx, w.otherOfficer, d.ID, edited)
	requireRefusal(t, err, domain.ErrForbidden, "may edit it")
	_, err = w.svc.EditDraft(ctx, w.officer, d.ID, Terms{})
	requireKind(t, err, domain.ErrInvalid)

	orgless := domain.User{ID: w.officer.ID, Email: w.officer.Email, Role: domain.RoleOfficer}
	_, err = w.svc.Draft(ctx, orgless, terms())
	requireRefusal(t, err, domain.ErrForbidden, "belongs to no agency")
	if n := countSolicitations(t, w); n != 1 {
		t.Errorf("%d solicitations, want 1", n)
	}
}

// Publishing freezes the policy revision and starts the solicitation's
// workflow with the frozen terms; a second publication, a publication after
// the deadline and editing after publication are refused; another agency's
// officer cannot publish.
func TestPublish(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	tm := terms()
	days := 2.0
	tm.EnquiryPeriodDays = &days
	d, err := w.svc.Draft(ctx, w.officer, tm)
	requireNoError(t, err)
	_, err = w.svc.Publish(ctx, w.otherOfficer, d.ID)
	requireRefusal(t, err, domain.ErrForbidden, "may publish it")

	*w.now = t0.Add(time.Hour)
	sol, err := w.svc.Publish(ctx, w.officer, d.ID)
	requireNoError(t, err)
	if sol.Status != domain.SolicitationPublished || sol.PolicyRevision != w.svc.Policies.Revision() || sol.PublishedAt == nil || !sol.PublishedAt.Equal(*w.now) {
		t.Errorf("published %+v", sol)
	}
	if len(w.temporal.starts) != 1 {
		t.Fatalf("%d workflows started, want 1", len(w.temporal.starts))
	}
	if s := w.temporal.starts[0]; s.ID != contract.SolicitationWorkflowID(d.ID) || s.TaskQueue != "tender-test" {
		t.Errorf("workflow started as %+v", s)
	}
	in, ok := w.temporal.inputs[0].(contract.SolicitationInput)
	if !ok {
		t.Fatalf("workflow input %T", w.temporal.inputs[0])
	}
	if in.SolicitationID != d.ID || in.AgencyOrgID != w.agency.ID || in.Criteria.PolicyRevision != sol.PolicyRevision ||
		!in.Deadline.Equal(sol.Deadline) || !in.EnquiryEnd.Equal(t0.Add(time.Hour+48*time.Hour)) || in.StandstillDays != 10 {
		t.Errorf("workflow input %+v", in)
	}
	trail, _ := w.st.AuditTrail(ctx, d.ID)
	if len(trail) != 1 || trail[0].Action != "solicitation.published" {
		t.Errorf("audit trail %+v, want the publication", trail)
	}

	_, err = w.svc.Publish(ctx, w.officer, d.ID)
	requireRefusal(t, err, domain.ErrConflict, "not a draft: it is already published")
	_, err = w.svc.EditDraft(ctx, w.officer, d.ID, terms())
	requireRefusal(t, err, domain.ErrConflict, "not a draft")
	if len(w.temporal.starts) != 1 {
		t.Errorf("a refused publication started a workflow")
	}
	if got, _ := w.st.Solicitation(ctx, d.ID); got.Title != tm.Title {
		t.Errorf("an edit after publication changed the title to %q", got.Title)
	}

	late, err := w.svc.Draft(ctx, w.officer, terms())
	requireNoError(t, err)
	*w.now = t0.Add(8 * 24 * time.Hour)
	_, err = w.svc.Publish(ctx, w.officer, late.ID)
	requireRefusal(t, err, domain.ErrDeadlinePassed, "has already passed")
	if got, _ := w.st.Solicitation(ctx, late.ID); got.Status != domain.SolicitationDraft {
		t.Errorf("a late publication left it %s", got.Status)
	}
}

// When the workflow cannot start nothing stays published, and the trail
// says it was reverted; a workflow already started (a retried publication) is fine.
func TestPublishWhenTheWorkflowCannotStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	d, err := w.svc.Draft(ctx, w.officer, terms())
	requireNoError(t, err)
	w.temporal.startErr = serviceerror.NewUnavailable("frontend down")
	_, err = w.svc.Publish(ctx, w.officer, d.ID)
	requireRefusal(t, err, domain.ErrUnavailable, "nothing was published")
	got, _ := w.st.Solicitation(ctx, d.ID)
	if got.Status != domain.SolicitationDraft || got.PolicyRevision != "" || got.PublishedAt != nil {
		t.Errorf("after a failed start: %+v", got)
	}
	// The publication committed with its audit row, and its reversal with
	// the row that says so: the trail never claims a publication that stands.
	trail, _ := w.st.AuditTrail(ctx, d.ID)
	if len(trail) != 2 || trail[0].Action != "solicitation.published" || trail[1].Action != "solicitation.publication-reverted" {
		t.Errorf("a failed publication's trail: %+v", trail)
	}

	w.temporal.startErr = serviceerror.NewWorkflowExecutionAlreadyStarted("started", "", "")
	sol, err := w.svc.Publish(ctx, w.officer, d.ID)
	requireNoError(t, err)
	if sol.Status != domain.SolicitationPublished {
		t.Errorf("with the workflow already running: %s", sol.Status)
	}
}

// An amendment needs a description and a readable deadline before it goes
// to the workflow; the workflow's refusal (after the deadline) reaches the
// officer with its kind, and a finished workflow is a conflict.
func TestAmendAndCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	sol := w.published(t)
	_, err := w.svc.Amend(ctx, w.officer, sol.ID, Amendment{Description: " "})
	requireKind(t, err, domain.ErrInvalid)
	_, err = w.svc.Amend(ctx, w.officer, sol.ID, Amendment{Description: "d", NewDeadline: "soon"})
	requireRefusal(t, err, domain.ErrInvalid, "not valid")
	w.requireNothingSent(t, 0)

	newDeadline := t0.Add(10 * 24 * time.Hour)
	w.temporal.answer = func(_, name string, arg any) (any, error) {
		req := arg.(contract.AmendRequest)
		a := domain.Amendment{ID: req.ID, SolicitationID: sol.ID, Seq: 1, Description: req.Description, PreviousDeadline: sol.Deadline,
			NewDeadline: *req.NewDeadline, AmendedBy: req.Actor.UserID, AmendedAt: *w.now}
		return a, w.st.Amend(ctx, a)
	}
	a, err := w.svc.Amend(ctx, w.officer, sol.ID, Amendment{Description: "more users", NewDeadline: newDeadline.Format(time.RFC3339)})
	requireNoError(t, err)
	up := w.lastUpdate(t, contract.AmendUpdate)
	req := up.Arg.(contract.AmendRequest)
	if up.WorkflowID != contract.SolicitationWorkflowID(sol.ID) || req.Actor.UserID != w.officer.ID || req.Actor.Role != domain.RoleOfficer ||
		req.NewDeadline == nil || !req.NewDeadline.Equal(newDeadline) || !strings.HasPrefix(req.ID, "amd_") {
		t.Errorf("sent %+v", up)
	}
	if a.ID != req.ID || a.Seq != 1 || !a.NewDeadline.Equal(newDeadline) {
		t.Errorf("amendment returned as %+v", a)
	}
	for _, u := range []domain.User{w.sellerB, w.auditor} {
		list, err := w.svc.Amendments(ctx, u, sol.ID)
		requireNoError(t, err)
		if len(list) != 1 || list[0].ID != a.ID || list[0].Description != "more users" {
			t.Errorf("%s reads the amendments as %+v", u.Email, list)
		}
	}
	draft, err := w.svc.Draft(ctx, w.officer, terms())
	requireNoError(t, err)
	_, err = w.svc.Amendments(ctx, w.sellerB, draft.ID)
	requireKind(t, err, domain.ErrNotFound)

	w.temporal.answer = func(string, string, any) (any, error) {
		return nil, refuse(domain.ErrConflict, "only an open solicitation can be amended: the deadline passed")
	}
	_, err = w.svc.Amend(ctx, w.officer, sol.ID, Amendment{Description: "too late"})
	requireRefusal(t, err, domain.ErrConflict, "only an open solicitation can be amended")
	w.temporal.answer = func(string, string, any) (any, error) { return nil, finished }
	_, err = w.svc.Amend(ctx, w.officer, sol.ID, Amendment{Description: "after the end"})
	requireRefusal(t, err, domain.ErrConflict, "has finished and accepts no more changes")
	// Another agency's officer sees the published solicitation, but the
	// service refuses its amendment before the workflow is asked (whose
	// validator refuses it too).
	sentBefore := len(w.temporal.sentUpdates())
	_, err = w.svc.Amend(ctx, w.otherOfficer, sol.ID, Amendment{Description: "not mine"})
	requireRefusal(t, err, domain.ErrForbidden, "only an officer of the agency that issued it")
	w.requireNothingSent(t, sentBefore)

	// A workflow task that failed before the workflow took the update in:
	// the same update is sent again, and given up as "try again" after a few.
	failures := 1
	w.temporal.answer = func(string, string, any) (any, error) {
		if failures > 0 {
			failures--
			return nil, serviceerror.NewWorkflowNotReady("Unable to perform workflow execution update due to unexpected workflow task failure.")
		}
		return domain.Amendment{ID: "amd_again"}, nil
	}
	before := len(w.temporal.sentUpdates())
	a, err = w.svc.Amend(ctx, w.officer, sol.ID, Amendment{Description: "after a failed task"})
	requireNoError(t, err)
	ups := w.temporal.sentUpdates()[before:]
	if a.ID != "amd_again" || len(ups) != 2 || ups[0].UpdateID == "" || ups[0].UpdateID != ups[1].UpdateID {
		t.Errorf("after one failed workflow task: %+v, sent %+v", a, ups)
	}
	failures = 100
	_, err = w.svc.Amend(ctx, w.officer, sol.ID, Amendment{Description: "every task fails"})
	requireRefusal(t, err, domain.ErrUnavailable, "try again")
	if n := len(w.temporal.sentUpdates()) - before - 2; n != updateAttempts {
		t.Errorf("sent %d times to a workflow whose every task fails, want %d", n, updateAttempts)
	}

	_, err = w.svc.Cancel(ctx, w.officer, sol.ID, "")
	requireKind(t, err, domain.ErrInvalid)
	w.temporal.answer = func(string, string, any) (any, error) {
		return nil, w.st.CancelSolicitation(ctx, sol.ID, "budget withdrawn", *w.now)
	}
	got, err := w.svc.Cancel(ctx, w.officer, sol.ID, "budget withdrawn")
	requireNoError(t, err)
	if got.Status != domain.SolicitationCancelled || got.CancelReason != "budget withdrawn" {
		t.Errorf("Cancel returned %+v, want the solicitation as it now stands", got)
	}
	if req := w.lastUpdate(t, contract.CancelUpdate).Arg.(contract.CancelRequest); req.Reason != "budget withdrawn" || req.Actor.UserID != w.officer.ID {
		t.Errorf("cancel sent %+v", req)
	}
}

// A vendor asks and the officer answers through the workflow; the published
// questions do not say who asked; a vendor cannot ask on a draft it cannot
// see, and the workflow's refusal after the enquiry period reaches it.
func TestAskAndAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	sol := w.published(t)
	draft, err := w.svc.Draft(ctx, w.officer, terms())
	requireNoError(t, err)

	_, err = w.svc.Ask(ctx, w.sellerA, sol.ID, "")
	requireKind(t, err, domain.ErrInvalid)
	_, err = w.svc.Ask(ctx, w.sellerA, draft.ID, "May we?")
	requireKind(t, err, domain.ErrNotFound)
	w.requireNothingSent(t, 0)

	w.temporal.answer = func(_, name string, arg any) (any, error) {
		switch name {
		case contract.AskQuestionUpdate:
			req := arg.(contract.QuestionRequest)
			q := domain.Question{ID: req.ID, SolicitationID: sol.ID, VendorOrgID: req.Actor.OrgID, AskedBy: req.Actor.UserID,
				Question: req.Question, AskedAt: *w.now}
			return q, w.st.InsertQuestion(ctx, q)
		case contract.AnswerQuestionUpdate:
			req := arg.(contract.AnswerRequest)
			return domain.Question{ID: req.QuestionID, Answer: req.Answer}, w.st.AnswerQuestion(ctx, req.QuestionID, req.Answer, req.Actor.UserID, *w.now)
		}
		return nil, errors.New("unexpected update " + name)
	}
	q, err := w.svc.Ask(ctx, w.sellerA, sol.ID, "May we bid two models?")
	requireNoError(t, err)
	if req := w.lastUpdate(t, contract.AskQuestionUpdate).Arg.(contract.QuestionRequest); req.Actor.OrgID != w.vendorA.ID ||
		req.Actor.Role != domain.RoleVendor || req.Question != "May we bid two models?" || req.ID != q.ID {
		t.Errorf("ask sent %+v, returned %+v", req, q)
	}
	_, err = w.svc.Answer(ctx, w.officer, sol.ID, q.ID, "")
	requireKind(t, err, domain.ErrInvalid)
	a, err := w.svc.Answer(ctx, w.officer, sol.ID, q.ID, "Yes.")
	requireNoError(t, err)
	if a.Answer != "Yes." {
		t.Errorf("answer returned %+v", a)
	}
	for _, u := range []domain.User{w.sellerB, w.officer, w.auditor} {
		qs, err := w.svc.Questions(ctx, u, sol.ID)
		requireNoError(t, err)
		if len(qs) != 1 || qs[0].Answer != "Yes." || qs[0].AskedBy != "" || qs[0].VendorOrgID != "" || qs[0].AnsweredBy != "" {
			t.Errorf("%s reads the questions as %+v: want them answered and anonymous", u.Email, qs)
		}
	}

	w.temporal.answer = func(string, string, any) (any, error) {
		return nil, refuse(domain.ErrConflict, "the enquiry period closed at 2026-11-04T09:00:00Z; questions are no longer accepted")
	}
	_, err = w.svc.Ask(ctx, w.sellerB, sol.ID, "Late question?")
	requireRefusal(t, err, domain.ErrConflict, "the enquiry period closed")
	w.temporal.answer = func(string, string, any) (any, error) { return nil, serviceerror.NewUnavailable("down") }
	_, err = w.svc.Ask(ctx, w.sellerB, sol.ID, "Anyone there?")
	requireRefusal(t, err, domain.ErrUnavailable, "try again shortly")
}

// A draft names its policy packs or takes the defaults of its tier (and of
// buying a large language model); an unknown pack is refused by its field,
// and the requirements a vendor sees follow the packs and the tier.
func TestDraftPolicyPacks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	tm := terms()
	d, err := w.svc.Draft(ctx, w.officer, tm)
	requireNoError(t, err)
	if !slices.Equal(d.Packs, []string{"omb-m-25-22"}) {
		t.Errorf("standard draft packs %v, want the tier's default omb-m-25-22", d.Packs)
	}
	tm.RiskTier, tm.LargeLanguageModel = "high-impact", true
	d, err = w.svc.EditDraft(ctx, w.officer, d.ID, tm)
	requireNoError(t, err)
	if !slices.Equal(d.Packs, []string{"omb-m-25-21", "omb-m-25-22", "omb-m-26-04"}) {
		t.Errorf("high-impact LLM draft packs %v", d.Packs)
	}
	_, err = w.svc.Requirements(ctx, w.sellerA, d.ID)
	requireKind(t, err, domain.ErrNotFound) // a draft is the agency's own
	req, err := w.svc.Requirements(ctx, w.officer, d.ID)
	requireNoError(t, err)
	terms := map[string]bool{}
	for _, a := range req.Attestations {
		if terms[a.Term] {
			t.Errorf("attestation %s listed twice", a.Term)
		}
		terms[a.Term] = true
	}
	kinds := map[string]bool{}
	for _, e := range req.Evidence {
		kinds[e.Kind] = true
	}
	if !terms["unbiased-ai-principles-accepted"] || !terms["no-training-on-government-data"] || !kinds["acceptable-use-policy"] || !kinds["impact-assessment"] {
		t.Errorf("requirements of a high-impact LLM solicitation: terms %v, evidence %v", terms, kinds)
	}

	tm.Packs = []string{"eu-gpai-documentation", "omb-m-99-99"}
	_, err = w.svc.EditDraft(ctx, w.officer, d.ID, tm)
	requireField(t, err, "packs", "omb-m-99-99: no such policy pack")
	tm.Packs = []string{"eu-gpai-documentation"}
	points := 150
	tm.OSAIDPreferencePoints = &points
	_, err = w.svc.EditDraft(ctx, w.officer, d.ID, tm)
	requireField(t, err, "osaid_preference_points", "0 to 100")
	points = 20
	tm.RequireOSAID = true
	d, err = w.svc.EditDraft(ctx, w.officer, d.ID, tm)
	requireNoError(t, err)
	c := d.Criteria()
	if !slices.Equal(c.Packs, []string{"eu-gpai-documentation"}) || !c.RequireOSAID || c.OSAIDPreferencePoints != 20 {
		t.Errorf("criteria frozen from the draft: %+v", c)
	}
}

// A published solicitation's requirements come from the packs of the
// revision it froze, not from the catalogue of the bundle this process runs
// now: a worker restarted with other rules shows vendors what was published.
func TestRequirementsFollowTheFrozenRevision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	sol := w.published(t)
	published, err := w.svc.Requirements(ctx, w.sellerA, sol.ID)
	requireNoError(t, err)
	if len(published.Packs) == 0 || len(published.Attestations) == 0 {
		t.Fatalf("requirements at publication: %+v", published)
	}
	w.svc.Packs = nil // this process now runs a bundle without packs
	later, err := w.svc.Requirements(ctx, w.sellerA, sol.ID)
	requireNoError(t, err)
	if !reflect.DeepEqual(later, published) {
		t.Errorf("requirements changed with the process's bundle:\n%+v\nwant\n%+v", later, published)
	}

	// Rules that cannot be loaded are an error, never another revision's packs.
	w.svc.Check = check.New(unavailableRules{})
	_, err = w.svc.Requirements(ctx, w.sellerA, sol.ID)
	if err == nil || !strings.Contains(err.Error(), "policy packs of revision "+sol.PolicyRevision) {
		t.Errorf("requirements of a revision not at hand: %v", err)
	}
}

// unavailableRules are rules whose every revision fails to load.
type unavailableRules struct{}

func (unavailableRules) For(context.Context, string) (*policies.Engine, *licensing.Analyzer, error) {
	return nil, nil, errors.New("bundle not stored")
}

func (unavailableRules) Packs(context.Context, string) ([]policies.Pack, error) {
	return nil, errors.New("bundle not stored")
}
