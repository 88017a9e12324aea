package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/artifact"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/tender"
)

func deliveryRequest(t *testing.T, files map[string]string, fields map[string]string) echo.Context {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for name, content := range files {
		fw, err := w.CreateFormFile(name, name+".txt")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(content))
	}
	for name, v := range fields {
		w.WriteField(name, v)
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, "/awards/awd_1/delivery", &body)
	req.Header.Set(echo.HeaderContentType, w.FormDataContentType())
	return echo.New().NewContext(req, httptest.NewRecorder())
}

// The delivery form takes the digest list uploaded or pasted, and the
// signature with the key it signs under as files.
func TestReadDeliveryForm(t *testing.T) {
	digest := strings.Repeat("ab", 32)
	c := deliveryRequest(t, map[string]string{"files": `{"model.safetensors": "` + digest + `"}`, "signature": `{"mediaType": "x"}`, "public_key": "-----BEGIN PUBLIC KEY-----"}, nil)
	d, err := readDeliveryForm(c, "")
	if err != nil || d.Files["model.safetensors"] != digest || string(d.Signature) != `{"mediaType": "x"}` || !strings.HasPrefix(d.PublicKey, "-----BEGIN") || d.CertificateChain != "" {
		t.Fatalf("uploaded: %+v, %v", d, err)
	}
	c = deliveryRequest(t, nil, map[string]string{"digests_content": `{"a/b.bin": "` + digest + `"}`})
	if d, err = readDeliveryForm(c, c.FormValue("digests_content")); err != nil || d.Files["a/b.bin"] != digest || d.Signature != nil {
		t.Fatalf("pasted: %+v, %v", d, err)
	}
	c = deliveryRequest(t, nil, map[string]string{"digests_content": "model.safetensors " + digest})
	_, err = readDeliveryForm(c, c.FormValue("digests_content"))
	if de, ok := err.(*domain.Error); !ok || de.Kind != domain.ErrInvalid || de.Fields[0].Field != "files" {
		t.Fatalf("a list that is not JSON: %v", err)
	}
}

// The page shows what the award pins and, after a check, every difference.
func TestDeliveryPageRenders(t *testing.T) {
	pages := parsePages()
	res := &tender.DeliveryResult{AwardID: "awd_1", TaskID: "tsk-delivery-awd_1-1", Delivery: artifact.Delivery{Pinned: 2,
		Changed: []artifact.ChangedFile{{Path: "model.safetensors", Expected: "aa", Actual: "bb"}}, Missing: []string{"config.json"}}}
	v := deliveryView{DeliveryPage: tender.DeliveryPage{Award: domain.Award{ID: "awd_1", Pin: &domain.AwardPin{ManifestHash: "sha256:feed", Files: map[string]string{"a": "b"}}},
		Sol: domain.Solicitation{ID: "sol_1", Title: "Models"}, Candidate: "granite"}, Result: res}
	var out bytes.Buffer
	if err := pages["delivery"].ExecuteTemplate(&out, "layout", page{Title: "t", Data: v}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sha256:feed", "changed: model.safetensors", "missing: config.json", "tsk-delivery-awd_1-1", `enctype="multipart/form-data"`, "--award awd_1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
