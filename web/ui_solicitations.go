package web

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
)

// statusGroups orders the solicitation states on the dashboard.
var statusGroups = []struct {
	Status domain.SolicitationStatus
	Label  string
}{
	{domain.SolicitationPublished, "Open for bids"},
	{domain.SolicitationBidding, "Open for bids, questions closed"},
	{domain.SolicitationDraft, "Drafts"},
	{domain.SolicitationClosed, "Closed, evaluation starting"},
	{domain.SolicitationEvaluating, "In evaluation"},
	{domain.SolicitationEvaluated, "Evaluated"},
	{domain.SolicitationCancelled, "Cancelled"},
}

type solicitationGroup struct {
	Label         string
	Solicitations []domain.Solicitation
}

func (s *Server) solicitationsPage(c echo.Context) error {
	u, err := s.authorize(c, "solicitation:read")
	if err != nil {
		return err
	}
	sols, err := s.deps.Store.Solicitations(c.Request().Context())
	if err != nil {
		return err
	}
	byStatus := map[domain.SolicitationStatus][]domain.Solicitation{}
	for _, sol := range sols {
		if s.canSee(u, sol) {
			byStatus[sol.Status] = append(byStatus[sol.Status], sol)
		}
	}
	var groups []solicitationGroup
	for _, g := range statusGroups {
		if len(byStatus[g.Status]) > 0 {
			groups = append(groups, solicitationGroup{Label: g.Label, Solicitations: byStatus[g.Status]})
			delete(byStatus, g.Status)
		}
	}
	for status, rest := range byStatus { // states added after this page was written
		groups = append(groups, solicitationGroup{Label: string(status), Solicitations: rest})
	}
	title := "Solicitations"
	if u.Role == domain.RoleVendor {
		title = "Solicitations open to vendors"
	}
	return s.render(c, http.StatusOK, "solicitations", title, map[string]any{
		"Groups": groups, "CanCreate": u.Role == domain.RoleOfficer,
	})
}

// solicitationForm is the new-solicitation form as the officer filled it in.
type solicitationForm struct {
	Title, Description, RiskTier, Deadline, ExpectedMonthlyUsers, MinimumOpennessClass string
	Errors                                                                             fieldErrors
	Summary                                                                            string
}

func (s *Server) newSolicitationPage(c echo.Context) error {
	if _, err := s.authorize(c, "solicitation:create"); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "solicitation_new", "New solicitation", solicitationForm{
		RiskTier: string(domain.RiskStandard), Deadline: s.deps.Now().UTC().Add(14 * 24 * time.Hour).Format(datetimeLocal),
	})
}

// datetimeLocal is the value format of <input type="datetime-local">.
const datetimeLocal = "2006-01-02T15:04"

func (s *Server) createSolicitationForm(c echo.Context) error {
	u, err := s.authorize(c, "solicitation:create")
	if err != nil {
		return err
	}
	f := solicitationForm{
		Title: c.FormValue("title"), Description: c.FormValue("description"), RiskTier: c.FormValue("risk_tier"),
		Deadline: c.FormValue("deadline"), ExpectedMonthlyUsers: strings.TrimSpace(c.FormValue("expected_monthly_users")),
		MinimumOpennessClass: c.FormValue("minimum_openness_class"),
	}
	req := solicitationRequest{Title: f.Title, Description: f.Description, RiskTier: f.RiskTier,
		Deadline: f.Deadline, MinimumOpennessClass: f.MinimumOpennessClass}
	// The form's deadline is a UTC wall-clock time; the API takes RFC 3339.
	if t, err := time.Parse(datetimeLocal, f.Deadline); err == nil {
		req.Deadline = t.UTC().Format(time.RFC3339)
	}
	if n, err := strconv.ParseInt(f.ExpectedMonthlyUsers, 10, 64); err == nil {
		req.ExpectedMonthlyUsers = &n
	}
	sol, err := s.draftSolicitation(c.Request().Context(), u, req)
	if err != nil {
		if f.Errors, f.Summary, err = formErrors(err); err != nil {
			return err
		}
		return s.render(c, http.StatusUnprocessableEntity, "solicitation_new", "New solicitation", f)
	}
	return c.Redirect(http.StatusSeeOther, "/solicitations/"+sol.ID+"?flash=drafted")
}

// solicitationView is the solicitation page: its terms and what the viewer may do next.
type solicitationView struct {
	Sol                          domain.Solicitation
	CanPublish, CanBid, CanBoard bool
	CanAudit, DeadlinePassed     bool
	MyBids                       []store.BidSummary
	Bid                          bidForm
	Lifecycle                    lifecycleView
}

// bidForm is the bid form as the vendor filled it in. Uploaded files cannot
// be put back into a file input, so errors name the file to choose again.
type bidForm struct {
	ManifestJSON string
	Errors       fieldErrors
	Summary      string
}

func (s *Server) solicitationPage(c echo.Context) error {
	return s.renderSolicitation(c, http.StatusOK, bidForm{}, actionForm{})
}

