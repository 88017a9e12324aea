package web

// The web UI: server-rendered pages for officers, vendors, reviewers and
// auditors. Pages reuse the API's code paths (draftSolicitation, publish,
// submit, decide, sealedBid, ...) so a browser and a client are held to the
// same rules; only decoding the input and rendering the answer differ.

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/tender"
	"github.com/modeltender/modeltender/web/ui"
)

const (
	sessionCookie = "mt_session"
	csrfCookie    = "mt_csrf"
	csrfField     = "_csrf"
	sessionTTL    = 12 * time.Hour
)

// page is what every template receives.
type page struct {
	Title string
	User  domain.User // zero when signed out
	CSRF  string
	Nav   []navLink
	Flash string
	Data  any
}

type navLink struct {
	Href, Label string
	Current     bool
}

// pages holds one parsed template set per page, each with the shared layout.
type pages map[string]*template.Template

// sharedTemplates are in every page's set: the layout and the pieces pages share.
var sharedTemplates = []string{"layout.html", "partials.html", "manifest_form.html"}

func parsePages() pages {
	funcs := template.FuncMap{
		"when": func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 MST") },
		"whenp": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.UTC().Format("2 Jan 2006 15:04 MST")
		},
	}
	funcs["field"] = newFieldView
	funcs["bySeverity"] = splitFindings
	funcs["join"] = strings.Join
	funcs["licenseLink"] = licenseLink
	funcs["timeline"] = newTimeline
	funcs["reasonLabel"] = func(code string) string { return cmp.Or(tender.ReasonLabels[code], code) }
	funcs["taskKind"] = func(k domain.TaskKind) string { return cmp.Or(tender.TaskKindLabels[k], string(k)) }
	funcs["clauseLabel"] = clauseLabel
	funcs["mandatory"] = func(v fieldView) fieldView { v.Required = true; return v }
	funcs["shortRev"] = shortRevision
	fsys := ui.Templates()
	base := template.Must(template.New("").Funcs(funcs).ParseFS(fsys, sharedTemplates...))
	names, err := fs.Glob(fsys, "*.html")
	if err != nil {
		panic(err)
	}
	out := pages{}
	for _, name := range names {
		if slices.Contains(sharedTemplates, name) {
			continue
		}
		out[strings.TrimSuffix(name, ".html")] = template.Must(template.Must(base.Clone()).ParseFS(fsys, name))
	}
	return out
}

// flashes are the only notices a redirect may ask a page to show, so a
// crafted link cannot put arbitrary text on the page.
var flashes = map[string]string{
	"signed-out":          "You are signed out.",
	"drafted":             "The draft is saved. Check it, then publish it to open bidding.",
	"edited":              "The draft is updated. Check it, then publish it to open bidding.",
	"published":           "The solicitation is published: vendors can bid until the deadline.",
	"submitted":           "Your bid is in. It stays sealed until the deadline; the evaluation of each candidate appears below.",
	"decided":             "Your decision is recorded.",
	"asked":               "Your question is in. The officer's answer is published to every vendor, without naming who asked.",
	"answered":            "The answer is published to every vendor.",
	"amended":             "The amendment is published; vendors with a bid are asked to confirm or revise it.",
	"cancelled":           "The solicitation is cancelled.",
	"recommended":         "The award recommendation is with the reviewers for approval.",
	"fit-scored":          "The fit score is recorded and the candidates are ranked again.",
	"protested":           "Your protest is filed. The award waits until the officer decides it.",
	"protest-decided":     "The decision on the protest is recorded and sent to the vendor.",
	"revised":             "Your bid is revised. The pre-check of the new candidates is below.",
	"withdrawn":           "Your bid is withdrawn.",
	"confirmed":           "Your bid is confirmed against the amendment.",
	"clarified":           "Your answer is sent; the candidate's checks run again.",
	"clarification-asked": "Your question is sent to the vendor; the evaluation waits for the answer.",
	"conflict-declared":   "Your conflict of interest is recorded: tasks on that organisation's bids no longer reach you.",
	"conflict-withdrawn":  "Your conflict of interest is withdrawn: tasks on that organisation's new bids reach you again.",
	"reviewer-assigned":   "The reviewer is assigned: the task is in their inbox.",
	"exception-recorded":  "The exception is recorded on the audit trail and stands for the missing approvals.",
	"change-notified":     "Your change notice is sent. The awarded model is re-checked now under the solicitation's frozen policy revision, and the agency's reviewers re-attest it.",
	"output-reported":     "The report is sent. The awarded model is re-checked under the solicitation's frozen policy revision and a review task opens on it below.",
	"identity-registered": "The signing identity is registered: candidates signed with it are verified under it from now on.",
	"identity-revoked":    "The signing identity is revoked: checks from now on no longer trust it.",
}

