package inputguard

import (
	"bytes"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/modeltender/modeltender/internal/domain"
)

// HostileJSON are seeds every JSON fuzz target starts from: NUL in every
// spelling, lone surrogates, invalid UTF-8, deep nesting, a huge string,
// many values, odd member names.
func hostileJSON() []string {
	return []string{
		`{"title": "ok", "use_cases": ["a"], "candidates": [{"name": "m", "weights": {"license": "MIT"}}]}`,
		`{"title": "a\u0000b"}`, "{\"title\": \"a\x00b\"}", `{"a\u0000": 1}`,
		`{"question": "\ud800"}`, `{"question": "\udfff\ud800"}`, `{"question": "\ud83d\ude80"}`, `"\ud800\u0041"`,
		"{\"answer\": \"\xff\xfe\"}", "{\"answer\": \"\xed\xa0\x80\"}", // the UTF-8 of a surrogate
		`{"comment": "a\rb\r\n"}`, `{"comment": "\u0085\u009f\u007f"}`,
		strings.Repeat("[", 100) + strings.Repeat("]", 100), strings.Repeat(`{"a":`, 70) + "1" + strings.Repeat("}", 70),
		`{"content": "` + strings.Repeat("x", 1<<16) + `"}`, "[" + strings.Repeat("0,", 5000) + "0]",
		`{"": "", "a.b": "c", "[0]": null}`, `{"candidates": [`, `[1e999, -0, 1.5E+3]`, "",
	}
}

// allocated runs f and returns the bytes it allocated.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// FuzzCheckJSON: any input is accepted or refused with a *domain.Error
// naming at most maxFieldErrors fields; what is accepted and is JSON holds
// only text that passes the rules, with nothing encoding/json would have
// replaced, within the budget; checking allocates in proportion to the
// input. `go test` runs the seeds; see bench/README.md for a longer run.
func FuzzCheckJSON(f *testing.F) {
	for _, seed := range hostileJSON() {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var err error
		if n := allocated(func() { err = CheckJSON(data, "body") }); n > 64*uint64(len(data))+64<<10 {
			t.Fatalf("checking %d bytes allocated %d", len(data), n)
		}
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || (de.Kind != domain.ErrInvalid && de.Kind != domain.ErrTooLarge) ||
				len(de.Fields) == 0 || len(de.Fields) > maxFieldErrors {
				t.Fatalf("CheckJSON(%q) = %#v, want an invalid or too-large *domain.Error with 1 to %d fields", data, err, maxFieldErrors)
			}
			for _, fe := range de.Fields {
				if !strings.HasPrefix(fe.Field, "body") || fe.Message == "" {
					t.Fatalf("field error %+v does not name a field under body", fe)
				}
			}
			return
		}
		var v any
		if json.Unmarshal(data, &v) != nil {
			return // the decoder refuses it with its own message
		}
		noLiteralFFFD := !bytes.Contains(data, []byte("\uFFFD")) && !bytes.Contains(bytes.ToLower(data), []byte(`\ufffd`))
		nodes := 0
		walk(t, v, 0, &nodes, func(s string) {
			if p := TextProblem(s); p != "" {
				t.Fatalf("accepted %q holding %q: %s", data, s, p)
			}
			if noLiteralFFFD && strings.ContainsRune(s, utf8.RuneError) {
				t.Fatalf("accepted %q, which decodes with a replacement character in %q", data, s)
			}
		})
		if nodes > Document.MaxNodes {
			t.Fatalf("accepted %d values", nodes)
		}
	})
}

// walk calls text on every string of a decoded JSON value, member names
// included, counts its values and fails past the depth budget.
func walk(t *testing.T, v any, depth int, nodes *int, text func(string)) {
	*nodes++
	if depth > Document.MaxDepth {
		t.Fatalf("accepted nesting deeper than %d", Document.MaxDepth)
	}
	switch v := v.(type) {
	case string:
		text(v)
	case []any:
		for _, item := range v {
			walk(t, item, depth+1, nodes, text)
		}
	case map[string]any:
		for k, item := range v {
			text(k)
			walk(t, item, depth+1, nodes, text)
		}
	}
}

// FuzzTextProblem: TextProblem accepts exactly the valid UTF-8 without
// control characters other than \n, \t and the \r of a \r\n, and
// CheckValues agrees with it on any form value.
func FuzzTextProblem(f *testing.F) {
	for _, seed := range []string{"", "plain", "a\x00b", "a\r\nb", "a\rb", "\r", "\xff", "\xed\xa0\x80", "\u0085", "\u2028", "tab\there", strings.Repeat("é", 600)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ok := utf8.ValidString(s)
		for i, r := range s {
			if unicode.IsControl(r) && r != '\n' && r != '\t' && !(r == '\r' && strings.HasPrefix(s[i+1:], "\n")) {
				ok = false
			}
		}
		if p := TextProblem(s); (p == "") != ok {
			t.Fatalf("TextProblem(%q) = %q, want ok=%v", s, p, ok)
		}
		errs := CheckValues(map[string][]string{"title": {s}})
		if want := ok && utf8.RuneCountInString(s) <= MaxLength("title"); (len(errs) == 0) != want || (len(errs) > 0 && errs[0].Field != "title") {
			t.Fatalf("CheckValues(title=%q) = %+v, want ok=%v", s, errs, want)
		}
	})
}
