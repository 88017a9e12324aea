package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/inputguard"
	"github.com/modeltender/modeltender/internal/tender"
)

// guarded is an echo instance with the server's error handler and
// guardInput, answering a few routes as the real ones read their input.
func guarded(t *testing.T) *echo.Echo {
	t.Helper()
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.DiscardHandler), func(c echo.Context, p Problem) error {
		return c.JSON(p.Status, p) // the HTML page is not under test
	})
	e.Use(guardInput)
	e.GET("/api/v1/solicitations/:id", func(c echo.Context) error { return c.String(http.StatusOK, c.Param("id")) })
	e.POST("/api/v1/solicitations/:id/questions", func(c echo.Context) error {
		var body struct {
			Question string `json:"question"`
		}
		if err := decodeJSON(c, &body); err != nil {
			return err
		}
		return c.String(http.StatusCreated, body.Question)
	})
	e.POST("/solicitations/:id/bids", func(c echo.Context) error {
		req, _, _, err := bidUploads(c, nil)
		if err != nil {
			return err
		}
		return c.String(http.StatusOK, c.FormValue("mf_name")+" "+string(req.Candidates[0]))
	})
	return e
}

type answer struct {
	status  int
	problem Problem
	body    string
}

func send(t *testing.T, e *echo.Echo, r *http.Request) answer {
	t.Helper()
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	a := answer{status: w.Code, body: w.Body.String()}
	if w.Code >= 400 {
		if ct := w.Header().Get(echo.HeaderContentType); !strings.HasPrefix(ct, "application/problem+json") {
			t.Fatalf("%d with content type %q: %s", w.Code, ct, w.Body)
		}
		if err := json.Unmarshal(w.Body.Bytes(), &a.problem); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func (a answer) names(field, message string) bool {
	for _, f := range a.problem.Errors {
		if f.Field == field && strings.Contains(f.Message, message) {
			return true
		}
	}
	return false
}

func TestGuardInputRefusesBadURLs(t *testing.T) {
	e := guarded(t)
	for _, tc := range []struct {
		target, field, message string
	}{
		{"/api/v1/solicitations/%00", "id", "NUL"},
		{"/api/v1/solicitations/sol%07x", "id", "U+0007"},
		// Upper case, as url.PathEscape writes it: echo leaves a parameter
		// escaped when the path was escaped otherwise (%ff reaches the handler
		// as the text "%ff").
		{"/api/v1/solicitations/%FF", "id", "UTF-8"},
		{"/api/v1/solicitations/sol-1?q=%00", "q", "NUL"},
		{"/api/v1/solicitations/sol-1?q=a&q=%1b", "q[1]", "U+001B"},
	} {
		a := send(t, e, httptest.NewRequest(http.MethodGet, tc.target, nil))
		if a.status != http.StatusBadRequest || !a.names(tc.field, tc.message) {
			t.Errorf("GET %s: %d %+v, want 400 naming %s", tc.target, a.status, a.problem, tc.field)
		}
	}
	if a := send(t, e, httptest.NewRequest(http.MethodGet, "/api/v1/solicitations/sol-1?q=caf%C3%A9", nil)); a.status != http.StatusOK || a.body != "sol-1" {
		t.Errorf("a good URL: %d %s", a.status, a.body)
	}
}

func TestDecodeJSONChecksTypeAndText(t *testing.T) {
	e := guarded(t)
	post := func(contentType, body string) answer {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/solicitations/sol-1/questions", strings.NewReader(body))
		if contentType != "" {
			r.Header.Set(echo.HeaderContentType, contentType)
		}
		return send(t, e, r)
	}
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded"} {
		a := post(ct, `{"question": "Which license?"}`)
		if a.status != http.StatusUnsupportedMediaType || !strings.Contains(a.problem.Detail, "Content-Type: application/json") ||
			a.problem.Type != "https://modeltender.dev/problems/unsupported-media-type" {
			t.Errorf("Content-Type %q: %d %+v", ct, a.status, a.problem)
		}
	}
	for body, want := range map[string]string{
		`{"question": "a\u0000b"}`:                          "NUL",
		`{"question": "\ud800"}`:                            "surrogate",
		`{"question": "` + strings.Repeat("q", 4001) + `"}`: "at most 4000",
	} {
		if a := post("application/json", body); a.status != http.StatusUnprocessableEntity || !a.names("question", want) {
			t.Errorf("body %.40s: %d %+v", body, a.status, a.problem)
		}
	}
	if a := post("application/json; charset=utf-8", `{"question": "Which license?\nAnd which version?"}`); a.status != http.StatusCreated {
		t.Errorf("a good question: %d %+v", a.status, a.problem)
	}
	if a := post("application/json", `{"question": `); a.status != http.StatusBadRequest || !strings.Contains(a.problem.Detail, "not valid JSON") {
		t.Errorf("broken JSON: %d %+v", a.status, a.problem)
	}
}

func TestGuardInputChecksForms(t *testing.T) {
	e := guarded(t)
	postForm := func(form url.Values) answer {
		r := httptest.NewRequest(http.MethodPost, "/solicitations/sol-1/bids", strings.NewReader(form.Encode()))
		r.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
		return send(t, e, r)
	}
	a := postForm(url.Values{"mf_name": {"granite\x00"}, "mf_weights_license": {strings.Repeat("l", 501)}, "mf_description": {"Two\r\nlines"}})
	if a.status != http.StatusUnprocessableEntity || !a.names("mf_name", "NUL") || !a.names("mf_weights_license", "at most 500") || len(a.problem.Errors) != 2 {
		t.Errorf("bad form: %d %+v", a.status, a.problem)
	}
	if a := postForm(url.Values{"mf_name": {"granite"}, "mf_description": {"Two\r\nlines, as a textarea sends them"}}); a.status != http.StatusOK || !strings.HasPrefix(a.body, "granite ") {
		t.Errorf("good form: %d %s %+v", a.status, a.body, a.problem)
	}

	upload := func(content string) answer {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		fw, err := w.CreateFormFile("manifest_files", "model.yml")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(content))
		w.WriteField("mf_name", "granite")
		w.Close()
		r := httptest.NewRequest(http.MethodPost, "/solicitations/sol-1/bids", &body)
		r.Header.Set(echo.HeaderContentType, w.FormDataContentType())
		return send(t, e, r)
	}
	// Without the guard the invalid UTF-8 would be replaced silently on the way to the parser.
	if a := upload("release:\n  name: caf\xe9\n"); a.status != http.StatusUnprocessableEntity || !a.names(`manifest_files["model.yml"]`, "not valid UTF-8 (byte 21, line 2)") {
		t.Errorf("bad upload: %d %+v", a.status, a.problem)
	}
	if a := upload("release:\r\n  name: café\r\n"); a.status != http.StatusOK || !strings.Contains(a.body, `café`) {
		t.Errorf("good upload: %d %s %+v", a.status, a.body, a.problem)
	}
}

