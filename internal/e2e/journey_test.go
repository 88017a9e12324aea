package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
)

// withFreshEvidence re-dates a manifest's evidence to a month before now, so
// the example manifests stay inside the 12-month window whenever the test runs.
func withFreshEvidence(t *testing.T, raw json.RawMessage, edit func(m map[string]any)) json.RawMessage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, e := range m["evidence"].([]any) {
		e.(map[string]any)["date"] = time.Now().AddDate(0, -1, 0).Format("2006-01-02")
	}
	if edit != nil {
		edit(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exampleManifest(t *testing.T, name string, edit func(m map[string]any)) json.RawMessage {
	return withFreshEvidence(t, manifest(t, "../../examples/manifests/"+name), edit)
}

// publish drafts and publishes a solicitation whose deadline is `in` from
// now; extra sets further fields of the draft.
func (s *stack) publish(in time.Duration, tier string, extra ...map[string]any) domain.Solicitation {
	s.t.Helper()
	var sol domain.Solicitation
	body := map[string]any{
		"title": "Language model for benefits correspondence", "risk_tier": tier,
		"deadline": time.Now().Add(in).UTC().Format(time.RFC3339Nano), "expected_monthly_users": 25000,
	}
	for _, e := range extra {
		maps.Copy(body, e)
	}
	s.must(http.StatusCreated, "officer", "POST", "/api/v1/solicitations", body).decode(s.t, &sol)
	s.must(http.StatusOK, "officer", "POST", "/api/v1/solicitations/"+sol.ID+"/publish", nil).decode(s.t, &sol)
	if sol.Status != domain.SolicitationPublished || !strings.HasPrefix(sol.PolicyRevision, "sha256:") {
		s.t.Fatalf("published solicitation: %+v", sol)
	}
	return sol
}

// noticePublished waits for the contract notice that the solicitation's
// workflow publishes on its own after the publish call has returned, so that
// a test counting rows afterwards sees only what its own requests did.
func (s *stack) noticePublished(solicitationID string) {
	s.t.Helper()
	s.eventually("the contract notice of "+solicitationID, time.Minute, func() bool {
		trail, err := s.store.AuditTrail(context.Background(), solicitationID)
		return err == nil && slices.ContainsFunc(trail, func(e store.AuditEvent) bool { return e.Action == "notice.published" })
	})
}

type bidResult struct {
	ID         string `json:"id"`
	Candidates []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"candidates"`
}

type evaluations struct {
	Evaluations []store.EvaluationView `json:"evaluations"`
}

func (s *stack) evaluation(as, bidID string) store.EvaluationView {
	s.t.Helper()
	var ev evaluations
	s.must(http.StatusOK, as, "GET", "/api/v1/bids/"+bidID+"/evaluations", nil).decode(s.t, &ev)
	if len(ev.Evaluations) != 1 {
		return store.EvaluationView{}
	}
	return ev.Evaluations[0]
}

func stageStatus(ev store.EvaluationView, stage domain.Stage) domain.StageStatus {
	for _, st := range ev.Stages {
		if st.Stage == stage {
			return st.Status
		}
	}
	return ""
}

// openTask waits for the open task of the given kind on a candidate.
func (s *stack) openTask(as, candidateID string, kind domain.TaskKind) domain.Task {
	s.t.Helper()
	var found domain.Task
	s.eventually(fmt.Sprintf("a %s task on %s", kind, candidateID), time.Minute, func() bool {
		var inbox struct{ Tasks []domain.Task }
		s.must(http.StatusOK, as, "GET", "/api/v1/tasks", nil).decode(s.t, &inbox)
		for _, t := range inbox.Tasks {
			if t.CandidateID == candidateID && t.Kind == kind {
				found = t
				return true
			}
		}
		return false
	})
	return found
}

func (s *stack) outcome(as, bidID string, want domain.Outcome) store.EvaluationView {
	s.t.Helper()
	var ev store.EvaluationView
	s.eventually("outcome "+string(want), time.Minute, func() bool {
		ev = s.evaluation(as, bidID)
		return ev.Outcome != nil
	})
	if *ev.Outcome != want {
		s.t.Fatalf("outcome %s, want %s: %+v", *ev.Outcome, want, ev)
	}
	return ev
}

// The foundation journey: publish, two sealed bids, the deadline passes, each
// candidate is evaluated; one is approved and qualifies, the other's unknown
// license goes to a reviewer who rejects it.
func TestProcurementJourney(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	// A standstill of two seconds, so the award stands within the test.
	sol := s.publish(6*time.Second, "standard", map[string]any{"standstill_days": 2.0 / 86400})

	var bidA, bidB bidResult
	s.must(http.StatusCreated, "vendorA", "POST", "/api/v1/solicitations/"+sol.ID+"/bids", map[string]any{
		"candidates": []json.RawMessage{exampleManifest(t, "granite-3.1-8b-instruct.json", nil)},
	}).decode(t, &bidA)
	s.must(http.StatusCreated, "vendorB", "POST", "/api/v1/solicitations/"+sol.ID+"/bids", map[string]any{
		"candidates": []json.RawMessage{exampleManifest(t, "granite-3.1-8b-instruct.json", func(m map[string]any) {
			m["name"] = "northwind-research-7b"
			m["weights"].(map[string]any)["license"] = "LicenseRef-Northwind-Research-Only"
		})},
	}).decode(t, &bidB)

	// Sealed until the deadline: the officer may not look, the other vendor cannot even see it.
	if p := s.must(http.StatusForbidden, "officer", "GET", "/api/v1/bids/"+bidA.ID, nil).problem(t); !strings.Contains(p.Detail, "sealed") {
		t.Fatalf("sealed bid problem: %+v", p)
	}
	s.must(http.StatusNotFound, "vendorB", "GET", "/api/v1/bids/"+bidA.ID, nil)
	s.must(http.StatusOK, "vendorA", "GET", "/api/v1/bids/"+bidA.ID, nil)

	// After the deadline the compliance approval task of A reaches the inbox.
	candA := bidA.Candidates[0].ID
	task := s.openTask("reviewer1", candA, domain.TaskComplianceApproval)
	ev := s.evaluation("officer", bidA.ID)
	for _, st := range []domain.Stage{domain.StageIntake, domain.StageLicense, domain.StagePolicy} {
		if got := stageStatus(ev, st); got != domain.StagePassed {
			t.Fatalf("stage %s is %s, want passed: %+v", st, got, ev)
		}
	}
	if stageStatus(ev, domain.StageApproval) != domain.StageWaiting {
		t.Fatalf("approval stage: %+v", ev.Stages)
	}

	// A reviewer from the bidding company reads as its vendor: no agency's
	// tasks at all (internal/visibility), and it cannot decide this one.
	s.must(http.StatusForbidden, "insider", "GET", "/api/v1/tasks", nil)
	approve := map[string]any{"verdict": "approve", "reason_code": "meets-requirements", "comment": "evidence complete", "findings_hash": task.FindingsHash}
	s.must(http.StatusForbidden, "insider", "POST", "/api/v1/tasks/"+task.ID+"/decision", approve)
	s.must(http.StatusForbidden, "officer", "POST", "/api/v1/tasks/"+task.ID+"/decision", approve)

	var decided struct {
		Accepted   bool `json:"accepted"`
		TaskClosed bool `json:"task_closed"`
	}
	s.must(http.StatusOK, "reviewer1", "POST", "/api/v1/tasks/"+task.ID+"/decision", approve).decode(t, &decided)
	if !decided.Accepted || !decided.TaskClosed {
		t.Fatalf("decision result: %+v", decided)
	}
	final := s.outcome("vendorA", bidA.ID, domain.OutcomeQualified)
	if final.PolicyRevision != sol.PolicyRevision {
		t.Fatalf("evaluated under %s, solicitation froze %s", final.PolicyRevision, sol.PolicyRevision)
	}

	// B: the unknown license opens a license task; the reviewer rejects it.
	candB := bidB.Candidates[0].ID
	licTask := s.openTask("reviewer2", candB, domain.TaskLicenseResolution)
	if len(licTask.Findings) == 0 || !strings.Contains(licTask.Findings[0].Message, "LicenseRef-Northwind-Research-Only") {
		t.Fatalf("license task findings: %+v", licTask.Findings)
	}
	s.must(http.StatusOK, "reviewer2", "POST", "/api/v1/tasks/"+licTask.ID+"/decision", map[string]any{
		"verdict": "reject", "reason_code": "license-incompatible", "comment": "research-only terms forbid production use",
	})
	evB := s.outcome("officer", bidB.ID, domain.OutcomeDisqualified)
	if stageStatus(evB, domain.StageLicense) != domain.StageFailed || stageStatus(evB, domain.StagePolicy) != domain.StageSkipped {
		t.Fatalf("B stages: %+v", evB.Stages)
	}

	// The officer recommends the one qualified candidate; a reviewer approves
	// the award; after the standstill it stands and the notice is published.
	s.awardTo(sol.ID, candA, "reviewer1")
	run := s.app.Temporal.GetWorkflow(context.Background(), contract.SolicitationWorkflowID(sol.ID), "")
	var state contract.SolicitationState
	if err := run.Get(context.Background(), &state); err != nil {
		t.Fatalf("solicitation workflow: %v", err)
	}
	if state.Status != domain.SolicitationAwarded || len(state.Evaluations) != 2 || state.Award.CandidateID != candA {
		t.Fatalf("solicitation result: %+v", state)
	}
	s.validNotice(sol.ID, candA)
	// The history and the candidates' replay against the current code. The
	// files recorded before the single candidate check (without "-one-check")
	// stay in workflows/testdata, so both paths keep replaying.
	s.replayAndRecord(map[string]string{
		contract.SolicitationWorkflowID(sol.ID):       "solicitation-awarded-monitored-one-check.json",
		contract.EvaluationWorkflowID(bidA.ID, candA): "evaluation-approved-one-check.json",
		contract.EvaluationWorkflowID(bidB.ID, candB): "evaluation-license-rejected-one-check.json",
	})

	// The audit trail holds every step.
	s.addUser("auditor", domain.RoleAuditor, "Department of Digital Services", "agency")
	var trail struct{ Events []store.AuditEvent }
	s.must(http.StatusOK, "auditor", "GET", "/api/v1/solicitations/"+sol.ID+"/audit", nil).decode(t, &trail)
	seen := map[string]bool{}
	for _, e := range trail.Events {
		seen[e.Action] = true
	}
	for _, want := range []string{"solicitation.published", "bid.submitted", "solicitation.closed", "evaluation.started", "task.opened",
		"task.decided", "evaluation.completed", "solicitation.ranked", "award.recommended", "award.standstill", "award.awarded", "notice.published"} {
		if !seen[want] {
			t.Errorf("audit trail lacks %s: %v", want, seen)
		}
	}
}
