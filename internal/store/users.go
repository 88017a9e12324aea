package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// EnsureOrganisation returns the organisation named name, creating it with
// kind when it does not exist yet.
func (s *Store) EnsureOrganisation(ctx context.Context, name, kind string) (domain.Organisation, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return domain.Organisation{}, domain.Errorf(domain.ErrInvalid, "organisation name is empty: give --org a name")
	}
	o := domain.Organisation{ID: domain.NewID("org"), Name: name, Kind: kind}
	err := s.pool.QueryRow(ctx, `
		INSERT INTO organisations (id, name, kind) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
		RETURNING id, kind`, o.ID, o.Name, o.Kind).Scan(&o.ID, &o.Kind)
	if err != nil {
		return o, fmt.Errorf("ensure organisation %q: %w", name, err)
	}
	if o.Kind != kind {
		return o, domain.Errorf(domain.ErrConflict, "organisation %q exists with kind %s, not %s: use another name", name, o.Kind, kind)
	}
	return o, nil
}

// OrgKindFor is the kind of organisation a user of role belongs to.
func OrgKindFor(role domain.Role) string {
	if role == domain.RoleVendor {
		return "vendor"
	}
	return "agency"
}

// CreateUser adds a user and returns it with a new API token. Only the
// token's hash is stored: the caller must show the token now or never.
func (s *Store) CreateUser(ctx context.Context, email string, role domain.Role, orgID string) (domain.User, string, error) {
	u := domain.User{ID: domain.NewID("usr"), Email: strings.ToLower(strings.TrimSpace(email)), Role: role, OrgID: orgID}
	if !strings.Contains(u.Email, "@") {
		return u, "", domain.Errorf(domain.ErrInvalid, "%q is not an email address: give --email like name@agency.gov", email)
	}
	if !role.Valid() {
		return u, "", domain.Errorf(domain.ErrInvalid, "unknown role %q: use one of officer, vendor, reviewer, auditor, admin", role)
	}
	token := newToken()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO users (id, email, role, org_id) VALUES ($1, $2, $3, NULLIF($4, ''))
			RETURNING COALESCE((SELECT kind FROM organisations WHERE id = NULLIF($4, '')), '')`,
			u.ID, u.Email, string(u.Role), u.OrgID).Scan(&u.OrgKind); err != nil {
			if isUniqueViolation(err) {
				return domain.Errorf(domain.ErrConflict, "a user with email %s already exists: use `users token --email %s` for a new token", u.Email, u.Email)
			}
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO api_tokens (token_hash, user_id) VALUES ($1, $2)`, HashToken(token), u.ID)
		return err
	})
	if err != nil {
		return u, "", fmt.Errorf("create user %s: %w", u.Email, err)
	}
	return u, token, nil
}

// IssueToken gives an existing user an additional API token.
func (s *Store) IssueToken(ctx context.Context, email string) (domain.User, string, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return u, "", err
	}
	token := newToken()
	if _, err := s.pool.Exec(ctx, `INSERT INTO api_tokens (token_hash, user_id) VALUES ($1, $2)`, HashToken(token), u.ID); err != nil {
		return u, "", fmt.Errorf("issue token for %s: %w", u.Email, err)
	}
	return u, token, nil
}

// UserByEmail looks a user up by email.
func (s *Store) UserByEmail(ctx context.Context, email string) (domain.User, error) {
	var u domain.User
	var org *string
	err := s.pool.QueryRow(ctx, `SELECT u.id, u.email, u.role, u.org_id, COALESCE(o.kind, '')
		FROM users u LEFT JOIN organisations o ON o.id = u.org_id WHERE u.email = $1`,
		strings.ToLower(strings.TrimSpace(email))).Scan(&u.ID, &u.Email, &u.Role, &org, &u.OrgKind)
	if err != nil {
		return u, notFound(err, "no user with email %s: add one with `modeltender users add`", email)
	}
	u.OrgID = deref(org)
	return u, nil
}

// UserByToken authenticates an API token.
func (s *Store) UserByToken(ctx context.Context, token string) (domain.User, error) {
	var u domain.User
	var org *string
	err := s.pool.QueryRow(ctx, `
		SELECT u.id, u.email, u.role, u.org_id, COALESCE(o.kind, '') FROM api_tokens t JOIN users u ON u.id = t.user_id
		LEFT JOIN organisations o ON o.id = u.org_id
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL`, HashToken(token)).Scan(&u.ID, &u.Email, &u.Role, &org, &u.OrgKind)
	if err != nil {
		if err == pgx.ErrNoRows {
			return u, domain.Errorf(domain.ErrUnauthenticated, "the API token is unknown or revoked: ask an admin for a token (`modeltender users add`)")
		}
		return u, fmt.Errorf("authenticate token: %w", err)
	}
	u.OrgID = deref(org)
	return u, nil
}

// HashToken is how tokens are stored: sha256, hex.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func newToken() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return "mt_" + base64.RawURLEncoding.EncodeToString(b[:])
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// UserEmails maps user ids to their email addresses, for pages that name
// people rather than show ids; unknown ids are left out.
func (s *Store) UserEmails(ctx context.Context, ids []string) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, email FROM users WHERE id = ANY ($1)`, nonNil(ids))
	if err != nil {
		return nil, fmt.Errorf("read users' emails: %w", err)
	}
	out := map[string]string{}
	for rows.Next() {
		var id, email string
		if err := rows.Scan(&id, &email); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read users' emails: %w", err)
		}
		out[id] = email
	}
	return out, rows.Err()
}
