package artifact

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// Trust is what a signature must chain to: the public key, the certificate
// roots, or the Sigstore trusted root and identity a vendor registered. Make
// one with TrustPublicKey, TrustCertificateChain or TrustSigstore.
type Trust struct {
	method Method
	key    crypto.PublicKey
	// certificate method: self-signed anchors and the other certificates
	// of the configured chain, usable as intermediates.
	roots, intermediates *x509.CertPool
	// sigstore method
	sigstoreRoot     root.TrustedMaterial
	identity, issuer string
}

// Method is the signing method t accepts.
func (t Trust) Method() Method { return t.method }

// TrustPublicKey trusts signatures by the PEM public key (ECDSA P-256, P-384
// or P-521, Ed25519, or RSA of at least 2048 bits). Text around the PEM
// block, as certtool writes, is skipped.
func TrustPublicKey(pemData []byte) (Trust, error) {
	block := findPEM(pemData, "PUBLIC KEY")
	if block == nil {
		return Trust{}, errors.New("no PEM PUBLIC KEY block: give the signer's public key (-----BEGIN PUBLIC KEY-----)")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return Trust{}, fmt.Errorf("public key: %w", err)
	}
	if err := checkKey(key); err != nil {
		return Trust{}, err
	}
	return Trust{method: MethodKey, key: key}, nil
}

// TrustCertificateChain trusts signatures whose certificate chains to one of
// the self-signed certificates in pemData; its other certificates may serve
// as intermediates. This is model_signing's --certificate_chain.
func TrustCertificateChain(pemData []byte) (Trust, error) {
	t := Trust{method: MethodCertificate, roots: x509.NewCertPool(), intermediates: x509.NewCertPool()}
	anchors := 0
	for rest := pemData; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return Trust{}, fmt.Errorf("certificate chain: %w", err)
		}
		if bytes.Equal(cert.RawIssuer, cert.RawSubject) && cert.CheckSignatureFrom(cert) == nil {
			t.roots.AddCert(cert)
			anchors++
		} else {
			t.intermediates.AddCert(cert)
		}
	}
	if anchors == 0 {
		return Trust{}, errors.New("no self-signed root CERTIFICATE in the chain file: give the PEM of the CA the signing certificate chains to")
	}
	return t, nil
}

// TrustSigstore trusts keyless Sigstore signatures by identity (the
// certificate's subject alternative name, e.g. an email or a workflow URI)
// as asserted by issuer (the OIDC issuer URL), under the trusted root JSON
// (Fulcio CAs, Rekor and CT log keys, timestamp authorities). Nothing is
// fetched: the trusted root is whatever the caller vendored.
func TrustSigstore(trustedRootJSON []byte, identity, issuer string) (Trust, error) {
	if identity == "" || issuer == "" {
		return Trust{}, errors.New("keyless Sigstore verification needs the expected identity and OIDC issuer")
	}
	if err := checkJSON(trustedRootJSON); err != nil {
		return Trust{}, fmt.Errorf("trusted root: %w", err)
	}
	tr, err := root.NewTrustedRootFromJSON(trustedRootJSON)
	if err != nil {
		return Trust{}, fmt.Errorf("trusted root: %w", err)
	}
	return Trust{method: MethodSigstore, sigstoreRoot: tr, identity: identity, issuer: issuer}, nil
}

func findPEM(data []byte, typ string) *pem.Block {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil
		}
		if block.Type == typ {
			return block
		}
	}
}

func checkKey(key crypto.PublicKey) error {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		if _, err := curveHash(k); err != nil {
			return err
		}
	case ed25519.PublicKey:
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("RSA key of %d bits: Sigstore signatures need 2048 or more", k.N.BitLen())
		}
	default:
		return fmt.Errorf("%T keys are not supported (ECDSA P-256/P-384/P-521, Ed25519, RSA)", key)
	}
	return nil
}

