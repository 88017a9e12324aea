package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/modeltender/modeltender/internal/domain"
)

// MinPasswordLength is the shortest password SetPassword accepts.
const MinPasswordLength = 12

// dummyHash is compared against when the email is unknown, so a login for a
// missing user costs as much as one with a wrong password and does not reveal
// which emails exist. It is computed on the first login, not at start: every
// command links this package, and a bcrypt hash takes ~150 ms.
var dummyHash = sync.OnceValue(func() []byte {
	h, err := bcrypt.GenerateFromPassword([]byte("modeltender-no-such-user"), bcrypt.DefaultCost)
	if err != nil {
		panic(fmt.Sprintf("bcrypt of a fixed 24-byte password failed: %v", err)) // only fails on input over 72 bytes
	}
	return h
})

// SetPassword gives a user a web UI password, replacing any previous one.
func (s *Store) SetPassword(ctx context.Context, userID, password string) error {
	// Counted in characters, as the message says: in bytes, three emoji would pass.
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return domain.Errorf(domain.ErrInvalid, "the password is too short: use at least %d characters", MinPasswordLength)
	}
	if len(password) > 72 {
		return domain.Errorf(domain.ErrInvalid, "the password is too long: bcrypt reads at most 72 bytes, use a shorter one")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO user_passwords (user_id, password_hash, updated_at) VALUES ($1, $2, now())
		ON CONFLICT (user_id) DO UPDATE SET password_hash = EXCLUDED.password_hash, updated_at = now()`, userID, string(hash))
	if err != nil {
		return fmt.Errorf("set password of %s: %w", userID, err)
	}
	return nil
}

// errBadLogin is the one answer for an unknown email, a user without a
// password and a wrong password, so the login form does not leak which
// accounts exist.
var errBadLogin = domain.Errorf(domain.ErrUnauthenticated, "the email or password is wrong: check both and try again (demo passwords are printed by `modeltender dev --demo`)")

// CheckPassword returns the user whose email and password these are.
func (s *Store) CheckPassword(ctx context.Context, email, password string) (domain.User, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil && domain.KindOf(err) != domain.ErrNotFound {
		return u, err
	}
	hash, hasPassword := dummyHash(), false
	if err == nil {
		var stored string
		qerr := s.pool.QueryRow(ctx, `SELECT password_hash FROM user_passwords WHERE user_id = $1`, u.ID).Scan(&stored)
		if qerr != nil && !errors.Is(qerr, pgx.ErrNoRows) {
			return u, fmt.Errorf("read password of %s: %w", u.Email, qerr)
		}
		if qerr == nil {
			hash, hasPassword = []byte(stored), true
		}
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !hasPassword {
		return domain.User{}, errBadLogin
	}
	return u, nil
}

// StartSession opens a web session for a user and returns its token, to be
// sent as a cookie. Only the token's hash is stored.
func (s *Store) StartSession(ctx context.Context, userID string, now time.Time, ttl time.Duration) (string, error) {
	token := newToken()
	_, err := s.pool.Exec(ctx, `INSERT INTO web_sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		HashToken(token), userID, now, now.Add(ttl))
	if err != nil {
		return "", fmt.Errorf("start session for %s: %w", userID, err)
	}
	return token, nil
}

// UserBySession resolves a live session token to its user.
func (s *Store) UserBySession(ctx context.Context, token string, now time.Time) (domain.User, error) {
	var u domain.User
	var org *string
	err := s.pool.QueryRow(ctx, `
		SELECT u.id, u.email, u.role, u.org_id, COALESCE(o.kind, '') FROM web_sessions w JOIN users u ON u.id = w.user_id
		LEFT JOIN organisations o ON o.id = u.org_id
		WHERE w.token_hash = $1 AND w.ended_at IS NULL AND w.expires_at > $2`, HashToken(token), now).
		Scan(&u.ID, &u.Email, &u.Role, &org, &u.OrgKind)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return u, domain.Errorf(domain.ErrUnauthenticated, "your session has ended: sign in again")
		}
		return u, fmt.Errorf("resolve session: %w", err)
	}
	u.OrgID = deref(org)
	return u, nil
}

// EndSession signs a session out. Ending an unknown or ended session is not an error.
func (s *Store) EndSession(ctx context.Context, token string, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE web_sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL`,
		HashToken(token), now); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}
