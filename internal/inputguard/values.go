package inputguard

import (
	"fmt"
	"mime"
	"slices"
	"strconv"
	"strings"

	"github.com/modeltender/modeltender/internal/domain"
)

// CheckValues checks named text values, a posted form's, a query's or a
// route's path parameters, against the text rules and each name's length
// limit; a form input named after a JSON path with "_" for "."
// (mf_weights_license) takes the limit of its last part (license). It
// returns one field error per bad value, named as the value is
// (use_cases[1] for the second of several), nil when all are good.
func CheckValues(values map[string][]string) []domain.FieldError {
	var out []domain.FieldError
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if p := TextProblem(name); p != "" || len(name) > maxKeyLength {
			out = append(out, domain.FieldError{Field: strconv.Quote(name), Message: "is not a field name the service accepts: " + orLong(p, len(name))})
			continue
		}
		vs := values[name]
		for i, v := range vs {
			field := name
			if len(vs) > 1 {
				field = fmt.Sprintf("%s[%d]", name, i)
			}
			p := TextProblem(v)
			if p == "" {
				p = lengthProblem(len([]rune(v)), formLimit(name))
			}
			if p != "" {
				out = append(out, domain.FieldError{Field: field, Message: p})
			}
			if len(out) >= maxFieldErrors {
				return out
			}
		}
	}
	return out
}

func orLong(problem string, n int) string {
	if problem != "" {
		return problem
	}
	return fmt.Sprintf("%d bytes long, at most %d allowed", n, maxKeyLength)
}

// RequireJSON checks a request's Content-Type before its body is read as
// JSON: application/json, or a JSON-based type (application/problem+json),
// in UTF-8. Anything else is an ErrUnsupportedMedia error that says what to
// send.
func RequireJSON(contentType string) error {
	if strings.TrimSpace(contentType) == "" {
		return domain.Errorf(domain.ErrUnsupportedMedia, "the request has no Content-Type: send the JSON body with Content-Type: application/json")
	}
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return domain.Errorf(domain.ErrUnsupportedMedia, "the Content-Type %q cannot be read (%v): send the JSON body with Content-Type: application/json", contentType, err)
	}
	if media != "application/json" && !(strings.HasPrefix(media, "application/") && strings.HasSuffix(media, "+json")) {
		return domain.Errorf(domain.ErrUnsupportedMedia, "this endpoint reads JSON, and the body was sent as %s: send it with Content-Type: application/json", media)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return domain.Errorf(domain.ErrUnsupportedMedia, "this endpoint reads JSON in UTF-8, and the body was sent in %s: send it in UTF-8 with Content-Type: application/json", cs)
	}
	return nil
}
