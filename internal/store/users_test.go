package store

import (
	"context"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

// An organisation is created once per name (trimmed) and keeps its kind;
// asking for it under the other kind is a conflict, an empty name invalid.
func TestEnsureOrganisation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openStore(t)
	a, err := st.EnsureOrganisation(ctx, "  Northwind ", "vendor")
	requireNoError(t, err)
	if a.Name != "Northwind" || a.Kind != "vendor" || a.ID == "" {
		t.Errorf("created %+v", a)
	}
	again, err := st.EnsureOrganisation(ctx, "Northwind", "vendor")
	requireNoError(t, err)
	if again != a {
		t.Errorf("second ensure %+v, want %+v", again, a)
	}
	_, err = st.EnsureOrganisation(ctx, "Northwind", "agency")
	requireKind(t, err, domain.ErrConflict)
	requireFails(t, err, `organisation "Northwind" exists with kind vendor, not agency`)
	_, err = st.EnsureOrganisation(ctx, " \t", "agency")
	requireKind(t, err, domain.ErrInvalid)
	_, err = st.EnsureOrganisation(ctx, "Guild", "guild")
	requireFails(t, err, `ensure organisation "Guild"`)
	if n := count(t, st, "organisations", ""); n != 1 {
		t.Errorf("%d organisations, want 1", n)
	}
	if OrgKindFor(domain.RoleVendor) != "vendor" || OrgKindFor(domain.RoleReviewer) != "agency" {
		t.Error("OrgKindFor: vendors belong to vendor organisations, every other role to an agency")
	}
}

// A user is created with a normalised email and an API token whose hash
// alone is stored; a second user with that email is a conflict that
// writes nothing; bad emails and roles are invalid.
func TestCreateUserAndTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openStore(t)
	org, err := st.EnsureOrganisation(ctx, "Agency", "agency")
	requireNoError(t, err)
	u, token, err := st.CreateUser(ctx, " Officer@Agency.TEST ", domain.RoleOfficer, org.ID)
	requireNoError(t, err)
	if u.Email != "officer@agency.test" || u.OrgID != org.ID || u.Role != domain.RoleOfficer {
		t.Errorf("created %+v", u)
	}
	if n := count(t, st, "api_tokens", "token_hash = $1 AND user_id = $2", HashToken(token), u.ID); n != 1 {
		t.Error("the token's hash is not stored for the user")
	}
	if n := count(t, st, "api_tokens", "token_hash = $1", token); n != 0 {
		t.Error("the token is stored in clear")
	}
	byToken, err := st.UserByToken(ctx, token)
	requireNoError(t, err)
	if byToken != u {
		t.Errorf("token user %+v, want %+v", byToken, u)
	}

	_, _, err = st.CreateUser(ctx, "officer@agency.test", domain.RoleAuditor, org.ID)
	requireKind(t, err, domain.ErrConflict)
	_, _, err = st.CreateUser(ctx, "not-an-email", domain.RoleOfficer, org.ID)
	requireKind(t, err, domain.ErrInvalid)
	_, _, err = st.CreateUser(ctx, "boss@agency.test", "boss", org.ID)
	requireKind(t, err, domain.ErrInvalid)
	_, _, err = st.CreateUser(ctx, "lost@agency.test", domain.RoleOfficer, "org_ghost")
	requireFails(t, err, "create user lost@agency.test")
	if users, tokens := count(t, st, "users", ""), count(t, st, "api_tokens", ""); users != 1 || tokens != 1 {
		t.Errorf("%d users and %d tokens after refused creations, want 1 and 1", users, tokens)
	}

	admin, _, err := st.CreateUser(ctx, "admin@example.test", domain.RoleAdmin, "")
	requireNoError(t, err)
	if got, err := st.UserByEmail(ctx, "ADMIN@example.test"); err != nil || got.OrgID != "" || got.ID != admin.ID {
		t.Errorf("an admin without organisation reads as %+v %v", got, err)
	}

	same, second, err := st.IssueToken(ctx, "Officer@agency.test")
	requireNoError(t, err)
	if same.ID != u.ID || second == token {
		t.Errorf("issued %q to %+v", second, same)
	}
	for _, tok := range []string{token, second} {
		if got, err := st.UserByToken(ctx, tok); err != nil || got.ID != u.ID {
			t.Errorf("token %s: %+v %v; both tokens must work", tok, got, err)
		}
	}
	_, _, err = st.IssueToken(ctx, "nobody@agency.test")
	requireKind(t, err, domain.ErrNotFound)
	_, err = st.UserByToken(ctx, "mt_forged")
	requireKind(t, err, domain.ErrUnauthenticated)

	if _, err := st.pool.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE token_hash = $1`, HashToken(token)); err != nil {
		t.Fatal(err)
	}
	_, err = st.UserByToken(ctx, token)
	requireKind(t, err, domain.ErrUnauthenticated)
}

// HashToken is SHA-256 in hex, the form the tables hold.
func TestHashToken(t *testing.T) {
	if got := HashToken("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("HashToken(abc) = %s", got)
	}
}
