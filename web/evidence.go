package web

// The evidence page: a vendor adds safety evidence beside a candidate
// described in any format (tender.AddEvidence), from the pre-check's link.

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/tender"
)

// evidenceFields are the inputs of one evidence item on the form.
var evidenceFields = []string{"kind", "title", "date", "location", "scope", "summary"}

type evidenceView struct {
	tender.EvidencePage
	Form actionForm
}

// Kind is the kind the form shows chosen: as typed, else the one the
// pre-check link asked for, else the first one missing.
func (v evidenceView) Kind() string {
	if k := v.Form.Values["kind"]; k != "" {
		return k
	}
	if len(v.Missing) > 0 {
		return v.Missing[0].Kind
	}
	return ""
}

// Item is the form's evidence item for the shared "evidence-item" template.
func (v evidenceView) Item() evidenceItemView {
	return evidenceItemView{Kinds: v.Kinds, Kind: v.Kind(), Values: v.Form.Values, Errors: v.Form.Errors}
}

// evidenceItemView is one evidence item's inputs (evidenceFields, each
// named Prefix+field) as typed, for the shared "evidence-item" template: on
// the evidence page, and on the bid form beside its files (Optional, since
// a bid need not carry one).
type evidenceItemView struct {
	Prefix   string
	Optional bool
	Kinds    []string
	Kind     string
	Values   map[string]string
	Errors   fieldErrors
}

// ID is an input's id.
func (v evidenceItemView) ID(field string) string { return fieldID(v.Prefix + field) }

// Err is the error next to an input, or nil.
func (v evidenceItemView) Err(field string) *fieldError {
	if fe, ok := v.Errors[v.Prefix+field]; ok {
		return &fe
	}
	return nil
}

// Field is one text input of the item; the location is required.
func (v evidenceItemView) Field(kind, field, label, hint string) fieldView {
	fv := newFieldView(kind, actionForm{Values: v.Values, Errors: v.Errors}, v.Prefix+field, "", label, hint)
	fv.Required = field == "location"
	return fv
}

func (s *Server) evidencePage(c echo.Context) error {
	f := actionForm{Name: "evidence", Values: map[string]string{"kind": c.QueryParam("kind")}}
	return s.renderEvidence(c, http.StatusOK, f)
}

func (s *Server) renderEvidence(c echo.Context, status int, f actionForm) error {
	p, err := s.svc.Evidence(c.Request().Context(), userOf(c), c.Param("id"), c.Param("cid"))
	if err != nil {
		return err
	}
	return s.render(c, status, "bid_evidence", "Evidence for "+p.Candidate.Name, evidenceView{EvidencePage: p, Form: f})
}

// addEvidenceForm adds one evidence item and goes back to the bid's
// pre-check, which runs again on the revision.
func (s *Server) addEvidenceForm(c echo.Context) error {
	f := newActionForm(c, "evidence", "", evidenceFields...)
	item := domain.EvidenceItem{Kind: f.Values["kind"], Title: f.Values["title"], Date: f.Values["date"],
		Location: f.Values["location"], Scope: f.Values["scope"], Summary: f.Values["summary"]}
	_, err := s.svc.AddEvidence(c.Request().Context(), userOf(c), c.Param("id"), c.Param("cid"), []domain.EvidenceItem{item})
	if err != nil {
		if err := f.refuse(err); err != nil {
			return err
		}
		// The one item on the form is evidence[0]: show its errors at its inputs.
		errs := fieldErrors{}
		for _, name := range slices.Sorted(maps.Keys(f.Errors)) {
			fe := f.Errors[name]
			field := strings.TrimPrefix(name, "evidence[0].")
			if !slices.Contains(evidenceFields, field) {
				f.Summary += "; " + fe.Message // not about an input of this form: say it in the summary
				continue
			}
			fe.ID = fieldID(field)
			errs[field] = fe
		}
		f.Errors = errs
		return s.renderEvidence(c, http.StatusUnprocessableEntity, f)
	}
	return c.Redirect(http.StatusSeeOther, "/bids/"+c.Param("id")+"?flash=revised#precheck")
}