// curveHash is the hash model_signing pairs with each curve.
func curveHash(k *ecdsa.PublicKey) (crypto.Hash, error) {
	switch k.Curve {
	case elliptic.P256():
		return crypto.SHA256, nil
	case elliptic.P384():
		return crypto.SHA384, nil
	case elliptic.P521():
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("ECDSA curve %s is not supported (P-256, P-384, P-521)", k.Curve.Params().Name)
}

// pae is the DSSE v1 pre-authentication encoding, what a DSSE signature signs.
func pae(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

// legacyPAE is what model_signing 0.2.0 signed instead of the PAE: "DSSEV1",
// and the payload formatted as Python's repr of a bytes value (b'...' with
// escapes), because its encoder put bytes into a str.
func legacyPAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "DSSEV1 %d %s %d ", len(payloadType), payloadType, len(payload))
	quote := byte('\'')
	if bytes.IndexByte(payload, '\'') >= 0 && bytes.IndexByte(payload, '"') < 0 {
		quote = '"'
	}
	b.WriteByte('b')
	b.WriteByte(quote)
	for _, c := range payload {
		switch {
		case c == quote || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < ' ' || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(quote)
	return b.Bytes()
}

// verifyMessage checks sig over msg by key with the algorithm the key implies.
func verifyMessage(key crypto.PublicKey, h crypto.Hash, msg, sig []byte) bool {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, digest(h, msg), sig)
	case ed25519.PublicKey:
		return ed25519.Verify(k, msg, sig)
	case *rsa.PublicKey:
		d := digest(crypto.SHA256, msg)
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, d, sig) == nil ||
			rsa.VerifyPSS(k, crypto.SHA256, d, sig, nil) == nil
	}
	return false
}

func digest(h crypto.Hash, msg []byte) []byte {
	switch h {
	case crypto.SHA384:
		s := sha512.Sum384(msg)
		return s[:]
	case crypto.SHA512:
		s := sha512.Sum512(msg)
		return s[:]
	}
	s := sha256.Sum256(msg)
	return s[:]
}

// verifyEnvelope reports whether any signature of env is key's over the
// envelope's PAE; with legacy, model_signing 0.2.0's pre-image is also tried,
// hashed with SHA-256 as that version always did, or with the curve's hash.
func verifyEnvelope(key crypto.PublicKey, env envelope, legacy bool) bool {
	h := crypto.SHA256
	if k, ok := key.(*ecdsa.PublicKey); ok {
		h, _ = curveHash(k)
	}
	msg := pae(env.payloadType, env.payload)
	var old []byte
	if legacy {
		old = legacyPAE(env.payloadType, env.payload)
	}
	for _, sig := range env.signatures {
		if verifyMessage(key, h, msg, sig) {
			return true
		}
		if legacy && (verifyMessage(key, crypto.SHA256, old, sig) || verifyMessage(key, h, old, sig)) {
			return true
		}
	}
	return false
}

// keyFingerprint is "sha256:" and the hex SHA-256 of key's DER SubjectPublicKeyInfo.
func keyFingerprint(key crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return ""
	}
	s := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(s[:])
}

// keyHint is model_signing's publicKey.hint: the hex SHA-256 of the key's PEM.
func keyHint(key crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return ""
	}
	s := sha256.Sum256(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	return hex.EncodeToString(s[:])
}

// verifySignature checks b's signature under t and returns the signer, or
// the trust failure as a sentence.
func verifySignature(b *bundle, t Trust, legacy bool, opts Options) (*Signer, string) {
	if t.method == "" {
		return nil, "no trust configured: give a public key, a certificate chain or a Sigstore trusted root with identity and issuer"
	}
	// Keyless bundles before v0.3 carried the Fulcio certificate as an
	// x509CertificateChain; sigstore-go tells those apart.
	keylessChain := t.method == MethodSigstore && b.method == MethodCertificate
	if b.method != t.method && !keylessChain {
		return nil, fmt.Sprintf("the bundle is signed by the %s method but the trust given is for the %s method", b.method, t.method)
	}
	switch t.method {
	case MethodKey:
		if !verifyEnvelope(t.key, b.env, legacy) {
			if b.keyHint != "" && b.keyHint != keyHint(t.key) {
				return nil, fmt.Sprintf("the signature is not by the given public key (the bundle names key %s, the given key is %s)", clip(b.keyHint), keyHint(t.key))
			}
			return nil, "the signature is not by the given public key"
		}
		return &Signer{Method: MethodKey, KeyFingerprint: keyFingerprint(t.key)}, ""
	case MethodCertificate:
		return verifyCertificate(b, t, legacy, opts)
	default:
		return verifySigstore(b, t)
	}
}

