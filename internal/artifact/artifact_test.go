package artifact

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io/fs"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const mt = "testdata/model-transparency/"

// Identity of the model-transparency keyless fixtures, as its scripts verify them.
const (
	fixtureIdentity = "stefanb@us.ibm.com"
	fixtureIssuer   = "https://sigstore.verify.ibm.com/oauth2"
	// certtool's "Public Key ID sha256" of keys/signing-key-pub.pem.
	fixtureKeyFingerprint = "sha256:c1e49d63327f85c7e2971aefd30b5a0d1c6b9b5e1a892e7f5fba995adace816d"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keyTrust(t testing.TB) Trust {
	t.Helper()
	tr, err := TrustPublicKey(read(t, mt+"keys/signing-key-pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func chainTrust(t testing.TB) Trust {
	t.Helper()
	tr, err := TrustCertificateChain(read(t, mt+"keys/ca-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func sigstoreTrust(t testing.TB, identity, issuer string) Trust {
	t.Helper()
	tr, err := TrustSigstore(read(t, "testdata/sigstore-go/public-good.json"), identity, issuer)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// copyFixture copies a fixture model into a temporary directory so a test may change it.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(mt+name, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(mt+name, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return os.WriteFile(filepath.Join(dst, rel), read(t, p), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyDirRealSignatures(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		fixture, target string
		trust           Trust
		ignore          []string
		method          Method
		legacy          bool
	}{
		// model_signing 1.1: publicKey.hint, ignore_paths recorded (model.sig among them).
		{"v1.1.0-elliptic-key", "", keyTrust(t), nil, MethodKey, false},
		// model_signing 1.0: publicKey.rawBytes, a single file named ".", P-384.
		{"v1.0.0-elliptic-key", "signme-1", keyTrust(t), nil, MethodKey, false},
		{"v1.1.0-certificate", "", chainTrust(t), nil, MethodCertificate, false},
		// model_signing 0.2: Digests/v0.1 signed over its non-standard pre-image.
		{"v0.2.0-certificate", "", chainTrust(t), []string{"model.sig"}, MethodCertificate, true},
		{"v1.1.0-sigstore", "", sigstoreTrust(t, fixtureIdentity, fixtureIssuer), nil, MethodSigstore, false},
		// model_signing 1.0 keyless: no ignore_paths, so model.sig is ignored by the caller.
		{"v1.0.0-sigstore", "", sigstoreTrust(t, fixtureIdentity, fixtureIssuer), []string{"model.sig"}, MethodSigstore, false},
	}
	for _, c := range cases {
		t.Run(c.fixture, func(t *testing.T) {
			target := mt + c.fixture
			if c.target != "" {
				target += "/" + c.target
			}
			res, err := VerifyDir(ctx, target, read(t, mt+c.fixture+"/model.sig"), c.trust, Options{IgnorePaths: c.ignore})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Verified {
				t.Fatalf("not verified: %v", res.Problems())
			}
			if res.Signer.Method != c.method || res.Legacy != c.legacy {
				t.Errorf("method %s legacy %v, want %s %v", res.Signer.Method, res.Legacy, c.method, c.legacy)
			}
			switch c.method {
			case MethodKey, MethodCertificate:
				if res.Signer.KeyFingerprint != fixtureKeyFingerprint {
					t.Errorf("key fingerprint %s, want %s", res.Signer.KeyFingerprint, fixtureKeyFingerprint)
				}
			case MethodSigstore:
				if !slices.Equal(res.Signer.SubjectAlternativeNames, []string{fixtureIdentity}) || res.Signer.OIDCIssuer != fixtureIssuer || res.Signer.SignedAt.IsZero() {
					t.Errorf("signer %+v, want %s via %s with a signing time", res.Signer, fixtureIdentity, fixtureIssuer)
				}
			}
			if c.method == MethodCertificate && res.Signer.ChainRoot != "CN=root-ca" {
				t.Errorf("chain root %q, want CN=root-ca", res.Signer.ChainRoot)
			}
		})
	}
}

// The v0.2 fixture verifies only through the legacy pre-image, so the
// legacy path is what made it pass, and it is taken for legacy statements only.
func TestLegacyPreimage(t *testing.T) {
	b, err := parseBundle(read(t, mt+"v0.2.0-certificate/model.sig"))
	if err != nil {
		t.Fatal(err)
	}
	leaf := b.chain[0].PublicKey
	if verifyEnvelope(leaf, b.env, false) {
		t.Error("the v0.2 signature verified over the standard PAE; the legacy path was not needed")
	}
	if !verifyEnvelope(leaf, b.env, true) {
		t.Error("the v0.2 signature does not verify over the legacy pre-image")
	}
	// Python: f"DSSEV1 28 application/vnd.in-toto+json {len(p)} {p}" for
	// p = b'{\n  "a": "it\'s\\\\ \t\xc3\xa9\x01\x7f"\n}'
	payload := []byte("{\n  \"a\": \"it's\\\\ \t\xc3\xa9\x01\x7f\"\n}")
	want := `DSSEV1 28 application/vnd.in-toto+json 25 b'{\n  "a": "it\'s\\\\ \t\xc3\xa9\x01\x7f"\n}'`
	if got := string(legacyPAE(inTotoPayloadType, payload)); got != want {
		t.Errorf("legacyPAE =\n%s\nwant\n%s", got, want)
	}
	// Python switches to double quotes for b"it's".
	if got := string(legacyPAE("t", []byte("it's"))); got != `DSSEV1 1 t 4 b"it's"` {
		t.Errorf("legacyPAE = %s", got)
	}
}

func TestVerifyDirTampered(t *testing.T) {
	ctx := context.Background()
	bundle := read(t, mt+"v1.1.0-elliptic-key/model.sig")
	cases := []struct {
		name   string
		change func(dir string)
		opts   Options
		check  func(t *testing.T, r Result)
	}{
		{"changed file", func(dir string) { write(t, dir+"/signme-1", "tampered\n") }, Options{}, func(t *testing.T, r Result) {
			if len(r.Changed) != 1 || r.Changed[0].Path != "signme-1" || r.Changed[0].Expected != "bc9a717db6064a32cbe9eae6fc40651dd6d36ef1757183f590eff2b1765d7ebc" {
				t.Errorf("changed = %+v", r.Changed)
			}
		}},
		{"missing file", func(dir string) { os.Remove(dir + "/signme-2") }, Options{}, func(t *testing.T, r Result) {
			if !slices.Equal(r.Missing, []string{"signme-2"}) {
				t.Errorf("missing = %v", r.Missing)
			}
		}},
		{"extra files", func(dir string) {
			write(t, dir+"/backdoor.py", "x")
			write(t, dir+"/sub/.hidden", "x")
		}, Options{}, func(t *testing.T, r Result) {
			if !slices.Equal(r.Extra, []string{"backdoor.py", "sub/.hidden"}) {
				t.Errorf("extra = %v", r.Extra)
			}
		}},
		{"everything at once", func(dir string) {
			write(t, dir+"/signme-1", "tampered\n")
			os.Remove(dir + "/signme-2")
			write(t, dir+"/new", "x")
		}, Options{}, func(t *testing.T, r Result) {
			if len(r.Changed) != 1 || len(r.Missing) != 1 || len(r.Extra) != 1 || len(r.Problems()) != 3 {
				t.Errorf("problems = %v", r.Problems())
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyFixture(t, "v1.1.0-elliptic-key")
			c.change(dir)
			res, err := VerifyDir(ctx, dir, bundle, keyTrust(t), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified {
				t.Fatal("verified a changed model")
			}
			if res.Signer == nil || res.TrustFailure != "" {
				t.Errorf("the signature itself is good: signer %v, trust failure %q", res.Signer, res.TrustFailure)
			}
			c.check(t, res)
		})
	}
}

func TestVerifyDirIgnorePaths(t *testing.T) {
	ctx := context.Background()
	dir := copyFixture(t, "v1.1.0-elliptic-key")
	// ignore-me is in the signature's ignore_paths: its content does not matter.
	write(t, dir+"/ignore-me", "anything")
	// .git at the root is ignored by default, but not deeper.
	write(t, dir+"/.git/HEAD", "ref: refs/heads/main")
	bundle := read(t, mt+"v1.1.0-elliptic-key/model.sig")
	res, err := VerifyDir(ctx, dir, bundle, keyTrust(t), Options{})
	if err != nil || !res.Verified {
		t.Fatalf("VerifyDir = %v, %v", res.Problems(), err)
	}
	write(t, dir+"/cache/run/x.bin", "x")
	write(t, dir+"/sub/.git/HEAD", "x")
	res, _ = VerifyDir(ctx, dir, bundle, keyTrust(t), Options{})
	if !slices.Equal(res.Extra, []string{"cache/run/x.bin", "sub/.git/HEAD"}) {
		t.Errorf("extra = %v", res.Extra)
	}
	res, _ = VerifyDir(ctx, dir, bundle, keyTrust(t), Options{IgnorePaths: []string{"cache/", "./sub/.git"}})
	if !res.Verified {
		t.Errorf("with cache and sub/.git ignored: %v", res.Problems())
	}
	if _, err := VerifyDir(ctx, dir, bundle, keyTrust(t), Options{IgnorePaths: []string{"../elsewhere"}}); err == nil {
		t.Error("an ignore path outside the model was accepted")
	}
}

func selfSignedCA(t *testing.T) []byte {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "root-ca"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestVerifyDirUntrusted(t *testing.T) {
	ctx := context.Background()
	otherKey := newTestSigner(t, "p384").trust(t)
	otherRoot, err := TrustCertificateChain(selfSignedCA(t))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, fixture string
		trust         Trust
		want          string
	}{
		{"wrong key", "v1.1.0-elliptic-key", otherKey, "not by the given public key (the bundle names key e8450dec"},
		{"wrong root", "v1.1.0-certificate", otherRoot, "does not chain to the given root"},
		{"wrong method", "v1.1.0-certificate", keyTrust(t), "signed by the certificate method but the trust given is for the key method"},
		{"wrong identity", "v1.1.0-sigstore", sigstoreTrust(t, "someone@example.com", fixtureIssuer), "certificate identity"},
		{"wrong issuer", "v1.1.0-sigstore", sigstoreTrust(t, fixtureIdentity, "https://accounts.google.com"), "certificate identity"},
		{"no trust", "v1.1.0-elliptic-key", Trust{}, "no trust configured"},
		{"keyless trust, certificate bundle", "v1.1.0-certificate", sigstoreTrust(t, fixtureIdentity, fixtureIssuer), "cannot be X.509 certificate chain"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := VerifyDir(ctx, mt+c.fixture, read(t, mt+c.fixture+"/model.sig"), c.trust, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || res.Signer != nil || !strings.Contains(res.TrustFailure, c.want) {
				t.Errorf("verified %v, signer %v, trust failure %q, want one containing %q", res.Verified, res.Signer, res.TrustFailure, c.want)
			}
		})
	}
}

func TestNotABundle(t *testing.T) {
	bundle := read(t, mt+"v1.1.0-elliptic-key/model.sig")
	deep := strings.Repeat(`{"a":`, MaxJSONDepth+1) + "1" + strings.Repeat("}", MaxJSONDepth+1)
	cases := map[string][]byte{
		"empty (OMS spec vector)":                  read(t, "testdata/oms-spec/invalid-empty.bundle.json"),
		"no envelope (OMS spec vector)":            read(t, "testdata/oms-spec/invalid-missing-envelope.bundle.json"),
		"no verification material (spec vector)":   read(t, "testdata/oms-spec/invalid-missing-verification-material.bundle.json"),
		"a model file":                             read(t, mt+"v1.1.0-elliptic-key/signme-1"),
		"truncated":                                bundle[:len(bundle)/2],
		"too large":                                append(append([]byte{}, bundle...), make([]byte, MaxBundleBytes)...),
		"too deep":                                 []byte(deep),
		"duplicate key":                            []byte(strings.Replace(string(bundle), `"mediaType"`, `"MediaType": "x", "mediaType"`, 1)),
		"two values":                               append(append([]byte{}, bundle...), bundle...),
		"wrong media type":                         []byte(strings.Replace(string(bundle), "bundle.v0.3+json", "bundle.v9+json", 1)),
		"payload not base64":                       withPayload(t, bundle, "!!not base64"),
		"message signature instead of an envelope": []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"messageSignature":{"signature":"AA=="}}`),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := VerifyDir(context.Background(), mt+"v1.1.0-elliptic-key", data, keyTrust(t), Options{})
			if !errors.Is(err, ErrBundle) {
				t.Errorf("VerifyDir = %v, want ErrBundle", err)
			}
			if _, err := VerifyDigests(data, map[string]string{}, keyTrust(t), Options{}); !errors.Is(err, ErrBundle) {
				t.Errorf("VerifyDigests = %v, want ErrBundle", err)
			}
		})
	}
}

// The OMS spec's wrong-predicate vector: a key bundle whose statement is not
// a model signature. Whatever its signature, it must not verify.
func TestWrongPredicateVector(t *testing.T) {
	res, err := VerifyDigests(read(t, "testdata/oms-spec/invalid-payload-wrong-predicate.bundle.json"), map[string]string{}, keyTrust(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified || (res.TrustFailure == "" && !strings.Contains(res.ManifestFailure, "predicateType")) {
		t.Errorf("result %+v", res)
	}
}

func TestDigestDir(t *testing.T) {
	ctx := context.Background()
	dir := copyFixture(t, "v1.1.0-elliptic-key")
	write(t, dir+"/.gitattributes", "*.bin lfs")
	write(t, dir+"/.git/config", "x")
	write(t, dir+"/sub/.hidden", "hidden")
	write(t, dir+"/empty", "")
	got, err := DigestDir(ctx, dir, []string{"model.sig"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		// as the fixture's signature records them
		"signme-1":    "bc9a717db6064a32cbe9eae6fc40651dd6d36ef1757183f590eff2b1765d7ebc",
		"signme-2":    "32dcb1f8e1ae52d5963e56a6ba06ab58b424c15ed2a6b70d2feca1d089370028",
		"ignore-me":   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", // empty
		"empty":       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"sub/.hidden": "e564b4081d7a9ea4b00dada53bdae70c99b87b6fce869f0c3dd4d2bfa1e53e1c", // sha256sum of "hidden"
	}
	if len(got) != len(want) {
		t.Errorf("DigestDir = %v, want the keys of %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	// A file alone digests under its base name.
	single, err := DigestDir(ctx, dir+"/signme-2", nil)
	if err != nil || single["signme-2"] != want["signme-2"] || len(single) != 1 {
		t.Errorf("single file: %v, %v", single, err)
	}
	if err := os.Symlink("signme-1", dir+"/link"); err != nil {
		t.Fatal(err)
	}
	if _, err := DigestDir(ctx, dir, nil); err == nil || !strings.Contains(err.Error(), "link: symbolic link") {
		t.Errorf("DigestDir with a link = %v, want it named", err)
	}
	if _, err := DigestDir(ctx, dir+"/nonexistent", nil); err == nil {
		t.Error("DigestDir of a missing directory succeeded")
	}
}

func TestVerifyDigests(t *testing.T) {
	ctx := context.Background()
	bundle := read(t, mt+"v1.1.0-certificate/model.sig")
	declared, err := DigestDir(ctx, mt+"v1.1.0-certificate", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The declared list still holds model.sig and ignore-me: the signature's ignore_paths drop them.
	res, err := VerifyDigests(bundle, declared, chainTrust(t), Options{})
	if err != nil || !res.Verified {
		t.Fatalf("VerifyDigests = %v, %v", res.Problems(), err)
	}
	declared["signme-1"] = strings.Repeat("0", 64)
	delete(declared, "signme-2")
	declared["extra.bin"] = strings.Repeat("A", 64)
	res, err = VerifyDigests(bundle, declared, chainTrust(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified || len(res.Changed) != 1 || !slices.Equal(res.Missing, []string{"signme-2"}) || !slices.Equal(res.Extra, []string{"extra.bin"}) {
		t.Errorf("problems = %v", res.Problems())
	}
	if _, err := VerifyDigests(bundle, map[string]string{"a": "not hex"}, chainTrust(t), Options{}); err == nil {
		t.Error("a declared digest that is not hex was accepted")
	}
	if _, err := VerifyDigests(bundle, map[string]string{"../a": strings.Repeat("0", 64)}, chainTrust(t), Options{}); err == nil {
		t.Error("a declared path outside the model was accepted")
	}
}

func TestOwnSignatures(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write(t, dir+"/config.json", `{"layers": 2}`)
	write(t, dir+"/weights/model-00001.safetensors", strings.Repeat("w", 3000))
	digests, err := DigestDir(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	statement := v1Statement(digests, filesSerialization())
	for _, alg := range []string{"p256", "p384", "ed25519", "rsa"} {
		t.Run(alg, func(t *testing.T) {
			s := newTestSigner(t, alg)
			res, err := VerifyDir(ctx, dir, s.bundle(t, statement, bundleOpts{}), s.trust(t), Options{})
			if err != nil || !res.Verified {
				t.Fatalf("VerifyDir = %v, %v", res.Problems(), err)
			}
		})
	}
	s := newTestSigner(t, "p256")
	t.Run("url-safe unpadded base64 and a bad signature before the good one", func(t *testing.T) {
		b := s.bundle(t, statement, bundleOpts{encoding: base64.RawURLEncoding, extraSigs: [][]byte{[]byte("not a signature")}})
		if res, err := VerifyDir(ctx, dir, b, s.trust(t), Options{}); err != nil || !res.Verified {
			t.Fatalf("VerifyDir = %v, %v", res.Problems(), err)
		}
	})
	t.Run("legacy pre-image refused for a v1.0 statement", func(t *testing.T) {
		b := s.bundle(t, statement, bundleOpts{preimage: legacyPAE})
		if res, _ := VerifyDir(ctx, dir, b, s.trust(t), Options{}); res.Verified || res.TrustFailure == "" {
			t.Errorf("result %+v", res)
		}
	})
	t.Run("payload changed after signing", func(t *testing.T) {
		b := s.bundle(t, statement, bundleOpts{})
		payload, _ := json.Marshal(v1Statement(map[string]string{"config.json": strings.Repeat("0", 64)}, filesSerialization()))
		res, err := VerifyDir(ctx, dir, withPayload(t, b, base64.StdEncoding.EncodeToString(payload)), s.trust(t), Options{})
		if err != nil || res.Verified || res.TrustFailure == "" {
			t.Errorf("VerifyDir = %+v, %v", res, err)
		}
	})
	signedFailures := []struct {
		name      string
		statement any
		opts      bundleOpts
		want      string
	}{
		{"root digest disagrees", func() any {
			st := v1Statement(digests, filesSerialization())
			st["subject"] = []any{map[string]any{"name": "model", "digest": map[string]string{"sha256": strings.Repeat("1", 64)}}}
			return st
		}(), bundleOpts{}, "subject digest"},
		{"path escapes the model", v1Statement(map[string]string{"../etc/passwd": digests["config.json"]}, filesSerialization()), bundleOpts{}, "leaves the model directory"},
		{"absolute path", v1Statement(map[string]string{"/etc/passwd": digests["config.json"]}, filesSerialization()), bundleOpts{}, "leaves the model directory"},
		{"not in-toto", statement, bundleOpts{payloadType: "text/plain"}, "payloadType"},
		{"not JSON", []byte("hello"), bundleOpts{}, "statement"},
		{"other predicate", func() any {
			st := v1Statement(digests, filesSerialization())
			st["predicateType"] = "https://slsa.dev/provenance/v1"
			return st
		}(), bundleOpts{}, "not a model signature"},
		{"too many resources", mustJSON(t, v1Statement(manyDigests(MaxResources+1), filesSerialization())), bundleOpts{}, "more than"},
	}
	for _, c := range signedFailures {
		t.Run(c.name, func(t *testing.T) {
			res, err := VerifyDir(ctx, dir, s.bundle(t, c.statement, c.opts), s.trust(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || res.Signer == nil || !strings.Contains(res.ManifestFailure, c.want) {
				t.Errorf("verified %v, manifest failure %q, want one containing %q", res.Verified, res.ManifestFailure, c.want)
			}
		})
	}
	t.Run("unsupported hash type", func(t *testing.T) {
		ser := filesSerialization()
		ser["hash_type"] = "md5"
		_, err := VerifyDir(ctx, dir, s.bundle(t, v1Statement(digests, ser), bundleOpts{}), s.trust(t), Options{})
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("VerifyDir = %v, want ErrUnsupported", err)
		}
	})
}

func TestSignedSerializations(t *testing.T) {
	ctx := context.Background()
	s := newTestSigner(t, "p256")
	dir := t.TempDir()
	write(t, dir+"/a.bin", strings.Repeat("a", 2500))
	write(t, dir+"/b/c.txt", "c")
	write(t, dir+"/empty", "")
	files, _, err := listFiles(ctx, dir, ignoreSet{}, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("shards", func(t *testing.T) {
		shards, err := hashFiles(ctx, files, "sha256", 1000)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"a.bin:0:1000", "a.bin:1000:2000", "a.bin:2000:2500", "b/c.txt:0:1"}
		if got := slices.Sorted(maps.Keys(shards)); !slices.Equal(got, want) {
			t.Fatalf("shards %v, want %v", got, want)
		}
		ser := map[string]any{"method": "shards", "hash_type": "sha256", "shard_size": 1000, "allow_symlinks": false}
		b := s.bundle(t, v1Statement(shards, ser), bundleOpts{})
		if res, err := VerifyDir(ctx, dir, b, s.trust(t), Options{}); err != nil || !res.Verified {
			t.Fatalf("VerifyDir = %v, %v", res.Problems(), err)
		}
		if _, err := VerifyDigests(b, map[string]string{}, s.trust(t), Options{}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("VerifyDigests of a shard manifest = %v, want ErrUnsupported", err)
		}
		grown := t.TempDir()
		write(t, grown+"/a.bin", strings.Repeat("a", 2600))
		write(t, grown+"/b/c.txt", "c")
		res, err := VerifyDir(ctx, grown, b, s.trust(t), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Missing, []string{"a.bin:2000:2500"}) || !slices.Equal(res.Extra, []string{"a.bin:2000:2600"}) {
			t.Errorf("missing %v extra %v", res.Missing, res.Extra)
		}
	})
	for _, h := range []string{"blake2b", "blake3"} {
		t.Run(h, func(t *testing.T) {
			digests, err := hashFiles(ctx, files, h, 0)
			if err != nil {
				t.Fatal(err)
			}
			ser := filesSerialization()
			ser["hash_type"] = h
			b := s.bundle(t, v1Statement(digests, ser), bundleOpts{})
			if res, err := VerifyDir(ctx, dir, b, s.trust(t), Options{}); err != nil || !res.Verified {
				t.Fatalf("VerifyDir = %v, %v", res.Problems(), err)
			}
		})
	}
	// blake2b as Python's hashlib.blake2b() (64-byte digest) and blake3 of "abc".
	one := []modelFile{{rel: "abc", abs: filepath.Join(t.TempDir(), "abc")}}
	write(t, one[0].abs, "abc")
	for h, want := range map[string]string{
		"blake2b": "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
		"blake3":  "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85",
	} {
		got, err := hashFiles(ctx, one, h, 0)
		if err != nil || got["abc"] != want {
			t.Errorf("%s(abc) = %s, %v, want %s", h, got["abc"], err, want)
		}
	}
}

func TestSymlinks(t *testing.T) {
	ctx := context.Background()
	s := newTestSigner(t, "p256")
	outside := filepath.Join(t.TempDir(), "secret")
	write(t, outside, "outside")
	dir := t.TempDir()
	write(t, dir+"/real.bin", "weights")
	digests, err := DigestDir(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.bin", dir+"/alias.bin"); err != nil {
		t.Fatal(err)
	}
	digests["alias.bin"] = digests["real.bin"]
	t.Run("links not allowed", func(t *testing.T) {
		b := s.bundle(t, v1Statement(digests, filesSerialization()), bundleOpts{})
		res, err := VerifyDir(ctx, dir, b, s.trust(t), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verified || len(res.Unsupported) != 1 || res.Unsupported[0].Path != "alias.bin" {
			t.Errorf("result %+v", res)
		}
	})
	ser := filesSerialization()
	ser["allow_symlinks"] = true
	t.Run("links allowed", func(t *testing.T) {
		b := s.bundle(t, v1Statement(digests, ser), bundleOpts{})
		if res, err := VerifyDir(ctx, dir, b, s.trust(t), Options{}); err != nil || !res.Verified {
			t.Fatalf("VerifyDir = %v, %v", res.Problems(), err)
		}
	})
	t.Run("link out of the model", func(t *testing.T) {
		if err := os.Symlink(outside, dir+"/escape"); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(dir + "/escape")
		b := s.bundle(t, v1Statement(digests, ser), bundleOpts{})
		res, err := VerifyDir(ctx, dir, b, s.trust(t), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verified || len(res.Unsupported) != 1 || !strings.Contains(res.Unsupported[0].Reason, "outside") {
			t.Errorf("result %+v", res)
		}
	})
}

func TestTrustInput(t *testing.T) {
	if _, err := TrustPublicKey([]byte("not a key")); err == nil {
		t.Error("TrustPublicKey accepted text")
	}
	if _, err := TrustCertificateChain(read(t, mt+"keys/int-ca-cert.pem")); err == nil {
		t.Error("TrustCertificateChain accepted a chain without a self-signed root")
	}
	if _, err := TrustSigstore(read(t, "testdata/sigstore-go/public-good.json"), "", fixtureIssuer); err == nil {
		t.Error("TrustSigstore accepted no identity")
	}
	if _, err := TrustSigstore([]byte(`{}`), fixtureIdentity, fixtureIssuer); err == nil {
		t.Error("TrustSigstore accepted an empty trusted root")
	}
}

func manyDigests(n int) map[string]string {
	out := make(map[string]string, n)
	for i := range n {
		out["f"+strconv.Itoa(i)] = strings.Repeat("ab", 32)
	}
	return out
}

// withPayload replaces the envelope payload of bundle, leaving the signature.
func withPayload(t testing.TB, bundle []byte, payload string) []byte {
	t.Helper()
	var bj map[string]any
	if err := json.Unmarshal(bundle, &bj); err != nil {
		t.Fatal(err)
	}
	bj["dsseEnvelope"].(map[string]any)["payload"] = payload
	return mustJSON(t, bj)
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Options.At checks a certificate chain at a chosen time: the fixture's
// root (valid 2025-05-02 to 2035-04-30) no longer vouches in 2040.
func TestCertificateTime(t *testing.T) {
	fixture := mt + "v1.1.0-certificate"
	for at, want := range map[time.Time]bool{
		{}: true, // the leaf's NotBefore
		time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC): true,
		time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC): false,
	} {
		res, err := VerifyDir(context.Background(), fixture, read(t, fixture+"/model.sig"), chainTrust(t), Options{At: at})
		if err != nil || res.Verified != want {
			t.Errorf("at %v: verified %v (%v, %v), want %v", at, res.Verified, res.Problems(), err, want)
		}
	}
}