// render writes a page. An htmx request for a page that refreshes itself
// gets only its "live" part.
func (s *Server) render(c echo.Context, status int, name, title string, data any) error {
	t, ok := s.pages[name]
	if !ok {
		return domain.Errorf(domain.ErrInternal, "no page template %q", name)
	}
	p := page{Title: title, User: userOf(c), Data: data, Flash: flashes[c.QueryParam("flash")]}
	p.CSRF, _ = c.Get(csrfField).(string)
	p.Nav = navFor(p.User.Role, c.Request().URL.Path)
	block := "layout"
	if c.Request().Header.Get("HX-Request") == "true" && t.Lookup("live") != nil {
		block = "live"
	}
	// Render fully before sending, so a template error becomes an error
	// page rather than half a page.
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, p); err != nil {
		return fmt.Errorf("render page %s: %w", name, err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// navFor is the primary navigation of each role.
func navFor(role domain.Role, current string) []navLink {
	var links []navLink
	switch role {
	case domain.RoleOfficer:
		links = []navLink{{Href: "/solicitations", Label: "Solicitations"}, {Href: "/solicitations/new", Label: "New solicitation"}}
	case domain.RoleVendor:
		links = []navLink{{Href: "/solicitations", Label: "Open solicitations"}, {Href: "/signing-identities", Label: "Signing identities"}}
	case domain.RoleReviewer:
		links = []navLink{{Href: "/tasks", Label: "Review inbox"}, {Href: "/solicitations", Label: "Solicitations"},
			{Href: "/conflicts", Label: "Conflicts of interest"}}
	case domain.RoleAuditor, domain.RoleAdmin:
		links = []navLink{{Href: "/solicitations", Label: "Solicitations and audit trails"}}
	}
	for i := range links {
		links[i].Current = links[i].Href == current
	}
	return links
}

// errorPage renders an error for a person; the API's problem+json is for clients.
func (s *Server) errorPage(c echo.Context, p Problem) error {
	return s.render(c, p.Status, "error", p.Title, p)
}

// securityHeaders keeps pages to their own scripts and styles (no inline
// script, so no 'unsafe-inline') and out of other sites' frames.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}

// csrfProtect is a double-submit check: every form carries the random token
// that is also in an HttpOnly, SameSite=Strict cookie; another site can make
// the browser post a form but can neither read nor set that cookie. It also
// covers the sign-in form, which has no session yet.
func csrfProtect(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := ""
		if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 {
			token = ck.Value
		} else {
			token = randomToken()
			c.SetCookie(&http.Cookie{Name: csrfCookie, Value: token, Path: "/", HttpOnly: true,
				SameSite: http.SameSiteStrictMode, Secure: c.Request().TLS != nil})
		}
		c.Set(csrfField, token)
		if c.Request().Method != http.MethodGet && c.Request().Method != http.MethodHead {
			sent := c.FormValue(csrfField)
			if sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
				return domain.Errorf(domain.ErrForbidden, "the form's security token is missing or out of date, so it was not accepted: reload the page and submit the form again")
			}
		}
		return next(c)
	}
}

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // the OS entropy source is gone: nothing sensible to do
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// webSession resolves the session cookie to a user. A signed-out visitor of
// a page is sent to sign in and then back.
func (s *Server) webSession(next echo.HandlerFunc) echo.HandlerFunc {
	return s.optionalSession(func(c echo.Context) error {
		switch {
		case userOf(c).ID != "":
			return next(c)
		case c.Request().Method == http.MethodGet:
			return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		return domain.Errorf(domain.ErrUnauthenticated, "you are not signed in (or your session ended): sign in at /login and try again")
	})
}

// optionalSession resolves the session cookie when there is a valid one and
// otherwise lets the visitor through signed out.
func (s *Server) optionalSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ck, err := c.Cookie(sessionCookie); err == nil {
			u, err := s.svc.SessionUser(c.Request().Context(), ck.Value)
			switch {
			case err == nil:
				c.Set("user", u)
			case domain.KindOf(err) != domain.ErrUnauthenticated:
				return err
			}
		}
		return next(c)
	}
}

// pageRoute adds a page that needs a signed-in user.
func (s *Server) pageRoute(method, path string, h echo.HandlerFunc) {
	s.echo.Add(method, path, h, securityHeaders, csrfProtect, s.webSession)
}

type loginForm struct {
	Email, Next string
	Error       string
}

func (s *Server) loginPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "login", "Sign in", loginForm{Next: safeNext(c.QueryParam("next"))})
}

func (s *Server) login(c echo.Context) error {
	f := loginForm{Email: strings.TrimSpace(c.FormValue("email")), Next: safeNext(c.FormValue("next"))}
	_, token, err := s.svc.SignIn(c.Request().Context(), f.Email, c.FormValue("password"), sessionTTL)
	if err != nil {
		if domain.KindOf(err) != domain.ErrUnauthenticated {
			return err
		}
		f.Error = asDomainError(err).Message
		return s.render(c, http.StatusUnauthorized, "login", "Sign in", f)
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, MaxAge: int(sessionTTL.Seconds()),
		SameSite: http.SameSiteLaxMode, Secure: c.Request().TLS != nil})
	return c.Redirect(http.StatusSeeOther, f.Next)
}

