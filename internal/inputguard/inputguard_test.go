package inputguard

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

func TestTextProblem(t *testing.T) {
	for _, tc := range []struct {
		text, want string // want: "" or a substring of the problem
	}{
		{"Plain text, with ünïcödé and 漢字 and 🚀", ""},
		{"two\nlines\tand a tab", ""},
		{"windows\r\nline ends\r\n", ""},
		{"nul\x00here", "NUL (U+0000) at character 4"},
		{"bell\a", "U+0007 at character 5"},
		{"line one\nline\x1b two", "U+001B at character 14, line 2"},
		{"del\x7f", "U+007F"},
		{"c1 \u0085 next line", "U+0085"},
		{"old mac\rline", "carriage return"},
		{"ends in cr\r", "carriage return"},
		{"bad \xff byte", "not valid UTF-8 (byte 5)"},
		{"cut \xe2\x82", "not valid UTF-8"},
	} {
		got := TextProblem(tc.text)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("TextProblem(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestFieldProblem(t *testing.T) {
	if p := FieldProblem("title", strings.Repeat("é", 500)); p != "" {
		t.Errorf("500 characters (1000 bytes) refused as a title: %s", p)
	}
	if p := FieldProblem("title", strings.Repeat("é", 501)); p != "is too long: 501 characters, at most 500 allowed" {
		t.Errorf("501 characters: %q", p)
	}
	if p := FieldProblem("not-in-the-table", strings.Repeat("x", DefaultMaxLength+1)); !strings.Contains(p, "too long") {
		t.Errorf("a field outside the table is unbounded: %q", p)
	}
}

// fields returns the field errors of err, failing unless it is a
// *domain.Error of kind.
func fields(t *testing.T, err error, kind domain.ErrorKind) map[string]string {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != kind {
		t.Fatalf("err = %v, want a %s *domain.Error", err, kind)
	}
	out := map[string]string{}
	for _, f := range de.Fields {
		out[f.Field] = f.Message
	}
	return out
}

func TestCheckJSON(t *testing.T) {
	for _, tc := range []struct {
		name, doc, field, want string
	}{
		{"escaped NUL", `{"title": "a\u0000b"}`, "title", "NUL"},
		{"nested path", `{"candidates": [{"name": "ok"}, {"weights": {"license": "MIT\u0007"}}]}`, "candidates[1].weights.license", "U+0007"},
		{"lone high surrogate", `{"question": "x\ud800y"}`, "question", `\ud800, half of a UTF-16 surrogate pair`},
		{"lone low surrogate", `{"question": "\udc00"}`, "question", `\udc00`},
		{"high surrogate then a letter", `{"question": "\ud800\u0041"}`, "question", "surrogate"},
		{"raw invalid UTF-8", "{\"answer\": \"bad \xc3\x28\"}", "answer", "not valid UTF-8"},
		{"escaped CR alone", `{"comment": "a\rb"}`, "comment", "carriage return"},
		{"string in a list takes the list's limit", `{"use_cases": ["ok", "` + strings.Repeat("u", 101) + `"]}`, "use_cases[1]", "at most 100"},
		{"member name", `{"a\u0000b": 1}`, `["a\x00b"]`, "NUL"},
		{"too long", `{"title": "` + strings.Repeat("t", 501) + `"}`, "title", "501 characters"},
		{"escapes count as one character", `{"title": "` + strings.Repeat(`\u00e9`, 501) + `"}`, "title", "501 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fields(t, CheckJSON([]byte(tc.doc), ""), domain.ErrInvalid)
			if !strings.Contains(got[tc.field], tc.want) {
				t.Errorf("fields %q, want %s mentioning %q", got, tc.field, tc.want)
			}
		})
	}
	for _, ok := range []string{
		`{"title": "Chat assistant", "description": "Line one\nline two\r\n\ttabbed", "use_cases": ["a", "b"], "n": -1.5e3, "x": [true, false, null, {}, []]}`,
		`{"question": "\ud83d\ude80 rocket, \u00e9, \/ and \" and \\"}`,
		`"` + strings.Repeat("x", 200) + `"`,
		`{"title": "` + strings.Repeat("é", 500) + `"}`,
	} {
		if err := CheckJSON([]byte(ok), ""); err != nil {
			t.Errorf("CheckJSON(%.60s) = %v", ok, err)
		}
	}
}

// Lengths come from the table only in CheckJSON; the text rules apply in both.
func TestCheckJSONText(t *testing.T) {
	long := `{"title": "` + strings.Repeat("t", 501) + `"}`
	if err := CheckJSONText([]byte(long), ""); err != nil {
		t.Errorf("CheckJSONText applied the length table: %v", err)
	}
	got := fields(t, CheckJSONText([]byte(`{"metadata": {"component": {"name": "m\u0000"}}}`), "candidates[2]"), domain.ErrInvalid)
	if !strings.Contains(got["candidates[2].metadata.component.name"], "NUL") {
		t.Errorf("fields %q", got)
	}
}

// A document that is not JSON is left to its decoder, which says where the
// syntax breaks; problems before the break are still reported.
func TestCheckJSONSyntax(t *testing.T) {
	for _, doc := range []string{`{"candidates": [`, `{"a": tru}`, "{\"a\": \"raw\ttab\"}", `{"a": "\x"}`, `{"a" 1}`, `[1 2]`, ``, `"\u12"`} {
		if err := CheckJSON([]byte(doc), ""); err != nil {
			t.Errorf("CheckJSON(%q) = %v, want nil (the decoder reports syntax)", doc, err)
		}
	}
	got := fields(t, CheckJSON([]byte(`{"title": "a\u0000", "broken": [`), ""), domain.ErrInvalid)
	if got["title"] == "" {
		t.Errorf("fields %q, want title", got)
	}
}

func TestCheckJSONBudget(t *testing.T) {
	deep := strings.Repeat("[", Document.MaxDepth+1) + strings.Repeat("]", Document.MaxDepth+1)
	got := fields(t, CheckJSON([]byte(deep), "candidates[0]"), domain.ErrInvalid)
	if msg := got["candidates[0]"+strings.Repeat("[0]", Document.MaxDepth)]; !strings.Contains(msg, "deeper than 64") {
		t.Errorf("deep nesting: %q", got)
	}
	if err := CheckJSON([]byte(strings.Repeat("[", Document.MaxDepth)+strings.Repeat("]", Document.MaxDepth)), ""); err != nil {
		t.Errorf("nesting at the limit: %v", err)
	}
	wide := "[" + strings.Repeat("0,", Document.MaxNodes) + "0]"
	got = fields(t, CheckJSON([]byte(wide), ""), domain.ErrInvalid)
	if len(got) != 1 || !strings.Contains(got["[99999]"], "limit of 100000 values") {
		t.Errorf("too many values: %q", got)
	}
	huge := make([]byte, Document.MaxBytes+1)
	got = fields(t, CheckJSON(huge, "candidates[3]"), domain.ErrTooLarge)
	if !strings.Contains(got["candidates[3]"], "bytes") {
		t.Errorf("too large: %q", got)
	}
}

// A hostile document gets at most maxFieldErrors errors back, not one per value.
func TestCheckJSONReportsBoundedErrors(t *testing.T) {
	doc := "[" + strings.Repeat(`"\u0000",`, 1000) + `"x"]`
	var de *domain.Error
	if !errors.As(CheckJSON([]byte(doc), ""), &de) || len(de.Fields) != maxFieldErrors {
		t.Fatalf("got %v", de)
	}
}

func TestCheckValues(t *testing.T) {
	got := map[string]string{}
	for _, f := range CheckValues(map[string][]string{
		"title":              {"ok"},
		"comment":            {"line\r\nbreaks are fine"},
		"question":           {"bad\x00"},
		"use_cases":          {"fine", "bad\x01"},
		"mf_weights_license": {strings.Repeat("l", 501)},
		"mf_description":     {strings.Repeat("d", 5000)},
		"q":                  {strings.Repeat("q", DefaultMaxLength+1)},
		"na\x00me":           {"x"},
	}) {
		got[f.Field] = f.Message
	}
	want := map[string]string{
		"question":           "NUL",
		"use_cases[1]":       "U+0001",
		"mf_weights_license": "at most 500",
		"q":                  "at most 1000",
		`"na\x00me"`:         "not a field name",
	}
	if len(got) != len(want) {
		t.Errorf("got %q, want errors at %v", got, want)
	}
	for field, msg := range want {
		if !strings.Contains(got[field], msg) {
			t.Errorf("%s: %q, want %q", field, got[field], msg)
		}
	}
}

func TestRequireJSON(t *testing.T) {
	for _, ok := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON; charset=UTF-8", "application/merge-patch+json"} {
		if err := RequireJSON(ok); err != nil {
			t.Errorf("RequireJSON(%q) = %v", ok, err)
		}
	}
	for ct, want := range map[string]string{
		"":                                  "no Content-Type",
		"text/plain":                        "sent as text/plain",
		"application/x-www-form-urlencoded": "application/x-www-form-urlencoded",
		"application/json; charset=latin1":  "latin1",
		"application/json; =":               "cannot be read",
	} {
		err := RequireJSON(ct)
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != domain.ErrUnsupportedMedia || !strings.Contains(de.Message, want) || !strings.Contains(de.Message, "application/json") {
			t.Errorf("RequireJSON(%q) = %v, want unsupported media mentioning %q and application/json", ct, err, want)
		}
	}
}

// TestDescribeJSONError: each way a body fails to decode is told with where
// and what to fix.
func TestDescribeJSONError(t *testing.T) {
	for _, tc := range []struct {
		body, want string
	}{
		{"{\n  \"a\": 1,\n  \"b\" 2\n}", "line 3, column 7"},
		{`{"a": 1`, "ends too early"},
		{`{"name": 5}`, `field "name" must be a string, not a JSON number`},
		{`{"a": 1}}`, "invalid character '}' after top-level value"},
		{"{\n  \"a\": 1,\n}", `line 3, column 1: a comma before the closing '}' (JSON allows no trailing comma); remove the comma at line 2, column 9`},
		{`{"a": [1, 2, ]}`, `a comma before the closing ']'`},
	} {
		var v struct {
			Name string `json:"name"`
			A    int    `json:"a"`
		}
		err := json.Unmarshal([]byte(tc.body), &v)
		if err == nil {
			t.Fatalf("%q decoded", tc.body)
		}
		if got := DescribeJSONError([]byte(tc.body), err); !strings.Contains(got, tc.want) {
			t.Errorf("%q: %q, want it to contain %q", tc.body, got, tc.want)
		}
	}
}
