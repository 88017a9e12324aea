package e2e

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// Every kind of bad input gets a 4xx problem+json that names the problem,
// and the database afterwards holds exactly what it held before.
func TestBadInputIsRefusedWithoutWriting(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	open := s.publish(time.Hour, "standard")
	closed := s.publish(2*time.Second, "standard")

	// A decided task, for the "decision on a decided task" case.
	decidedSol := s.publish(3*time.Second, "standard")
	var bid bidResult
	s.must(http.StatusCreated, "vendorA", "POST", "/api/v1/solicitations/"+decidedSol.ID+"/bids", map[string]any{
		"candidates": []json.RawMessage{exampleManifest(t, "granite-3.1-8b-instruct.json", nil)},
	}).decode(t, &bid)
	task := s.openTask("reviewer1", bid.Candidates[0].ID, domain.TaskComplianceApproval)
	s.must(http.StatusOK, "reviewer1", "POST", "/api/v1/tasks/"+task.ID+"/decision",
		map[string]any{"verdict": "approve", "reason_code": "meets-requirements"})
	s.outcome("vendorA", bid.ID, domain.OutcomeQualified)
	// Both short solicitations must have finished evaluating before the
	// counts are taken: their workflows write audit events on the way.
	for _, id := range []string{closed.ID, decidedSol.ID} {
		s.eventually("solicitation "+id+" to be evaluated", time.Minute, func() bool {
			var sol domain.Solicitation
			s.must(http.StatusOK, "officer", "GET", "/api/v1/solicitations/"+id, nil).decode(t, &sol)
			return sol.Status == domain.SolicitationEvaluated
		})
	}

	s.noticePublished(open.ID)

	granite := exampleManifest(t, "granite-3.1-8b-instruct.json", nil)
	withLicense := func(license string) json.RawMessage {
		return exampleManifest(t, "granite-3.1-8b-instruct.json", func(m map[string]any) {
			m["weights"].(map[string]any)["license"] = license
		})
	}
	bids := "/api/v1/solicitations/" + open.ID + "/bids"
	huge := `{"candidates": [{"schema_version": "1", "name": "` + strings.Repeat("x", 3<<20) + `"}]}`

	cases := []struct {
		name   string
		as     string
		method string
		path   string
		body   any
		status int
		detail string // substring of the problem's detail
		field  string // a field the problem must name, if any
	}{
		{"no token", "", "GET", "/api/v1/solicitations", nil, 401, "Authorization: Bearer", ""},
		{"malformed JSON", "vendorA", "POST", bids, []byte(`{"candidates": [`), 400, "not valid JSON", ""},
		{"JSON syntax error", "vendorA", "POST", bids, []byte("{\n \"candidates\": [}\n"), 400, "line 2", ""},
		{"empty body", "vendorA", "POST", bids, []byte(""), 400, "empty", ""},
		{"unknown field", "vendorA", "POST", bids, []byte(`{"candidate": []}`), 400, "unknown field", ""},
		{"no candidates", "vendorA", "POST", bids, map[string]any{"candidates": []any{}}, 422, "no candidates", "candidates"},
		{"schema violation", "vendorA", "POST", bids, []byte(`{"candidates": [{"schema_version": "1", "name": "x", "weights": {"license": "MIT"}, "components": [{"name": "Secret sauce", "included": true}]}]}`), 422, "schema", "candidates[0].components[0].name"},
		{"invalid SPDX expression", "vendorA", "POST", bids, map[string]any{"candidates": []json.RawMessage{granite, withLicense("Apache 2.0 OR")}}, 422, "manifests", "candidates[1].weights.license"},
		{"oversize upload", "vendorA", "POST", bids, []byte(huge), 413, "limit", ""},
		{"wrong role: reviewer bids", "reviewer1", "POST", bids, map[string]any{"candidates": []json.RawMessage{granite}}, 403, "vendor", ""},
		{"wrong role: vendor drafts", "vendorA", "POST", "/api/v1/solicitations", map[string]any{"title": "x"}, 403, "officer", ""},
		{"bad solicitation", "officer", "POST", "/api/v1/solicitations", map[string]any{"title": "", "risk_tier": "extreme", "deadline": "next week", "expected_monthly_users": -1}, 422, "not valid", "risk_tier"},
		{"unknown use case", "officer", "POST", "/api/v1/solicitations", map[string]any{"title": "Chat", "risk_tier": "standard", "deadline": open.Deadline.Format(time.RFC3339), "expected_monthly_users": 10, "use_cases": []string{"public-information", "chatbots"}}, 422, "not valid", "use_cases"},
		{"edit a published solicitation", "officer", "PATCH", "/api/v1/solicitations/" + open.ID, map[string]any{"title": "Renamed after publication", "risk_tier": "standard", "deadline": open.Deadline.Add(time.Hour).Format(time.RFC3339), "expected_monthly_users": 10}, 409, "only a draft can be edited", ""},
		{"publish twice", "officer", "POST", "/api/v1/solicitations/" + open.ID + "/publish", nil, 409, "not a draft", ""},
		{"bid after the deadline", "vendorA", "POST", "/api/v1/solicitations/" + closed.ID + "/bids", map[string]any{"candidates": []json.RawMessage{granite}}, 409, "deadline", ""},
		{"decision on a decided task", "reviewer2", "POST", "/api/v1/tasks/" + task.ID + "/decision", map[string]any{"verdict": "approve", "reason_code": "meets-requirements"}, 409, "already decided", ""},
		{"decision with a bad reason", "reviewer2", "POST", "/api/v1/tasks/" + task.ID + "/decision", map[string]any{"verdict": "approve", "reason_code": "because"}, 422, "not valid", "reason_code"},
		{"rejection without comment", "reviewer2", "POST", "/api/v1/tasks/" + task.ID + "/decision", map[string]any{"verdict": "reject", "reason_code": "safety-risk"}, 422, "not valid", "comment"},
		{"unknown task", "reviewer2", "POST", "/api/v1/tasks/tsk-nope/decision", map[string]any{"verdict": "approve", "reason_code": "meets-requirements"}, 404, "no task", ""},
		{"unknown solicitation", "officer", "GET", "/api/v1/solicitations/sol_nope", nil, 404, "no solicitation", ""},
		{"unknown route", "officer", "GET", "/api/v1/nothing-here", nil, 404, "openapi", ""},
	}
	before, err := s.store.TableCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.do(c.as, c.method, c.path, c.body)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			if r.contentType != "application/problem+json" {
				t.Fatalf("content type %q, want application/problem+json", r.contentType)
			}
			p := r.problem(t)
			if p.Status != c.status || !strings.Contains(p.Detail, c.detail) {
				t.Fatalf("problem %+v, want detail containing %q", p, c.detail)
			}
			if c.field != "" && !hasField(p, c.field) {
				t.Fatalf("problem names no field %q: %+v", c.field, p.Errors)
			}
		})
	}
	after, err := s.store.TableCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(before, after) {
		t.Fatalf("refused requests changed the database:\nbefore %v\nafter  %v", before, after)
	}
}

func hasField(p problem, field string) bool {
	for _, f := range p.Errors {
		if f.Field == field {
			return true
		}
	}
	return false
}
