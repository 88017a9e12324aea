package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// A password shorter than MinPasswordLength characters or longer than the
// 72 bytes bcrypt reads is refused before anything is stored; a new
// password replaces the old one.
// An unknown email, a user without a password and a wrong password get the
// same answer, so the form does not reveal which accounts exist.
func TestPasswords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	requireKind(t, m.st.SetPassword(ctx, m.officer.ID, strings.Repeat("x", MinPasswordLength-1)), domain.ErrInvalid)
	requireKind(t, m.st.SetPassword(ctx, m.officer.ID, strings.Repeat("x", 73)), domain.ErrInvalid)
	// Twelve bytes, three characters.
	requireKind(t, m.st.SetPassword(ctx, m.officer.ID, "🔑🔑🔑"), domain.ErrInvalid)
	if n := count(t, m.st, "user_passwords", ""); n != 0 {
		t.Fatalf("refused passwords stored %d rows", n)
	}
	requireNoError(t, m.st.SetPassword(ctx, m.officer.ID, "correct horse battery"))
	requireNoError(t, m.st.SetPassword(ctx, m.officer.ID, "staple correct horse"))
	requireFails(t, m.st.SetPassword(ctx, "usr_ghost", "long enough password"), "set password of usr_ghost")

	u, err := m.st.CheckPassword(ctx, "  OFFICER@agency.test ", "staple correct horse")
	requireNoError(t, err)
	if u.ID != m.officer.ID || u.OrgID != m.agency.ID || u.Role != domain.RoleOfficer {
		t.Errorf("signed in as %+v, want the officer", u)
	}
	var first string
	for _, c := range []struct{ email, password string }{
		{"officer@agency.test", "correct horse battery"}, // replaced
		{"nobody@agency.test", "staple correct horse"},   // unknown
		{"reviewer@agency.test", "staple correct horse"}, // has no password
	} {
		u, err := m.st.CheckPassword(ctx, c.email, c.password)
		requireKind(t, err, domain.ErrUnauthenticated)
		if u.ID != "" {
			t.Errorf("%s: a failed sign-in returned user %+v", c.email, u)
		}
		if first == "" {
			first = err.Error()
		} else if err.Error() != first {
			t.Errorf("%s: %q differs from %q: the answer reveals which accounts exist", c.email, err, first)
		}
	}
}

// A session resolves to its user until it expires or is ended; only the
// token's hash is stored.
func TestSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	token, err := m.st.StartSession(ctx, m.sellerA.ID, at, time.Hour)
	requireNoError(t, err)
	other, err := m.st.StartSession(ctx, m.sellerA.ID, at, time.Hour)
	requireNoError(t, err)
	if token == other || !strings.HasPrefix(token, "mt_") {
		t.Fatalf("session tokens %q and %q: want two distinct mt_ tokens", token, other)
	}
	if n := count(t, m.st, "web_sessions", "token_hash = $1", token); n != 0 {
		t.Error("a session token is stored in clear")
	}
	if n := count(t, m.st, "web_sessions", "token_hash = $1", HashToken(token)); n != 1 {
		t.Error("the session's hash is not stored")
	}

	u, err := m.st.UserBySession(ctx, token, at.Add(59*time.Minute))
	requireNoError(t, err)
	if u.ID != m.sellerA.ID || u.OrgID != m.vendorA.ID || u.Email != "seller@northwind.test" {
		t.Errorf("session user %+v", u)
	}
	_, err = m.st.UserBySession(ctx, token, at.Add(time.Hour))
	requireKind(t, err, domain.ErrUnauthenticated)
	_, err = m.st.UserBySession(ctx, "mt_forged", at)
	requireKind(t, err, domain.ErrUnauthenticated)

	requireNoError(t, m.st.EndSession(ctx, other, at.Add(time.Minute)))
	requireNoError(t, m.st.EndSession(ctx, other, at.Add(2*time.Minute)))
	requireNoError(t, m.st.EndSession(ctx, "mt_unknown", at))
	_, err = m.st.UserBySession(ctx, other, at.Add(3*time.Minute))
	requireKind(t, err, domain.ErrUnauthenticated)
	if n := count(t, m.st, "web_sessions", "ended_at = $1", at.Add(time.Minute)); n != 1 {
		t.Error("ending a session twice moved its end")
	}
	_, err = m.st.StartSession(ctx, "usr_ghost", at, time.Hour)
	requireFails(t, err, "start session for usr_ghost")
}
