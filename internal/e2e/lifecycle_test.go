package e2e

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
)

// highImpactEvidence is what OMB M-25-21 adds for high-impact use.
var highImpactEvidence = []string{"pre-deployment-testing", "impact-assessment", "third-party-red-team",
	"human-oversight-plan", "monitoring-plan", "remedies-and-appeals", "genai-risk-coverage"}

// highImpactManifest is the Granite example named name with every
// high-impact evidence kind added, dated a month ago.
func highImpactManifest(t *testing.T, name string) json.RawMessage {
	return exampleManifest(t, "granite-3.1-8b-instruct.json", func(m map[string]any) {
		m["name"] = name
		ev := m["evidence"].([]any)
		for _, kind := range highImpactEvidence {
			ev = append(ev, map[string]any{"kind": kind, "title": kind + " for benefits correspondence",
				"location": "https://example.org/evidence/" + kind + ".pdf", "scope": "benefits correspondence drafting",
				"date": time.Now().AddDate(0, -1, 0).Format("2006-01-02")})
		}
		m["evidence"] = ev
	})
}

// The whole high-impact procurement on the real stack: two vendors, three
// candidates, Q&A, one clarification with an amended manifest, two distinct
// approvals per candidate and for the award, one protest, the award and its
// OCDS notice.
func TestHighImpactLifecycle(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	sol := s.publish(10*time.Second, "high-impact", map[string]any{
		"standstill_days": 6.0 / 86400, "weights": map[string]float64{"openness": 0.3, "safety": 0.3, "price": 0.4},
	})
	path := "/api/v1/solicitations/" + sol.ID

	// Bids with prices; each vendor sees its own pre-check at once.
	var bidA, bidB bidResult
	s.must(http.StatusCreated, "vendorA", "POST", path+"/bids", map[string]any{
		"candidates": []json.RawMessage{highImpactManifest(t, "granite-3.1-8b-instruct"), highImpactManifest(t, "granite-3.1-2b-instruct")},
		"price":      map[string]any{"amount": 120000, "currency": "USD"},
	}).decode(t, &bidA)
	s.must(http.StatusCreated, "vendorB", "POST", path+"/bids", map[string]any{
		"candidates": []json.RawMessage{highImpactManifest(t, "openweights-chat-8b")},
		"price":      map[string]any{"amount": 95000, "currency": "USD"},
	}).decode(t, &bidB)
	var pre struct{ Prechecks []domain.Precheck }
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/bids/"+bidA.ID+"/precheck", nil).decode(t, &pre)
	if len(pre.Prechecks) != 2 || pre.Prechecks[0].Outcome != "pass" {
		t.Fatalf("pre-check of A: %+v", pre.Prechecks)
	}
	s.must(http.StatusNotFound, "vendorB", "GET", "/api/v1/bids/"+bidA.ID+"/precheck", nil)
	s.must(http.StatusConflict, "vendorA", "POST", path+"/bids", map[string]any{
		"candidates": []json.RawMessage{highImpactManifest(t, "second-bid")}})

	// Q&A, published without naming who asked.
	var q domain.Question
	s.must(http.StatusCreated, "vendorB", "POST", path+"/questions", map[string]any{"question": "May the model run air-gapped?"}).decode(t, &q)
	s.must(http.StatusOK, "officer", "POST", path+"/questions/"+q.ID+"/answer", map[string]any{"answer": "Yes; it must."})
	var qa struct{ Questions []domain.Question }
	s.must(http.StatusOK, "vendorA", "GET", path+"/questions", nil).decode(t, &qa)
	if len(qa.Questions) != 1 || qa.Questions[0].Answer != "Yes; it must." || qa.Questions[0].VendorOrgID != "" || qa.Questions[0].AskedBy != "" {
		t.Fatalf("published Q&A: %+v", qa.Questions)
	}

	// After the deadline every candidate waits for two distinct approvals;
	// on A's first candidate a reviewer asks a clarification first.
	a1, a2, b1 := bidA.Candidates[0].ID, bidA.Candidates[1].ID, bidB.Candidates[0].ID
	first := s.openTask("reviewer1", a1, domain.TaskComplianceApproval)
	if first.Approvals != 2 {
		t.Fatalf("a high-impact candidate needs 2 approvals, task says %d", first.Approvals)
	}
	var clar domain.Clarification
	s.must(http.StatusCreated, "reviewer1", "POST", "/api/v1/tasks/"+first.ID+"/clarification",
		map[string]any{"question": "Which languages did the red team cover?", "answer_within_hours": 1}).decode(t, &clar)
	s.must(http.StatusConflict, "reviewer2", "POST", "/api/v1/tasks/"+first.ID+"/decision",
		map[string]any{"verdict": "approve", "reason_code": "meets-requirements"})
	amended := highImpactManifest(t, "granite-3.1-8b-instruct")
	s.must(http.StatusOK, "vendorA", "POST", "/api/v1/clarifications/"+clar.ID+"/answer",
		map[string]any{"answer": "English and Spanish; the report is amended.", "manifest": amended})
	for _, cand := range []string{a1, a2, b1} {
		approveTwice(s, cand)
	}
	for _, b := range []string{bidA.ID, bidB.ID} {
		var ev evaluations
		s.eventually("outcomes of "+b, time.Minute, func() bool {
			s.must(http.StatusOK, "officer", "GET", "/api/v1/bids/"+b+"/evaluations", nil).decode(t, &ev)
			for _, e := range ev.Evaluations {
				if e.Outcome == nil || *e.Outcome != domain.OutcomeQualified {
					return false
				}
			}
			return len(ev.Evaluations) > 0
		})
	}
	var cl struct{ Clarifications []domain.Clarification }
	s.must(http.StatusOK, "officer", "GET", "/api/v1/bids/"+bidA.ID+"/clarifications", nil).decode(t, &cl)
	if len(cl.Clarifications) != 1 || cl.Clarifications[0].AnsweredAt == nil {
		t.Fatalf("clarifications: %+v", cl.Clarifications)
	}

	// The ranking weighs price: B is cheapest. The officer recommends B; the
	// award needs two reviewers, neither from a bidder.
	var ranking struct{ Ranking []domain.RankedCandidate }
	s.eventually("the ranking", time.Minute, func() bool {
		r := s.do("officer", "GET", path+"/ranking", nil)
		r.decode(t, &ranking)
		return r.status == http.StatusOK && len(ranking.Ranking) == 3
	})
	if ranking.Ranking[0].CandidateID != b1 || ranking.Ranking[0].Breakdown["price"] <= ranking.Ranking[1].Breakdown["price"] {
		t.Fatalf("ranking: %+v", ranking.Ranking)
	}
	// The officer's fit score goes on the record and ranks again (its weight
	// here is 0); it is taken once the solicitation is evaluated.
	s.eventually("the solicitation to be evaluated", time.Minute, func() bool {
		var cur domain.Solicitation
		s.must(http.StatusOK, "officer", "GET", path, nil).decode(t, &cur)
		return cur.Status == domain.SolicitationEvaluated
	})
	var reranked []domain.RankedCandidate
	s.must(http.StatusOK, "officer", "POST", path+"/fit", map[string]any{"candidate_id": a1, "score": 90, "note": "tested on our correspondence"}).decode(t, &reranked)
	if len(reranked) != 3 || reranked[0].CandidateID != b1 {
		t.Fatalf("ranking after the fit score: %+v", reranked)
	}
	s.must(http.StatusUnprocessableEntity, "officer", "POST", path+"/fit", map[string]any{"candidate_id": a1, "note": "no score"})
	aw := s.awardTo(sol.ID, b1, "reviewer1")
	s.must(http.StatusForbidden, "insider", "POST", "/api/v1/tasks/"+s.awardTask("reviewer2", aw.ID).ID+"/decision",
		map[string]any{"verdict": "approve", "reason_code": "meets-requirements"})
	s.must(http.StatusOK, "reviewer2", "POST", "/api/v1/tasks/"+s.awardTask("reviewer2", aw.ID).ID+"/decision",
		map[string]any{"verdict": "approve", "reason_code": "meets-requirements", "comment": "agree"})

	// During the standstill the losing vendor protests; the winner cannot.
	var protest domain.Protest
	s.eventually("the standstill", time.Minute, func() bool {
		r := s.do("vendorA", "POST", path+"/protests", map[string]any{"grounds": "our safety evidence scored lower without reason"})
		if r.status == http.StatusCreated {
			r.decode(t, &protest)
			return true
		}
		return false
	})
	s.must(http.StatusForbidden, "vendorB", "POST", path+"/protests", map[string]any{"grounds": "x"})
	// The open protest holds the award past the standstill's end.
	time.Sleep(7 * time.Second)
	var got domain.Solicitation
	s.must(http.StatusOK, "officer", "GET", path, nil).decode(t, &got)
	if got.Status != domain.SolicitationStandstill {
		t.Fatalf("with an open protest the solicitation is %s, want standstill", got.Status)
	}
	s.must(http.StatusOK, "officer", "POST", path+"/protests/"+protest.ID+"/decision",
		map[string]any{"outcome": "dismissed", "decision": "safety points follow the published rule: 20 per warning"})

	run := s.app.Temporal.GetWorkflow(context.Background(), contract.SolicitationWorkflowID(sol.ID), "")
	var state contract.SolicitationState
	if err := run.Get(context.Background(), &state); err != nil {
		t.Fatalf("solicitation workflow: %v", err)
	}
	if state.Status != domain.SolicitationAwarded || state.Award.CandidateID != b1 {
		t.Fatalf("final state: %+v", state)
	}
	s.validNotice(sol.ID, b1)
	// The awarded model is now monitored by its own workflow, which outlives the solicitation.
	desc, err := s.app.Temporal.DescribeWorkflowExecution(context.Background(), contract.MonitoringWorkflowID(b1), "")
	if err != nil || desc.WorkflowExecutionInfo.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("monitoring of the awarded model: %v %v", desc, err)
	}
	s.replayAndRecord(map[string]string{
		contract.SolicitationWorkflowID(sol.ID):    "solicitation-high-impact-monitored-one-check.json",
		contract.EvaluationWorkflowID(bidA.ID, a1): "evaluation-clarified-one-check.json",
	})

	s.addUser("auditor", domain.RoleAuditor, "Department of Digital Services", "agency")
	var trail struct{ Events []store.AuditEvent }
	s.must(http.StatusOK, "auditor", "GET", path+"/audit", nil).decode(t, &trail)
	seen := map[string]bool{}
	for _, e := range trail.Events {
		seen[e.Action] = true
	}
	for _, want := range []string{"question.asked", "question.answered", "clarification.requested", "clarification.answered",
		"task.superseded", "award.recommended", "protest.filed", "protest.dismissed", "award.awarded", "notice.published"} {
		if !seen[want] {
			t.Errorf("audit trail lacks %s", want)
		}
	}
}

