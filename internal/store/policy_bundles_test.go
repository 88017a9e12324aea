package store

import (
	"bytes"
	"context"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

// A bundle's files come back byte for byte under its revision; saving a
// revision again keeps its first files; a revision with no files is still
// stored; an unknown one is not found; a file that cannot be stored leaves
// no revision behind.
func TestPolicyBundles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openStore(t)
	files := map[string][]byte{"authz.rego": []byte("package modeltender.authz\n"), "data/blob.bin": {0, 1, 2, 0xff}}
	requireNoError(t, st.SavePolicyBundle(ctx, "rev-a", files))
	requireNoError(t, st.SavePolicyBundle(ctx, "rev-a", map[string][]byte{"other.rego": []byte("x")}))
	got, err := st.PolicyBundle(ctx, "rev-a")
	requireNoError(t, err)
	if len(got) != 2 || !bytes.Equal(got["data/blob.bin"], files["data/blob.bin"]) || !bytes.Equal(got["authz.rego"], files["authz.rego"]) {
		t.Errorf("bundle read back as %q", got)
	}

	requireNoError(t, st.SavePolicyBundle(ctx, "rev-empty", nil))
	if got, err := st.PolicyBundle(ctx, "rev-empty"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("an empty bundle reads as %v %v, want an empty map", got, err)
	}
	_, err = st.PolicyBundle(ctx, "rev-ghost")
	requireKind(t, err, domain.ErrNotFound)

	requireFails(t, st.SavePolicyBundle(ctx, "rev-bad", map[string][]byte{"ok.rego": []byte("x"), "bad\x00.rego": []byte("y")}),
		"store policy bundle rev-bad")
	_, err = st.PolicyBundle(ctx, "rev-bad")
	requireKind(t, err, domain.ErrNotFound)
	if n := count(t, st, "policy_bundle_files", "revision = 'rev-bad'"); n != 0 {
		t.Errorf("a failed save left %d files", n)
	}
}