// FuzzDecodeJSON: any body sent to a JSON endpoint is decoded into a value
// whose every text passes its field's rules, or refused with a 4xx
// problem: 415 for a body not sent as JSON, 422 naming the fields at fault,
// 400 for what is not JSON of the endpoint's shape; never a 5xx.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"title": "Chat assistant", "risk_tier": "standard", "deadline": "2030-01-01T00:00:00Z", "use_cases": ["benefits-and-services"], "description": "Line\r\nbreaks\tand tabs"}`,
		`{"title": "a\u0000b"}`, "{\"title\": \"a\x00b\"}", `{"title": "\ud800"}`, `{"use_cases": ["\udfff"]}`, "{\"description\": \"\xff\"}",
		`{"title": "` + strings.Repeat("t", 501) + `"}`, `{"description": "` + strings.Repeat("d", 100_000) + `"}`,
		`{"weights": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, `{"title": "x"} {"title": "y"}`, `{"titel": "x"}`, `{"title": 1}`, ``,
	} {
		f.Add([]byte(seed), true)
	}
	f.Add([]byte(`{"title": "x"}`), false)
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.DiscardHandler), nil)
	var got tender.Terms
	e.POST("/api/v1/solicitations", func(c echo.Context) error {
		got = tender.Terms{}
		if err := decodeJSON(c, &got); err != nil {
			return err
		}
		return c.NoContent(http.StatusCreated)
	})
	f.Fuzz(func(t *testing.T, body []byte, asJSON bool) {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/solicitations", bytes.NewReader(body))
		if asJSON {
			r.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		switch {
		case w.Code == http.StatusCreated:
			texts := map[string]string{"title": got.Title, "description": got.Description, "risk_tier": got.RiskTier,
				"deadline": got.Deadline, "minimum_openness_class": got.MinimumOpennessClass}
			for i, u := range got.UseCases {
				texts[fmt.Sprintf("use_cases[%d]", i)] = u
				if p := inputguard.FieldProblem("use_cases", u); p != "" {
					t.Fatalf("accepted %q with use_cases[%d] %q: %s", body, i, u, p)
				}
			}
			for field, s := range texts {
				if p := inputguard.FieldProblem(field, s); p != "" {
					t.Fatalf("accepted %q with %s %q: %s", body, field, s, p)
				}
			}
		case !asJSON && w.Code != http.StatusUnsupportedMediaType:
			t.Fatalf("a body without Content-Type: %d %s", w.Code, w.Body)
		case w.Code >= 500 || w.Code < 400:
			t.Fatalf("%q: %d %s", body, w.Code, w.Body)
		case w.Code == http.StatusUnprocessableEntity:
			var p Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || len(p.Errors) == 0 || p.Errors[0].Field == "" {
				t.Fatalf("%q: 422 naming no field: %s", body, w.Body)
			}
		}
	})
}
