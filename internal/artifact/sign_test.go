package artifact

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"sort"
	"testing"
)

// testSigner makes OMS bundles with its own key, as model_signing's key
// method does, so tamper cases need no fixtures.
type testSigner struct {
	key crypto.Signer
}

func newTestSigner(t testing.TB, alg string) testSigner {
	t.Helper()
	var key crypto.Signer
	var err error
	switch alg {
	case "p256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "p384":
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ed25519":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case "rsa":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	return testSigner{key: key}
}

func (s testSigner) publicPEM(t testing.TB) []byte {
	der, err := x509.MarshalPKIXPublicKey(s.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func (s testSigner) trust(t testing.TB) Trust {
	t.Helper()
	tr, err := TrustPublicKey(s.publicPEM(t))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// sign signs msg as the key method would for this key type.
func (s testSigner) sign(t testing.TB, msg []byte) []byte {
	t.Helper()
	var sig []byte
	var err error
	switch k := s.key.(type) {
	case *ecdsa.PrivateKey:
		h, _ := curveHash(&k.PublicKey)
		sig, err = ecdsa.SignASN1(rand.Reader, k, digest(h, msg))
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, msg)
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest(crypto.SHA256, msg))
	}
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// v1Statement is the in-toto statement model_signing writes for digests
// (resource name -> hex digest), resources sorted by name.
func v1Statement(digests map[string]string, ser map[string]any) map[string]any {
	names := make([]string, 0, len(digests))
	for n := range digests {
		names = append(names, n)
	}
	sort.Strings(names)
	root := sha256.New()
	var resources []map[string]string
	for _, n := range names {
		raw, _ := hex.DecodeString(digests[n])
		root.Write(raw)
		resources = append(resources, map[string]string{"name": n, "algorithm": ser["hash_type"].(string), "digest": digests[n]})
	}
	return map[string]any{
		"_type":         inTotoStatementV1,
		"subject":       []any{map[string]any{"name": "model", "digest": map[string]string{"sha256": hex.EncodeToString(root.Sum(nil))}}},
		"predicateType": PredicateV1,
		"predicate":     map[string]any{"serialization": ser, "resources": resources},
	}
}

func filesSerialization(ignore ...string) map[string]any {
	ser := map[string]any{"method": "files", "hash_type": "sha256", "allow_symlinks": false}
	if len(ignore) > 0 {
		ser["ignore_paths"] = ignore
	}
	return ser
}

// bundleOpts vary what bundle makes, to build the variants real producers write.
type bundleOpts struct {
	payloadType string
	encoding    *base64.Encoding // of payload and signatures; default std
	preimage    func(payloadType string, payload []byte) []byte
	extraSigs   [][]byte // before the real signature
}

// bundle signs statement (any JSON value, or raw bytes) and wraps it in a
// Sigstore bundle with a key hint, as model_signing 1.1 writes it.
func (s testSigner) bundle(t testing.TB, statement any, o bundleOpts) []byte {
	t.Helper()
	payload, ok := statement.([]byte)
	if !ok {
		var err error
		if payload, err = json.MarshalIndent(statement, "", "  "); err != nil {
			t.Fatal(err)
		}
	}
	if o.payloadType == "" {
		o.payloadType = inTotoPayloadType
	}
	if o.encoding == nil {
		o.encoding = base64.StdEncoding
	}
	if o.preimage == nil {
		o.preimage = pae
	}
	var sigs []map[string]any
	for _, extra := range o.extraSigs {
		sigs = append(sigs, map[string]any{"sig": o.encoding.EncodeToString(extra), "keyid": ""})
	}
	sigs = append(sigs, map[string]any{"sig": o.encoding.EncodeToString(s.sign(t, o.preimage(o.payloadType, payload))), "keyid": nil})
	b, err := json.Marshal(map[string]any{
		"mediaType":            "application/vnd.dev.sigstore.bundle.v0.3+json",
		"verificationMaterial": map[string]any{"publicKey": map[string]string{"hint": keyHint(s.key.Public())}, "tlogEntries": []any{}},
		"dsseEnvelope":         map[string]any{"payload": o.encoding.EncodeToString(payload), "payloadType": o.payloadType, "signatures": sigs},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
