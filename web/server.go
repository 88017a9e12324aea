// Package web serves modeltender over HTTP: the JSON API under /api/v1
// (OpenAPI document at /api/openapi.yaml, errors as RFC 9457 problem+json),
// health endpoints, and the web UI. Every handler goes through the use cases
// of internal/tender.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/telemetry"
	"github.com/modeltender/modeltender/internal/tender"
)

// maxBody caps request bodies; a bid with a handful of manifests is far below it.
const maxBody = "2M"

// Server is the HTTP server: the JSON API and the web UI over the use cases
// and read models of svc. Handlers decode, call svc and encode; they never
// touch the store or Temporal themselves.
type Server struct {
	svc   *tender.Service
	log   *slog.Logger
	tel   *telemetry.Telemetry
	echo  *echo.Echo
	pages pages
}

// NewServer builds the server and its routes; tel, when not nil, records
// request spans and metrics and serves /metrics.
func NewServer(svc *tender.Service, tel *telemetry.Telemetry) *Server {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	s := &Server{svc: svc, log: svc.Log, tel: tel, echo: e, pages: parsePages()}
	e.HTTPErrorHandler = errorHandler(s.log, s.errorPage)
	e.Use(accessLog(s.log)) // outermost: it logs the status the error handler wrote
	if tel != nil {
		e.Use(tel.Middleware()) // first: it sees the status of errors and recovered panics
	}
	e.Use(middleware.Recover())
	e.Use(middleware.BodyLimit(maxBody))
	e.Use(guardInput)
	s.routes()
	return s
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

type ctxKey struct{}

// authenticate resolves the bearer token to a user; requests without one are refused.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			return domain.Errorf(domain.ErrUnauthenticated, "missing API token: send `Authorization: Bearer <token>` (get one with `modeltender users add`)")
		}
		u, err := s.svc.TokenUser(c.Request().Context(), strings.TrimSpace(token))
		if err != nil {
			return err
		}
		c.Set("user", u)
		c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), ctxKey{}, u)))
		return next(c)
	}
}

func userOf(c echo.Context) domain.User {
	u, _ := c.Get("user").(domain.User)
	return u
}

// authorize refuses the signed-in user unless its role may take action,
// for pages; the use cases check their own permissions.
func (s *Server) authorize(c echo.Context, action string) (domain.User, error) {
	u := userOf(c)
	return u, s.svc.Authorize(c.Request().Context(), u, action)
}

// healthz reports whether the process can work: 503 naming the dependency
// when PostgreSQL or Temporal does not answer, since every request would fail.
func (s *Server) healthz(c echo.Context) error {
	checks, status := s.dependencies(c.Request().Context())
	checks["status"] = "ok"
	if status != http.StatusOK {
		checks["status"] = "unavailable"
	}
	return c.JSON(status, checks)
}

// readyz reports whether PostgreSQL and Temporal answer.
func (s *Server) readyz(c echo.Context) error {
	checks, status := s.dependencies(c.Request().Context())
	return c.JSON(status, checks)
}

// dependencies asks PostgreSQL and Temporal whether they answer, within 3s.
func (s *Server) dependencies(ctx context.Context) (map[string]string, int) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	status := http.StatusOK
	for dep, err := range s.svc.Readiness(ctx) {
		checks[dep] = "ok"
		if err != nil {
			checks[dep], status = "unreachable: "+err.Error(), http.StatusServiceUnavailable
		}
	}
	return checks, status
}