// approveTwice waits for a candidate's approval task and has both reviewers approve it.
func approveTwice(s *stack, candidateID string) {
	s.t.Helper()
	for _, reviewer := range []string{"reviewer1", "reviewer2"} {
		task := s.openTask(reviewer, candidateID, domain.TaskComplianceApproval)
		r := s.do(reviewer, "POST", "/api/v1/tasks/"+task.ID+"/decision",
			map[string]any{"verdict": "approve", "reason_code": "meets-requirements", "findings_hash": task.FindingsHash})
		if r.status != http.StatusOK && !strings.Contains(string(r.body), "already decided") {
			s.t.Fatalf("approve %s as %s: %d %s", task.ID, reviewer, r.status, r.body)
		}
	}
}

// An officer edits a draft with the same fields and rules as drafting it;
// a refused edit changes nothing, and a vendor may not edit.
func TestEditDraftThroughAPI(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	deadline := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	body := map[string]any{"title": "Draft to edit", "risk_tier": "standard", "deadline": deadline.Format(time.RFC3339), "expected_monthly_users": 10}
	var draft domain.Solicitation
	s.must(http.StatusCreated, "officer", "POST", "/api/v1/solicitations", body).decode(t, &draft)
	path := "/api/v1/solicitations/" + draft.ID

	bad := maps.Clone(body)
	bad["weights"] = map[string]any{"openness": 0.5, "safety": 0.5, "price": 0.5}
	if r := s.do("officer", "PATCH", path, bad); r.status != http.StatusUnprocessableEntity || !hasField(r.problem(t), "weights") {
		t.Fatalf("bad weights: status %d: %s", r.status, r.body)
	}
	if r := s.do("vendorA", "PATCH", path, body); r.status != http.StatusForbidden {
		t.Fatalf("vendor edit: status %d: %s", r.status, r.body)
	}

	edit := maps.Clone(body)
	edit["title"], edit["risk_tier"], edit["enquiry_period_days"] = "Edited draft", "high-impact", 1.0
	edit["weights"] = map[string]any{"openness": 0.25, "safety": 0.25, "price": 0.25, "fit": 0.25}
	edit["use_cases"] = []string{"benefits-and-services", "rights-affecting-decisions"}
	var edited domain.Solicitation
	s.must(http.StatusOK, "officer", "PATCH", path, edit).decode(t, &edited)
	s.must(http.StatusOK, "officer", "GET", path, nil).decode(t, &edited)
	if edited.Title != "Edited draft" || edited.RiskTier != domain.RiskHighImpact || edited.Weights.Fit != 0.25 ||
		!slices.Equal(edited.UseCases, []string{"benefits-and-services", "rights-affecting-decisions"}) ||
		edited.EnquiryPeriodDays == nil || *edited.EnquiryPeriodDays != 1 || edited.StandstillDays != 10 || edited.Status != domain.SolicitationDraft {
		t.Fatalf("the edit did not stick: %+v", edited)
	}
}
