package web

import (
	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/tender"
)

// ---- signing identities ----------------------------------------------------------

func (s *Server) registerSigningIdentity(c echo.Context, u domain.User, b tender.SigningIdentityRequest) (domain.SigningIdentity, error) {
	return s.svc.RegisterSigningIdentity(c.Request().Context(), u, b)
}

func (s *Server) ownSigningIdentities(c echo.Context, u domain.User) ([]domain.SigningIdentity, error) {
	return s.svc.SigningIdentities(c.Request().Context(), u, u.OrgID)
}

func (s *Server) orgSigningIdentities(c echo.Context, u domain.User) ([]domain.SigningIdentity, error) {
	return s.svc.SigningIdentities(c.Request().Context(), u, c.Param("id"))
}

func (s *Server) revokeSigningIdentity(c echo.Context, u domain.User) (any, error) {
	err := s.svc.RevokeSigningIdentity(c.Request().Context(), u, c.Param("id"))
	return map[string]any{"id": c.Param("id"), "revoked": err == nil}, err
}
