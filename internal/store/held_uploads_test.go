package store

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// A refused form's files are held per session and token: another session
// or token sees none; a new hold replaces the old one whole; a hold over
// the bounds is refused and leaves the old one; a hold expires after its
// time, and the next hold of any session clears expired rows; success
// releases them.
func TestHeldUploads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	mine, err := m.st.StartSession(ctx, m.sellerA.ID, at, 12*time.Hour)
	requireNoError(t, err)
	theirs, err := m.st.StartSession(ctx, m.sellerB.ID, at, 12*time.Hour)
	requireNoError(t, err)
	names := func(hs []HeldUpload) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.Name)
		}
		return out
	}
	held := func(session, token string, now time.Time) []HeldUpload {
		t.Helper()
		hs, err := m.st.HeldUploads(ctx, session, token, now)
		requireNoError(t, err)
		return hs
	}

	card := HeldUpload{Name: "model-card.md", Content: []byte("---\nlicense: apache-2.0\n---\n# Granite")}
	mof := HeldUpload{Name: "model.yaml", Content: []byte("framework:\n  name: Model Openness Framework\n")}
	requireNoError(t, m.st.HoldUploads(ctx, mine, "tok1", []HeldUpload{card, mof}, at, time.Hour))
	got := held(mine, "tok1", at.Add(time.Minute))
	if !slices.Equal(names(got), []string{"model-card.md", "model.yaml"}) || !bytes.Equal(got[0].Content, card.Content) {
		t.Fatalf("held %+v, want the card then the MOF file", got)
	}
	if len(held(theirs, "tok1", at)) != 0 || len(held(mine, "tok2", at)) != 0 {
		t.Fatal("another session or another form sees the held files")
	}

	// A new try replaces the files whole.
	requireNoError(t, m.st.HoldUploads(ctx, mine, "tok1", []HeldUpload{mof}, at.Add(time.Minute), time.Hour))
	if got := names(held(mine, "tok1", at.Add(2*time.Minute))); !slices.Equal(got, []string{"model.yaml"}) {
		t.Fatalf("after a second try the form holds %v, want only model.yaml", got)
	}

	// Over the bounds: refused, and what was held stays.
	big := HeldUpload{Name: "huge.json", Content: []byte(strings.Repeat("x", MaxHeldBytes+1))}
	requireKind(t, m.st.HoldUploads(ctx, mine, "tok1", []HeldUpload{big}, at.Add(time.Minute), time.Hour), domain.ErrInvalid)
	many := slices.Repeat([]HeldUpload{card}, MaxHeldFiles+1)
	requireKind(t, m.st.HoldUploads(ctx, mine, "tok1", many, at.Add(time.Minute), time.Hour), domain.ErrInvalid)
	if got := names(held(mine, "tok1", at.Add(2*time.Minute))); !slices.Equal(got, []string{"model.yaml"}) {
		t.Fatalf("a refused hold changed what is held: %v", got)
	}

	// Expired: not read, and cleared by the next hold of any session.
	if got := held(mine, "tok1", at.Add(time.Minute+time.Hour)); len(got) != 0 {
		t.Fatalf("expired files are still read: %v", names(got))
	}
	requireNoError(t, m.st.HoldUploads(ctx, theirs, "tok9", []HeldUpload{card}, at.Add(2*time.Hour), time.Hour))
	if n := count(t, m.st, "held_uploads", ""); n != 1 {
		t.Fatalf("%d rows held after the expired hold was cleared, want 1 (the other session's)", n)
	}

	// Success releases them; releasing twice is harmless.
	requireNoError(t, m.st.ReleaseUploads(ctx, theirs, "tok9"))
	requireNoError(t, m.st.ReleaseUploads(ctx, theirs, "tok9"))
	if n := count(t, m.st, "held_uploads", ""); n != 0 {
		t.Fatalf("%d rows held after release", n)
	}
}
