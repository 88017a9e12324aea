package e2e

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/artifact"
	"github.com/modeltender/modeltender/internal/domain"
)

// pageAs fetches a web page as a stack user signed in through the login form.
func (s *stack) pageAs(who, path string) string {
	s.t.Helper()
	if err := s.store.SetPassword(context.Background(), s.users[who].ID, testPassword); err != nil {
		s.t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	csrf := &http.Cookie{Name: "mt_csrf", Value: strings.Repeat("k", 43)}
	form := url.Values{"email": {s.users[who].Email}, "password": {testPassword}, "_csrf": {csrf.Value}}
	req, _ := http.NewRequest(http.MethodPost, s.url+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(csrf)
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	req, _ = http.NewRequest(http.MethodGet, s.url+path, nil)
	for _, c := range resp.Cookies() {
		req.AddCookie(c)
	}
	resp, err = client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s as %s: status %d: %s", path, who, resp.StatusCode, body)
	}
	return string(body)
}

// A vendor registers the key its model is signed with through the API and
// bids the real signed model (sigstore/model-transparency's) with its files
// and model.sig: the reviewer's task shows the signature verified by that
// identity. A second vendor bids the same signature over a tampered digest
// list and is disqualified by the signature finding. The identities stay
// sealed from agency staff until the bids open.
func TestSignedCandidate(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	files, err := artifact.DigestDir(context.Background(), signedModel, []string{"model.sig"})
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	publicKey := read("../artifact/testdata/model-transparency/keys/signing-key-pub.pem")
	bundle := read(signedModel + "/model.sig")

	bad := s.must(http.StatusUnprocessableEntity, "vendorA", "POST", "/api/v1/signing-identities",
		map[string]any{"name": "release key", "method": "key", "public_key": "ssh-ed25519 AAAAC3Nza"}).problem(t)
	if len(bad.Errors) != 1 || bad.Errors[0].Field != "public_key" || !strings.Contains(bad.Errors[0].Message, "BEGIN PUBLIC KEY") {
		t.Fatalf("an unusable key: %+v", bad)
	}
	var idA domain.SigningIdentity
	s.must(http.StatusCreated, "vendorA", "POST", "/api/v1/signing-identities",
		map[string]any{"name": "Northwind release key", "method": "key", "public_key": publicKey}).decode(t, &idA)
	// Vendor B resells the same signed model, so it registers the same key.
	s.must(http.StatusCreated, "vendorB", "POST", "/api/v1/signing-identities",
		map[string]any{"name": "upstream release key", "method": "key", "public_key": publicKey})

	sol := s.publish(10*time.Second, "standard")
	signed := func(name string, files map[string]string) json.RawMessage {
		return exampleManifest(t, "granite-3.1-8b-instruct.json", func(m map[string]any) {
			m["name"] = name
			w := m["weights"].(map[string]any)
			w["files"], w["signature"] = files, bundle
		})
	}
	tampered := maps.Clone(files)
	tampered["signme-1"] = strings.Repeat("0", 64)
	var bidA, bidB bidResult
	s.must(http.StatusCreated, "vendorA", "POST", "/api/v1/solicitations/"+sol.ID+"/bids",
		map[string]any{"candidates": []json.RawMessage{signed("granite-signed", files)}}).decode(t, &bidA)
	s.must(http.StatusCreated, "vendorB", "POST", "/api/v1/solicitations/"+sol.ID+"/bids",
		map[string]any{"candidates": []json.RawMessage{signed("granite-resold", tampered)}}).decode(t, &bidB)
	orgA := "/api/v1/organisations/" + s.users["vendorA"].OrgID + "/signing-identities"
	s.must(http.StatusForbidden, "reviewer1", "GET", orgA, nil)

	task := s.openTask("reviewer1", bidA.Candidates[0].ID, domain.TaskComplianceApproval)
	if !slices.ContainsFunc(task.Findings, func(f domain.Finding) bool {
		return f.Rule == "provenance.signature-verified" && strings.Contains(f.Message, "Northwind release key")
	}) {
		t.Fatalf("the approval task's findings: %+v", task.Findings)
	}
	html := s.pageAs("reviewer1", "/tasks/"+task.ID)
	if !strings.Contains(html, "signature verified</span> by Northwind release key (key "+idA.Fingerprint+")") {
		t.Fatalf("the reviewer's task page does not show the verified signature:\n%s", html)
	}

	ev := s.outcome("vendorB", bidB.ID, domain.OutcomeDisqualified)
	var denied []string
	for _, st := range ev.Stages {
		for _, f := range st.Findings {
			if f.Severity == domain.SeverityDeny {
				denied = append(denied, f.Rule+": "+f.Message)
			}
		}
	}
	if !slices.ContainsFunc(denied, func(d string) bool {
		return strings.HasPrefix(d, "provenance.signature-invalid: ") && strings.Contains(d, "changed: signme-1")
	}) {
		t.Fatalf("B's denials: %q", denied)
	}

	var ids []domain.SigningIdentity
	s.must(http.StatusOK, "reviewer1", "GET", orgA, nil).decode(t, &ids)
	if len(ids) != 1 || ids[0].ID != idA.ID {
		t.Fatalf("a reviewer reads vendor A's identities after the bids opened: %+v", ids)
	}
}
