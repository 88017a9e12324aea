package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// The bad inputs of issue 12 that once cost a 500, a wedged solicitation or
// a disqualification at intake: each is a 4xx naming the problem at the
// edge, and nothing is written.
func TestBadInputAtTheEdge(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	open := s.publish(time.Hour, "standard")

	// A real ML-BOM (internal/manifest/testdata) with its model's license removed.
	bom, err := os.ReadFile("../manifest/testdata/ml-bom.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	unlicensed := func(licenses any) string {
		var doc map[string]any
		if err := json.Unmarshal(bom, &doc); err != nil {
			t.Fatal(err)
		}
		doc["metadata"].(map[string]any)["component"].(map[string]any)["licenses"] = licenses
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	bidWith := func(content string) map[string]any {
		return map[string]any{"candidates": []any{map[string]any{"format": "cyclonedx", "content": content}}}
	}
	draft := map[string]any{"title": "Chat\u0000bot", "risk_tier": "standard",
		"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "expected_monthly_users": 10}
	body, err := json.Marshal(map[string]any{"title": "Chatbot", "risk_tier": "standard",
		"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "expected_monthly_users": 10})
	if err != nil {
		t.Fatal(err)
	}

	s.noticePublished(open.ID)
	before, err := s.store.TableCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        any
		status      int
		detail      string
		field       string
	}{
		{"NUL in the path", "GET", "/api/v1/solicitations/%00", "", nil, http.StatusBadRequest, "", ""},
		{"JSON sent as text/plain", "POST", "/api/v1/solicitations", "text/plain", body, http.StatusUnsupportedMediaType, "application/json", ""},
		{"NUL in the title", "POST", "/api/v1/solicitations", "application/json", draft, http.StatusUnprocessableEntity, "", "title"},
		{"unlicensed CycloneDX BOM", "POST", "/api/v1/solicitations/" + open.ID + "/bids", "application/json",
			bidWith(unlicensed([]any{})), http.StatusUnprocessableEntity, "", "candidates[0].weights.license"},
		{"CycloneDX BOM with an empty license id", "POST", "/api/v1/solicitations/" + open.ID + "/bids", "application/json",
			bidWith(unlicensed([]any{map[string]any{"license": map[string]any{"id": ""}}})), http.StatusUnprocessableEntity, "", "candidates[0].weights.license"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			as := "officer"
			if strings.HasSuffix(c.path, "/bids") {
				as = "vendorA"
			}
			r := s.raw(as, c.method, c.path, c.contentType, c.body)
			if r.status != c.status || r.contentType != "application/problem+json" {
				t.Fatalf("status %d (%s), want %d problem+json: %s", r.status, r.contentType, c.status, r.body)
			}
			p := r.problem(t)
			if !strings.Contains(p.Detail, c.detail) || (c.field != "" && !hasField(p, c.field)) {
				t.Fatalf("problem %+v, want detail with %q naming field %q", p, c.detail, c.field)
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

// raw sends a request with the given content type ("" for none); body is
// JSON-encoded unless it is already []byte.
func (s *stack) raw(as, method, path, contentType string, body any) response {
	s.t.Helper()
	var r io.Reader = http.NoBody
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(body); err != nil {
				s.t.Fatal(err)
			}
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+s.users[as].token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: out}
}
