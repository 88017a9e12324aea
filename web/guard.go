package web

import (
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/inputguard"
)

// maxFormMemory is what a multipart form may hold in memory, as echo's
// c.FormValue parses it; the body limit is far below it.
const maxFormMemory = 32 << 20

// guardInput holds everything a request carries outside a JSON body to the
// text rules and each field's length (internal/inputguard) before a handler
// reads it: the route's path parameters and the query (400 naming the
// parameter: GET /api/v1/solicitations/%00 never reaches the database), and
// a posted form's fields and uploaded files (422 naming the field). JSON
// bodies are held to the same rules by decodeJSON. It runs after routing,
// so register it with e.Use, after the body limit.
func guardInput(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		params := map[string][]string{}
		for i, name := range c.ParamNames() {
			if i < len(c.ParamValues()) {
				params[name] = []string{c.ParamValues()[i]}
			}
		}
		if fields := inputguard.CheckValues(params); len(fields) > 0 {
			return &domain.Error{Kind: domain.ErrMalformed, Fields: fields,
				Message: "the URL path holds text the service does not accept (see errors): use the ids the API returns"}
		}
		if fields := inputguard.CheckValues(c.QueryParams()); len(fields) > 0 {
			return &domain.Error{Kind: domain.ErrMalformed, Fields: fields,
				Message: "the URL query holds text the service does not accept (see errors): query values are UTF-8 without control characters"}
		}
		fields, err := formProblems(c.Request())
		if err != nil {
			return err
		}
		if len(fields) > 0 {
			return inputguard.InvalidText(fields)
		}
		return next(c)
	}
}

// formProblems parses a posted form, as c.FormValue would (handlers then
// read the parsed form), and checks its fields and the text of its files.
// A body that is not a form is left alone; one that does not parse is left
// to the handler, whose FormValue finds it empty.
func formProblems(r *http.Request) ([]domain.FieldError, error) {
	media, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	switch media {
	case echo.MIMEApplicationForm:
		if r.ParseForm() != nil {
			return nil, nil
		}
	case echo.MIMEMultipartForm:
		if r.ParseMultipartForm(maxFormMemory) != nil {
			return nil, nil
		}
	default:
		return nil, nil
	}
	fields := inputguard.CheckValues(r.PostForm)
	if r.MultipartForm == nil {
		return fields, nil
	}
	for name, files := range r.MultipartForm.File {
		for _, fh := range files {
			f, err := fh.Open()
			if err != nil {
				return nil, fmt.Errorf("open uploaded %s: %w", fh.Filename, err)
			}
			data, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("read uploaded %s: %w", fh.Filename, err)
			}
			// Uploads are candidate files: text, whose syntax each format's parser checks.
			if p := inputguard.TextProblem(string(data)); p != "" {
				fields = append(fields, domain.FieldError{Field: fmt.Sprintf("%s[%q]", name, fh.Filename), Message: "the file " + p})
			}
		}
	}
	return fields, nil
}
