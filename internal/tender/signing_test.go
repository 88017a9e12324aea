package tender

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/manifest"
)

const signingKeys = "../artifact/testdata/model-transparency/keys/"

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fieldSays wants err to be a 422 naming field with a message that says mentions.
func fieldSays(t *testing.T, err error, field, mentions string) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.ErrInvalid {
		t.Fatalf("want an invalid-fields error, got %v", err)
	}
	for _, f := range de.Fields {
		if f.Field == field && strings.Contains(f.Message, mentions) {
			return
		}
	}
	t.Fatalf("no error on %s saying %q in %+v", field, mentions, de.Fields)
}

// A vendor registers identities its models are signed with; each is checked
// first, and a key or chain that cannot verify is refused naming the field.
func TestRegisterSigningIdentity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	key := SigningIdentityRequest{Name: "release key", Method: domain.SigningKey, PublicKey: readFixture(t, signingKeys+"signing-key-pub.pem")}

	id, err := w.svc.RegisterSigningIdentity(ctx, w.sellerA, key)
	requireNoError(t, err)
	// certtool's "Public Key ID sha256" of the fixture key.
	if id.OrgID != w.vendorA.ID || id.Fingerprint != "sha256:c1e49d63327f85c7e2971aefd30b5a0d1c6b9b5e1a892e7f5fba995adace816d" || id.CreatedBy != w.sellerA.ID {
		t.Fatalf("registered %+v", id)
	}
	chain, err := w.svc.RegisterSigningIdentity(ctx, w.sellerA, SigningIdentityRequest{Name: "release CA", Method: domain.SigningCertificate,
		CertificateChain: readFixture(t, signingKeys+"ca-cert.pem"), Identity: "release@northwind.test"})
	requireNoError(t, err)
	if !strings.HasPrefix(chain.Fingerprint, "sha256:") {
		t.Fatalf("a chain's fingerprint: %q", chain.Fingerprint)
	}

	_, err = w.svc.RegisterSigningIdentity(ctx, w.sellerA, key)
	requireRefusal(t, err, domain.ErrConflict, `already has a signing identity labelled "release key"`)
	_, err = w.svc.RegisterSigningIdentity(ctx, w.officer, key)
	requireKind(t, err, domain.ErrForbidden)

	for _, c := range []struct {
		req             SigningIdentityRequest
		field, mentions string
	}{
		{SigningIdentityRequest{Method: domain.SigningKey, PublicKey: key.PublicKey}, "name", "is required"},
		{SigningIdentityRequest{Name: "k", Method: domain.SigningKey}, "public_key", "PEM public key"},
		{SigningIdentityRequest{Name: "k", Method: domain.SigningKey, PublicKey: "ssh-ed25519 AAAA"}, "public_key", "no PEM PUBLIC KEY block"},
		{SigningIdentityRequest{Name: "k", Method: domain.SigningKey, PublicKey: key.PublicKey, Issuer: "https://x"}, "issuer", "not used by the key method"},
		// The intermediate alone is no root.
		{SigningIdentityRequest{Name: "c", Method: domain.SigningCertificate, CertificateChain: readFixture(t, signingKeys+"int-ca-cert.pem")}, "certificate_chain", "no self-signed root"},
		{SigningIdentityRequest{Name: "s", Method: domain.SigningSigstore, Identity: "a@b.test"}, "issuer", "OIDC issuer URL"},
		// This service was given no Sigstore trusted root.
		{SigningIdentityRequest{Name: "s", Method: domain.SigningSigstore, Identity: "a@b.test", Issuer: "https://accounts.google.com"}, "identity", "MODELTENDER_SIGSTORE_TRUSTED_ROOT"},
		{SigningIdentityRequest{Name: "g", Method: "gpg"}, "method", "use key"},
	} {
		_, err := w.svc.RegisterSigningIdentity(ctx, w.sellerB, c.req)
		fieldSays(t, err, c.field, c.mentions)
	}

	// Its own users read them; agency staff only once one of its bids is opened.
	ids, err := w.svc.SigningIdentities(ctx, w.sellerA, w.vendorA.ID)
	requireNoError(t, err)
	if len(ids) != 2 || !slices.ContainsFunc(ids, func(i domain.SigningIdentity) bool { return i.ID == id.ID }) {
		t.Fatalf("listed %+v", ids)
	}
	_, err = w.svc.SigningIdentities(ctx, w.sellerB, w.vendorA.ID)
	requireKind(t, err, domain.ErrForbidden)
	sol := w.published(t)
	w.storedBid(t, sol, w.sellerA, "bid_a")
	_, err = w.svc.SigningIdentities(ctx, w.reviewer, w.vendorA.ID)
	requireRefusal(t, err, domain.ErrForbidden, "sealed like its bids")
	w.setStatus(t, sol.ID, domain.SolicitationEvaluating)
	if ids, err := w.svc.SigningIdentities(ctx, w.reviewer, w.vendorA.ID); err != nil || len(ids) != 2 {
		t.Fatalf("a reviewer after opening reads %+v, %v", ids, err)
	}

	requireKind(t, w.svc.RevokeSigningIdentity(ctx, w.sellerB, id.ID), domain.ErrNotFound)
	requireNoError(t, w.svc.RevokeSigningIdentity(ctx, w.sellerA, id.ID))
	ids, _ = w.svc.SigningIdentities(ctx, w.sellerA, w.vendorA.ID)
	for _, i := range ids {
		if revoked := i.ID == id.ID; (i.RevokedAt != nil) != revoked || revoked && i.RevokedBy != w.sellerA.ID {
			t.Fatalf("after revoking %s: %+v", id.ID, i)
		}
	}
	all, err := w.st.AuditTrailAll(ctx)
	requireNoError(t, err)
	if strings.Count(all, "signing-identity.registered") != 2 || strings.Count(all, "signing-identity.revoked") != 1 {
		t.Errorf("audit trail:\n%s", all)
	}
}

// A model.sig sent beside a candidate file joins the candidate it describes.
func TestSignatureBesideCandidateFile(t *testing.T) {
	t.Parallel()
	content := `{"schema_version": "1", "name": "granite", "weights": {"license": "Apache-2.0"}}`
	sig := `{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}`
	cs, err := ParseBid(BidSubmission{Candidates: []json.RawMessage{fileEntry(t, CandidateFile{Format: manifest.FormatAuto, Content: &content, Signature: sig})}})
	requireNoError(t, err)
	if cs[0].Manifest.Weights.Signature != sig {
		t.Fatalf("the signature did not join the candidate: %+v", cs[0].Manifest.Weights)
	}
	signed := `{"schema_version": "1", "name": "granite", "weights": {"license": "Apache-2.0", "signature": "{}"}}`
	_, err = ParseBid(BidSubmission{Candidates: []json.RawMessage{fileEntry(t, CandidateFile{Format: manifest.FormatAuto, Content: &signed, Signature: sig})}})
	fieldSays(t, err, "candidates[0].signature", "already carries a different weights.signature")
}

func fileEntry(t *testing.T, f CandidateFile) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
