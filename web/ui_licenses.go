package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// licensePage shows a license of the knowledge base in full, each quote a
// finding cites marked and anchored at #clause-<clause>, so a reviewer
// reads the clause in its context.
func (s *Server) licensePage(c echo.Context) error {
	v, err := s.svc.LicenseText(c.Param("id"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "license", v.Name, v)
}

// favicon answers browsers that ask for /favicon.ico before reading the
// page's icon link.
func favicon(c echo.Context) error {
	return c.Redirect(http.StatusMovedPermanently, "/static/favicon.svg")
}

// licenseLink is where a finding's clause is quoted in full: its evidence
// names "<license id> <clause>", and only a source quoting a vendored text
// (policies/data/...) has a text to show.
func licenseLink(source, clause string) string {
	id, name, ok := strings.Cut(clause, " ")
	if !ok || !strings.Contains(source, "policies/data/") {
		return ""
	}
	return "/licenses/" + url.PathEscape(id) + "#clause-" + name
}

// clauseLabel names a finding's clause in words: "acceptable use policy"
// for "LicenseRef-Llama-3.1-Community acceptable_use_policy".
func clauseLabel(clause string) string {
	if _, name, ok := strings.Cut(clause, " "); ok {
		clause = name
	}
	return strings.ReplaceAll(clause, "_", " ")
}