// renderSolicitation shows the solicitation page, with the bid form or one
// lifecycle form as the user filled it in when it was refused.
func (s *Server) renderSolicitation(c echo.Context, status int, bid bidForm, form actionForm) error {
	u, err := s.authorize(c, "solicitation:read")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	sol, err := s.solicitation(c)
	if err != nil {
		return err
	}
	v := solicitationView{Sol: sol, Bid: bid, DeadlinePassed: !s.deps.Now().Before(sol.Deadline)}
	v.CanPublish = u.Role == domain.RoleOfficer && sol.Status == domain.SolicitationDraft && u.OrgID == sol.AgencyOrgID
	v.CanBid = u.Role == domain.RoleVendor && sol.Status.AcceptsBids() && !v.DeadlinePassed
	v.CanBoard = u.Role != domain.RoleVendor && sol.Status != domain.SolicitationDraft && !sol.Status.AcceptsBids()
	if v.CanAudit, err = s.deps.Policies.Allow(ctx, u.Role, "audit:read"); err != nil {
		return err
	}
	if u.Role == domain.RoleVendor {
		if v.MyBids, err = s.deps.Store.BidsForSolicitation(ctx, sol.ID, u.OrgID); err != nil {
			return err
		}
	}
	if v.Lifecycle, err = s.lifecycle(c, u, sol, v.MyBids, form); err != nil {
		return err
	}
	return s.render(c, status, "solicitation", sol.Title, v)
}

func (s *Server) publishForm(c echo.Context) error {
	u, err := s.authorize(c, "solicitation:publish")
	if err != nil {
		return err
	}
	sol, err := s.publish(c.Request().Context(), u, c.Param("id"))
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/solicitations/"+sol.ID+"?flash=published")
}

// submitBidForm takes a bid as uploaded manifest files and/or one pasted
// manifest, and submits it through the same path as the API.
func (s *Server) submitBidForm(c echo.Context) error {
	u, err := s.authorize(c, "bid:submit")
	if err != nil {
		return err
	}
	req, sources, f, err := bidUploads(c)
	if err != nil {
		return err
	}
	bid, err := s.submit(c.Request().Context(), u, c.Param("id"), req)
	if err != nil {
		fields, summary, err := formErrors(err)
		if err != nil {
			return err
		}
		f.Summary, f.Errors = summary, bidFieldErrors(fields, sources)
		return s.renderSolicitation(c, http.StatusUnprocessableEntity, f, actionForm{})
	}
	return c.Redirect(http.StatusSeeOther, "/bids/"+bid.ID+"?flash=submitted")
}

// bidUploads reads a bid form's candidates: uploaded manifest files and/or
// one pasted manifest, with where each came from (by index) for errors.
func bidUploads(c echo.Context) (bidRequest, []string, bidForm, error) {
	f := bidForm{ManifestJSON: c.FormValue("manifest_json")}
	var req bidRequest
	var sources []string
	if form, err := c.MultipartForm(); err == nil {
		for _, fh := range form.File["manifest_files"] {
			b, err := readUpload(fh)
			if err != nil {
				return req, nil, f, err
			}
			req.Candidates = append(req.Candidates, b)
			sources = append(sources, "file "+fh.Filename)
		}
	}
	if strings.TrimSpace(f.ManifestJSON) != "" {
		req.Candidates = append(req.Candidates, json.RawMessage(f.ManifestJSON))
		sources = append(sources, "pasted manifest")
	}
	return req, sources, f, nil
}

func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("read uploaded manifest %s: %w", fh.Filename, err)
	}
	defer f.Close()
	return io.ReadAll(f)
}

var candidateIndex = regexp.MustCompile(`^candidates\[(\d+)\]\.?`)

// bidFieldErrors moves the API's per-candidate errors (candidates[i].path)
// next to the form field the candidate came from: the file input or the
// pasted-manifest box.
func bidFieldErrors(fields fieldErrors, sources []string) fieldErrors {
	out := fieldErrors{}
	add := func(field, msg string) {
		if prev, ok := out[field]; ok {
			msg = prev.Message + "; " + msg
		}
		out[field] = fieldError{ID: field, Message: msg}
	}
	for _, path := range slices.Sorted(maps.Keys(fields)) {
		fe := fields[path]
		m := candidateIndex.FindStringSubmatch(path)
		if m == nil {
			add("manifest_files", fe.Message)
			continue
		}
		i, _ := strconv.Atoi(m[1])
		source, rest := "", strings.TrimPrefix(path, m[0])
		if i < len(sources) {
			source = sources[i]
		}
		where := source
		if rest != "" {
			where += ", field " + rest
		}
		target := "manifest_files"
		if source == "pasted manifest" {
			target = "manifest_json"
		} else {
			fe.Message += " (choose the file again after fixing it)"
		}
		add(target, where+": "+fe.Message)
	}
	return out
}
