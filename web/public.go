package web

// The public pages: published solicitations, each one's terms, Q&A,
// amendments and timeline, and the award notice, for anyone, signed in or
// not. Their read models (tender.PublicSolicitations, PublicSolicitation,
// PublicAward) hold only what is published anyway.

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/tender"
)

// publicRoute adds a page anyone may read; a signed-in visitor keeps the
// header and navigation of their role.
func (s *Server) publicRoute(path string, h echo.HandlerFunc) {
	s.echo.GET(path, h, securityHeaders, csrfProtect, s.optionalSession)
}

// front is the start page: a signed-in user goes to where their work is,
// a visitor sees the published solicitations.
func (s *Server) front(c echo.Context) error {
	if userOf(c).ID != "" {
		return s.home(c)
	}
	return s.publicListPage(c)
}

// publicListPage lists the published solicitations, searched by title,
// agency, risk tier and status.
func (s *Server) publicListPage(c echo.Context) error {
	f := tender.PublicFilter{Query: c.QueryParam("q"), Agency: c.QueryParam("agency"), Tier: c.QueryParam("tier"), Phase: c.QueryParam("status")}
	v, err := s.svc.PublicSolicitations(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "public_list", "Published solicitations", v)
}

func (s *Server) publicSolicitationPage(c echo.Context) error {
	v, err := s.svc.PublicSolicitation(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "public_solicitation", v.Title, v)
}

func (s *Server) publicAwardPage(c echo.Context) error {
	v, err := s.svc.PublicAward(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "public_award", "Award notice: "+v.Title, v)
}