func verifyCertificate(b *bundle, t Trust, legacy bool, opts Options) (*Signer, string) {
	leaf := b.chain[0]
	inter := t.intermediates.Clone()
	for _, c := range b.chain[1:] {
		inter.AddCert(c)
	}
	at := opts.At
	if at.IsZero() {
		at = leaf.NotBefore
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: t.roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return nil, fmt.Sprintf("the signing certificate %q does not chain to the given root at %s: %v", clip(leaf.Subject.String()), at.UTC().Format(time.RFC3339), err)
	}
	// As model_signing requires: the leaf may sign (key usage) or sign code.
	if leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 && !hasEKU(leaf, x509.ExtKeyUsageCodeSigning) {
		return nil, fmt.Sprintf("the certificate %q is for neither digital signature nor code signing", clip(leaf.Subject.String()))
	}
	if err := checkKey(leaf.PublicKey); err != nil {
		return nil, fmt.Sprintf("the certificate %q: %v", clip(leaf.Subject.String()), err)
	}
	if !verifyEnvelope(leaf.PublicKey, b.env, legacy) {
		return nil, fmt.Sprintf("the signature is not by the key of the certificate %q", clip(leaf.Subject.String()))
	}
	fp := sha256.Sum256(leaf.Raw)
	chain := chains[0]
	return &Signer{Method: MethodCertificate, KeyFingerprint: keyFingerprint(leaf.PublicKey),
		CertificateSubject: leaf.Subject.String(), CertificateIssuer: leaf.Issuer.String(),
		CertificateFingerprint: "sha256:" + hex.EncodeToString(fp[:]), SubjectAlternativeNames: sans(leaf),
		ChainRoot: chain[len(chain)-1].Subject.String()}, ""
}

func hasEKU(c *x509.Certificate, want x509.ExtKeyUsage) bool {
	for _, u := range c.ExtKeyUsage {
		if u == want {
			return true
		}
	}
	return false
}

func sans(c *x509.Certificate) []string {
	out := append([]string{}, c.EmailAddresses...)
	for _, u := range c.URIs {
		out = append(out, u.String())
	}
	out = append(out, c.DNSNames...)
	return out
}

// verifySigstore checks a keyless bundle with sigstore-go: transparency log
// entry, certificate chain to Fulcio at the logged time, SCT, identity.
func verifySigstore(b *bundle, t Trust) (*Signer, string) {
	var sb sgbundle.Bundle
	if err := sb.UnmarshalJSON(b.raw); err != nil {
		return nil, fmt.Sprintf("the Sigstore bundle is invalid: %v", err)
	}
	v, err := verify.NewVerifier(t.sigstoreRoot, verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1), verify.WithSignedCertificateTimestamps(1))
	if err != nil {
		return nil, fmt.Sprintf("Sigstore verifier: %v", err)
	}
	id, err := verify.NewShortCertificateIdentity(t.issuer, "", t.identity, "")
	if err != nil {
		return nil, fmt.Sprintf("expected identity: %v", err)
	}
	res, err := v.Verify(&sb, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithCertificateIdentity(id)))
	if err != nil {
		return nil, fmt.Sprintf("Sigstore verification failed: %v", err)
	}
	env := sb.GetDsseEnvelope()
	// sigstore-go parsed the bundle on its own; both readings must agree on
	// what was signed, or the manifest read here is not the one verified.
	if env == nil || !bytes.Equal(env.GetPayload(), b.env.payload) || env.GetPayloadType() != b.env.payloadType {
		return nil, "the Sigstore bundle reads differently to two parsers"
	}
	s := &Signer{Method: MethodSigstore}
	if vc, err := sb.VerificationContent(); err == nil && vc.Certificate() != nil {
		leaf := vc.Certificate()
		fp := sha256.Sum256(leaf.Raw)
		s.KeyFingerprint = keyFingerprint(leaf.PublicKey)
		s.CertificateSubject = leaf.Subject.String()
		s.CertificateIssuer = leaf.Issuer.String()
		s.CertificateFingerprint = "sha256:" + hex.EncodeToString(fp[:])
	}
	if res.Signature != nil && res.Signature.Certificate != nil {
		s.SubjectAlternativeNames = []string{res.Signature.Certificate.SubjectAlternativeName}
		s.OIDCIssuer = res.Signature.Certificate.Issuer
	}
	for _, ts := range res.VerifiedTimestamps {
		if s.SignedAt.IsZero() || ts.Timestamp.Before(s.SignedAt) {
			s.SignedAt = ts.Timestamp.UTC()
		}
	}
	return s, ""
}

// describeTrust names the trust for messages, e.g. "key sha256:ab12...".
func describeTrust(s *Signer) string {
	switch s.Method {
	case MethodKey:
		return "key " + s.KeyFingerprint
	case MethodCertificate:
		return fmt.Sprintf("certificate %q (chain to %q)", s.CertificateSubject, s.ChainRoot)
	}
	return fmt.Sprintf("%s via %s", strings.Join(s.SubjectAlternativeNames, ", "), s.OIDCIssuer)
}
