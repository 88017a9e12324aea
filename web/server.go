// Package web serves modeltender over HTTP: the JSON API under /api/v1
// (OpenAPI document at /api/openapi.yaml, errors as RFC 9457 problem+json),
// health endpoints, and the web UI. Handlers read PostgreSQL for views and
// talk to Temporal for everything that changes a running process.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.temporal.io/sdk/client"

	"github.com/modeltender/modeltender/internal/licensing"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/internal/telemetry"
	"github.com/modeltender/modeltender/policies"
)

// maxBody caps request bodies; a bid with a handful of manifests is far below it.
const maxBody = "2M"

// Deps are what the server needs.
type Deps struct {
	Store     *store.Store
	Temporal  client.Client
	Policies  *policies.Engine
	Licenses  *licensing.Analyzer
	TaskQueue string
	Now       func() time.Time
	Log       *slog.Logger
	Telemetry *telemetry.Telemetry // optional: request spans and metrics, /metrics
}

// Server is the HTTP server.
type Server struct {
	deps  Deps
	echo  *echo.Echo
	pages pages
}

// NewServer builds the server and its routes.
func NewServer(deps Deps) *Server {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	s := &Server{deps: deps, echo: e, pages: parsePages()}
	e.HTTPErrorHandler = errorHandler(deps.Log, s.errorPage)
	if deps.Telemetry != nil {
		e.Use(deps.Telemetry.Middleware()) // first: it sees the status of errors and recovered panics
	}
	e.Use(middleware.Recover())
	e.Use(middleware.BodyLimit(maxBody))
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
		u, err := s.deps.Store.UserByToken(c.Request().Context(), strings.TrimSpace(token))
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

// authorize asks the authz policy whether the caller's role may do action.
func (s *Server) authorize(c echo.Context, action string) (domain.User, error) {
	u := userOf(c)
	ok, err := s.deps.Policies.Allow(c.Request().Context(), u.Role, action)
	if err != nil {
		return u, err
	}
	if !ok {
		return u, domain.Errorf(domain.ErrForbidden, "a %s may not %s: %s", u.Role, strings.ReplaceAll(action, ":", " "), whoMay(action))
	}
	return u, nil
}

// whoMay tells the caller which role an action needs.
func whoMay(action string) string {
	switch {
	case strings.HasPrefix(action, "solicitation:") && action != "solicitation:read":
		return "sign in as a procurement officer"
	case action == "bid:submit":
		return "sign in as a vendor user"
	case strings.HasPrefix(action, "task:"):
		return "sign in as a compliance reviewer"
	case action == "user:create":
		return "ask an admin"
	}
	return "ask an admin for the right role"
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz reports whether PostgreSQL and Temporal answer.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{"postgres": "ok", "temporal": "ok"}
	status := http.StatusOK
	if err := s.deps.Store.Ping(ctx); err != nil {
		checks["postgres"] = err.Error()
		status = http.StatusServiceUnavailable
	}
	if _, err := s.deps.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		checks["temporal"] = err.Error()
		status = http.StatusServiceUnavailable
	}
	return c.JSON(status, checks)
}
