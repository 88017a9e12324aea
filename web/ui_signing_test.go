package web

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/tender"
)

// The task page shows the signature verdict and the identity that verified
// it; the vendor's page lists its identities with a revoke form for those in force.
func TestSignaturePages(t *testing.T) {
	s := &Server{pages: parsePages()}
	verified := domain.Finding{Rule: "provenance.signature-verified", Severity: domain.SeverityInfo,
		Message: "signature verified: ...", Evidence: domain.Evidence{Component: "weights", Quote: "release key (key sha256:c1e4)"}}
	v := taskView{TaskPage: tender.TaskPage{Task: domain.Task{ID: "tsk", Title: "Approve", Kind: domain.TaskComplianceApproval,
		Findings: []domain.Finding{verified}}, Signature: tender.SignatureOf([]domain.Finding{verified})}}
	var buf bytes.Buffer
	if err := s.pages["task"].ExecuteTemplate(&buf, "layout", page{Data: v}); err != nil {
		t.Fatal(err)
	}
	if html := buf.String(); !strings.Contains(html, "signature verified</span> by release key (key sha256:c1e4)") {
		t.Errorf("the task page does not show the verdict:\n%s", html)
	}

	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ids := []domain.SigningIdentity{{ID: "sid_1", Name: "old key", Method: domain.SigningKey, Fingerprint: "sha256:aa", CreatedAt: at, RevokedAt: &at},
		{ID: "sid_2", Name: "release key", Method: domain.SigningKey, Fingerprint: "sha256:bb", CreatedAt: at}}
	buf.Reset()
	if err := s.pages["signing"].ExecuteTemplate(&buf, "layout", page{Data: signingView{Identities: ids}}); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	if strings.Count(html, `/revoke"`) != 1 || !strings.Contains(html, `action="/signing-identities/sid_2/revoke"`) || !strings.Contains(html, "Revoked") {
		t.Errorf("the signing page:\n%s", html)
	}
}

// The bid form's model.sig joins its one candidate: beside a file, or in a
// described manifest's weights; with two candidates it is refused.
func TestBidFormSignature(t *testing.T) {
	post := func(files map[string]string, fields map[string]string) (tender.BidSubmission, error) {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		for name, content := range files {
			fw, err := w.CreateFormFile(name, name+".json")
			if err != nil {
				t.Fatal(err)
			}
			fw.Write([]byte(content))
		}
		for k, v := range fields {
			w.WriteField(k, v)
		}
		w.Close()
		r := httptest.NewRequest(http.MethodPost, "/solicitations/sol/bids", &body)
		r.Header.Set(echo.HeaderContentType, w.FormDataContentType())
		req, _, _, err := bidUploads(echo.New().NewContext(r, httptest.NewRecorder()), nil)
		return req, err
	}
	sig := `{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}`
	req, err := post(map[string]string{"model_signature": sig}, map[string]string{"manifest_json": `{"schema_version": "1"}`})
	if err != nil {
		t.Fatal(err)
	}
	var file tender.CandidateFile
	if err := json.Unmarshal(req.Candidates[0], &file); err != nil || file.Signature != sig {
		t.Fatalf("pasted manifest: %s %v", req.Candidates[0], err)
	}
	req, err = post(map[string]string{"model_signature": sig}, map[string]string{"mf_name": "granite", "mf_weights_license": "Apache-2.0"})
	if err != nil {
		t.Fatal(err)
	}
	var m domain.Manifest
	if err := json.Unmarshal(req.Candidates[0], &m); err != nil || m.Weights.Signature != sig || m.Weights.License != "Apache-2.0" {
		t.Fatalf("described manifest: %s %v", req.Candidates[0], err)
	}
	_, err = post(map[string]string{"model_signature": sig}, map[string]string{"manifest_json": `{}`, "mf_name": "granite"})
	if de := asDomainError(err); de.Kind != domain.ErrInvalid || len(de.Fields) != 1 || de.Fields[0].Field != "model_signature" {
		t.Fatalf("two candidates and one signature: %v", err)
	}
}
