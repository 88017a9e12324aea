package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestAccessLogRecordsRequestsWithoutSecrets(t *testing.T) {
	var out bytes.Buffer
	e := echo.New()
	e.Use(accessLog(slog.New(slog.NewJSONHandler(&out, nil))))
	e.POST("/things/:id", func(c echo.Context) error {
		return echo.NewHTTPError(http.StatusNotFound, "no thing")
	})

	for _, tt := range []struct {
		sentID string
		keep   bool
	}{
		{"client-42.a_b", true},
		{"bad id\nforged=line", false},
		{"", false},
	} {
		out.Reset()
		req := httptest.NewRequest(http.MethodPost, "/things/thing_secretpath?token=query-secret", strings.NewReader(`{"password":"body-secret"}`))
		req.Header.Set("Authorization", "Bearer header-secret")
		req.Header.Set("Cookie", "mt_session=cookie-secret")
		if tt.sentID != "" {
			req.Header.Set(requestIDHeader, tt.sentID)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)

		line := out.String()
		for _, want := range []string{`"msg":"http request"`, `"method":"POST"`, `"route":"/things/:id"`, `"status":404`, `"latency_ms":`, `"bytes":`} {
			if !strings.Contains(line, want) {
				t.Errorf("access log lacks %s: %s", want, line)
			}
		}
		for _, secret := range []string{"header-secret", "cookie-secret", "body-secret", "query-secret", "thing_secretpath", "forged"} {
			if strings.Contains(line, secret) {
				t.Errorf("access log carries %q: %s", secret, line)
			}
		}
		id := rec.Header().Get(requestIDHeader)
		if tt.keep && id != tt.sentID || !tt.keep && (!plainRequestID.MatchString(id) || id == tt.sentID) {
			t.Errorf("sent request id %q, answered %q", tt.sentID, id)
		}
		if !strings.Contains(line, `"request_id":"`+id+`"`) || strings.Count(line, "\n") != 1 {
			t.Errorf("want one line with request id %s: %s", id, line)
		}
	}
}

func TestAccessLogNamesUnmatchedRoutes(t *testing.T) {
	var out bytes.Buffer
	e := echo.New()
	e.Use(accessLog(slog.New(slog.NewJSONHandler(&out, nil))))
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/nowhere/secret-id", nil))
	if line := out.String(); !strings.Contains(line, `"route":"unmatched"`) || !strings.Contains(line, `"status":404`) || strings.Contains(line, "secret-id") {
		t.Errorf("unmatched request: %s", line)
	}
}
