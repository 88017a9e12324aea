package check

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/artifact"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/licensing"
	"github.com/modeltender/modeltender/policies"
)

// The signed test models of sigstore/model-transparency, vendored by internal/artifact.
const mt = "../artifact/testdata/model-transparency/"

func read(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newChecker(t *testing.T) *Checker {
	t.Helper()
	engine, err := policies.NewEngine(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	analyzer, err := licensing.NewAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	c := New(Fixed{Engine: engine, Analyzer: analyzer})
	c.SigstoreRoot = []byte(read(t, "../artifact/testdata/sigstore-go/public-good.json"))
	return c
}

// signed is a manifest of a fixture model with its declared files and signature.
func signed(t testing.TB, fixture string) domain.Manifest {
	t.Helper()
	files, err := artifact.DigestDir(context.Background(), mt+fixture, []string{"model.sig"})
	if err != nil {
		t.Fatal(err)
	}
	return domain.Manifest{SchemaVersion: "1", Name: "Signed " + fixture,
		Weights: domain.Weights{License: "Apache-2.0", Files: files, Signature: read(t, mt+fixture+"/model.sig")}}
}

func keyIdentity(t testing.TB, id, pemKey string) domain.SigningIdentity {
	t.Helper()
	i := domain.SigningIdentity{ID: id, Name: "key " + id, Method: domain.SigningKey, PublicKey: pemKey}
	tr, err := IdentityTrust(i, nil)
	if err != nil {
		t.Fatal(err)
	}
	i.Fingerprint = IdentityFingerprint(i, tr)
	return i
}

func otherKey(t testing.TB) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func rules(fs []domain.Finding) []string {
	var out []string
	for _, f := range fs {
		if strings.HasPrefix(f.Rule, "provenance.") {
			out = append(out, f.Rule)
		}
	}
	return out
}

var criteria = domain.Criteria{SolicitationID: "sol-1", RiskTier: domain.RiskStandard}

func TestSignatureOfRealFixtures(t *testing.T) {
	c := newChecker(t)
	ctx := context.Background()
	asOf := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	vendorKey := keyIdentity(t, "sid_vendor", read(t, mt+"keys/signing-key-pub.pem"))
	stranger := keyIdentity(t, "sid_other", otherKey(t))
	chain := domain.SigningIdentity{ID: "sid_chain", Name: "release CA", Method: domain.SigningCertificate,
		CertificateChain: read(t, mt+"keys/ca-cert.pem")}
	keyless := domain.SigningIdentity{ID: "sid_keyless", Name: "release bot", Method: domain.SigningSigstore,
		Identity: "stefanb@us.ibm.com", Issuer: "https://sigstore.verify.ibm.com/oauth2"}

	tampered := signed(t, "v1.1.0-elliptic-key")
	tampered.Weights.Files = maps.Clone(tampered.Weights.Files)
	tampered.Weights.Files["signme-1"] = strings.Repeat("0", 64)
	notABundle := signed(t, "v1.1.0-elliptic-key")
	notABundle.Weights.Signature = read(t, mt+"v1.1.0-elliptic-key/signme-1")
	unsigned := signed(t, "v1.1.0-elliptic-key")
	unsigned.Weights.Signature = ""
	noFiles := signed(t, "v1.1.0-elliptic-key")
	noFiles.Weights.Files = nil

	cases := []struct {
		name       string
		m          domain.Manifest
		ids        []domain.SigningIdentity
		status     string
		identityID string
		legacy     bool
		rule       string // the provenance finding of the decision
		problem    string
	}{
		{"registered key verifies", signed(t, "v1.1.0-elliptic-key"), []domain.SigningIdentity{vendorKey}, "verified", "sid_vendor", false, "provenance.signature-verified", ""},
		{"each identity is tried", signed(t, "v1.1.0-elliptic-key"), []domain.SigningIdentity{stranger, vendorKey}, "verified", "sid_vendor", false, "provenance.signature-verified", ""},
		{"single-file model", signed(t, "v1.0.0-elliptic-key"), []domain.SigningIdentity{vendorKey}, "verified", "sid_vendor", false, "provenance.signature-verified", ""},
		{"certificate chain", signed(t, "v1.1.0-certificate"), []domain.SigningIdentity{chain}, "verified", "sid_chain", false, "provenance.signature-verified", ""},
		{"legacy certificate", signed(t, "v0.2.0-certificate"), []domain.SigningIdentity{chain}, "verified", "sid_chain", true, "provenance.signature-verified", ""},
		{"keyless sigstore", signed(t, "v1.1.0-sigstore"), []domain.SigningIdentity{keyless}, "verified", "sid_keyless", false, "provenance.signature-verified", ""},
		{"another vendor's key", signed(t, "v1.1.0-elliptic-key"), []domain.SigningIdentity{stranger}, "untrusted", "", false, "provenance.signature-untrusted", "not by identity key sid_other"},
		{"no identity registered", signed(t, "v1.1.0-elliptic-key"), nil, "untrusted", "", false, "provenance.signature-untrusted", "registered no signing identity"},
		{"certificate with another SAN", signed(t, "v1.1.0-certificate"), []domain.SigningIdentity{func() domain.SigningIdentity {
			c := chain
			c.Identity = "release@vendor.example"
			return c
		}()}, "untrusted", "", false, "provenance.signature-untrusted", "not release@vendor.example"},
		{"changed declared digest", tampered, []domain.SigningIdentity{vendorKey}, "invalid", "sid_vendor", false, "provenance.signature-invalid", "changed: signme-1"},
		{"not a bundle", notABundle, []domain.SigningIdentity{vendorKey}, "invalid", "", false, "provenance.signature-invalid", "not a readable model signature bundle"},
		{"not a bundle, no identities", notABundle, nil, "invalid", "", false, "provenance.signature-invalid", "not a readable model signature bundle"},
		{"nothing declared to compare", noFiles, []domain.SigningIdentity{vendorKey}, "invalid", "", false, "provenance.signature-invalid", "declares no weights.files"},
		{"absent", unsigned, []domain.SigningIdentity{vendorKey}, "absent", "", false, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := c.Check(ctx, Input{Manifest: tc.m, Criteria: criteria, AsOf: asOf, Identities: tc.ids})
			got := rules(slices.Concat(res.Policy.Deny, res.Policy.Info))
			if tc.status == "absent" {
				if res.Signature != nil || len(got) != 0 {
					t.Fatalf("an unsigned candidate has signature %+v and findings %v", res.Signature, got)
				}
				return
			}
			v := res.Signature
			if v == nil {
				t.Fatal("no signature verdict")
			}
			if v.Status != tc.status || v.IdentityID != tc.identityID || v.Legacy != tc.legacy {
				t.Fatalf("verdict %+v, want %s by %q (legacy %v)", v, tc.status, tc.identityID, tc.legacy)
			}
			if !slices.Equal(got, []string{tc.rule}) {
				t.Fatalf("provenance findings %v, want %s", got, tc.rule)
			}
			if tc.problem != "" && !strings.Contains(strings.Join(v.Problems, "\n"), tc.problem) {
				t.Fatalf("problems %q do not say %q", v.Problems, tc.problem)
			}
			if tc.status == "verified" && (len(v.Problems) != 0 || !strings.Contains(v.Identity, tc.ids[len(tc.ids)-1].Name)) {
				t.Fatalf("verified verdict %+v", v)
			}
			if tc.status != "verified" && res.Outcome != domain.OutcomeDisqualified {
				t.Fatalf("a %s signature leaves the candidate %s", tc.status, res.Outcome)
			}
		})
	}
}

// A keyless identity cannot be used where the operator configured no trusted root.
func TestKeylessWithoutTrustedRoot(t *testing.T) {
	_, err := IdentityTrust(domain.SigningIdentity{Method: domain.SigningSigstore, Identity: "a@b", Issuer: "https://issuer"}, nil)
	if err == nil || !strings.Contains(err.Error(), "MODELTENDER_SIGSTORE_TRUSTED_ROOT") {
		t.Fatalf("err = %v", err)
	}
}

// BenchmarkSignature is the cost the signature adds to a check: verifying
// the real key-method bundle against the declared files, with the vendor's
// key second of two identities.
func BenchmarkSignature(b *testing.B) {
	c := &Checker{}
	m := signed(b, "v1.1.0-elliptic-key")
	ids := []domain.SigningIdentity{keyIdentity(b, "sid_other", otherKey(b)), keyIdentity(b, "sid_vendor", read(b, mt+"keys/signing-key-pub.pem"))}
	for b.Loop() {
		if v := c.signature(m, ids); v.Status != domain.SignatureVerified {
			b.Fatalf("verdict %+v", v)
		}
	}
}