func (s *Server) logout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if err := s.svc.SignOut(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
	return c.Redirect(http.StatusSeeOther, "/login?flash=signed-out")
}

// safeNext keeps the post-login redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// home sends each role to where its work is.
func (s *Server) home(c echo.Context) error {
	if userOf(c).Role == domain.RoleReviewer {
		return c.Redirect(http.StatusSeeOther, "/tasks")
	}
	return c.Redirect(http.StatusSeeOther, "/solicitations")
}

// fieldErrors indexes validation errors by field, for showing each next to its input.
type fieldErrors map[string]fieldError

type fieldError struct{ ID, Message string }

// formErrors splits an error into per-field messages (for ErrInvalid) and a
// summary; any other kind of error is returned for the error page.
func formErrors(err error) (fieldErrors, string, error) {
	de := asDomainError(err)
	if de.Kind != domain.ErrInvalid && de.Kind != domain.ErrMalformed {
		return nil, "", err
	}
	fe := fieldErrors{}
	for _, f := range de.Fields {
		id := fieldID(f.Field)
		f.Message = inUsersWords(f.Message)
		if prev, ok := fe[f.Field]; ok {
			f.Message = prev.Message + "; " + f.Message
		}
		fe[f.Field] = fieldError{ID: id, Message: f.Message}
	}
	return fe, inUsersWords(de.Message), nil
}

// unreadable refuses a form that could not put some of its inputs in the
// request (own: a number that is not a number, a list that does not parse),
// with what the service finds wrong with the rest (rest), so that the user
// fixes everything in one go. A field the form reports is not reported
// again by the service, whose message on the raw text would repeat it.
func unreadable(message string, own, rest []domain.FieldError) error {
	rest = slices.DeleteFunc(slices.Clone(rest), func(r domain.FieldError) bool {
		return slices.ContainsFunc(own, func(o domain.FieldError) bool { return o.Field == r.Field })
	})
	return domain.InvalidFields(message, append(slices.Clone(own), rest...))
}

// schemaWords rewrite what the API says for clients (JSON Schema terms,
// schema locations, "problem(s)") into what a person filling a form reads.
var schemaWords = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(` ?\((?:the )?(?:manifest )?schema is at [^)]*\)`), ""},
	{regexp.MustCompile(`;? ?the schema is at /api/\S+`), ""},
	{regexp.MustCompile(`missing propert(?:y|ies) '([^']+)'`), "“$1” is missing"},
	{regexp.MustCompile(`additional propert(?:y|ies) '([^']+)' not allowed`), "“$1” is not a field the manifest has"},
	{regexp.MustCompile(`got (\w+), want string`), "must be text, not a $1"},
	{regexp.MustCompile(`got (\w+), want (number|integer)`), "must be a number, not a $1"},
	{regexp.MustCompile(`got (\w+), want object`), "must be a group of fields, not a $1"},
	{regexp.MustCompile(`got (\w+), want array`), "must be a list, not a $1"},
	{regexp.MustCompile(`\b1 problem\(s\)`), "1 problem"},
	{regexp.MustCompile(`problem\(s\)`), "problems"},
	{regexp.MustCompile(`\b1 place\(s\)`), "1 place"},
	{regexp.MustCompile(`place\(s\)`), "places"},
}

func inUsersWords(msg string) string {
	for _, w := range schemaWords {
		msg = w.re.ReplaceAllString(msg, w.with)
	}
	return msg
}

func fieldID(field string) string {
	return strings.NewReplacer("[", "-", "]", "", ".", "-").Replace(field)
}

// fieldView is one input of a lifecycle form, for the shared "input"
// template: its kind (textarea, file, or an input type), id (unique on the
// page through the form's key), label, hint, the value as the user typed it
// and its error.
type fieldView struct {
	Kind, ID, Name, Label, Hint, Value string
	Err                                *fieldError
	// Required marks the input and its label (the template "mandatory" sets it).
	Required bool
}

func newFieldView(kind string, f actionForm, name, key, label, hint string) fieldView {
	v := fieldView{Kind: kind, ID: fieldID(name), Name: name, Label: label, Hint: hint, Value: f.Values[name]}
	if key != "" {
		v.ID += "-" + key
	}
	if fe, ok := f.Errors[name]; ok {
		v.Err = &fe
	}
	return v
}

// shortRevision is a policy revision as a person reads it: the digest's
// first 12 hex digits, which tell revisions apart; the title holds it all.
func shortRevision(rev string) string {
	algo, hex, ok := strings.Cut(rev, ":")
	if !ok || len(hex) <= 12 {
		return rev
	}
	return algo + ":" + hex[:12] + "…"
}

// DescribedBy lists the ids of the field's hint and error.
func (v fieldView) DescribedBy() string {
	var ids []string
	if v.Hint != "" {
		ids = append(ids, v.ID+"-hint")
	}
	if v.Err != nil {
		ids = append(ids, v.ID+"-error")
	}
	return strings.Join(ids, " ")
}
