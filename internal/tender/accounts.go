package tender

import (
	"context"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/modeltender/modeltender/internal/domain"
)

// SignIn checks a user's email and password and opens a browser session
// of ttl; the token goes in the session cookie.
func (s *Service) SignIn(ctx context.Context, email, password string, ttl time.Duration) (domain.User, string, error) {
	u, err := s.Store.CheckPassword(ctx, email, password)
	if err != nil {
		return u, "", err
	}
	token, err := s.Store.StartSession(ctx, u.ID, s.Now(), ttl)
	return u, token, err
}

// SignOut ends a browser session.
func (s *Service) SignOut(ctx context.Context, token string) error {
	return s.Store.EndSession(ctx, token, s.Now())
}

// SessionUser is the user a browser session belongs to, while it lasts.
func (s *Service) SessionUser(ctx context.Context, token string) (domain.User, error) {
	return s.Store.UserBySession(ctx, token, s.Now())
}

// TokenUser is the user an API token belongs to.
func (s *Service) TokenUser(ctx context.Context, token string) (domain.User, error) {
	return s.Store.UserByToken(ctx, token)
}

// Notice is a solicitation's latest published open-contracting release
// package: public, like the notice it is.
func (s *Service) Notice(ctx context.Context, solicitationID string) ([]byte, error) {
	return s.Store.LatestNotice(ctx, solicitationID)
}

// Readiness reports whether PostgreSQL and Temporal answer: nil for each
// that does.
func (s *Service) Readiness(ctx context.Context) map[string]error {
	_, temporalErr := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
	return map[string]error{"postgres": s.Store.Ping(ctx), "temporal": temporalErr}
}
