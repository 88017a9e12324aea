package check

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/modeltender/modeltender/internal/artifact"
	"github.com/modeltender/modeltender/internal/domain"
)

// IdentityTrust is the trust a registered signing identity gives a
// signature: its public key, its certificate root, or its Sigstore identity
// under sigstoreRoot (the operator's trusted root JSON). The error says what
// is wrong with the identity and how to fix it.
func IdentityTrust(id domain.SigningIdentity, sigstoreRoot []byte) (artifact.Trust, error) {
	switch id.Method {
	case domain.SigningKey:
		return artifact.TrustPublicKey([]byte(id.PublicKey))
	case domain.SigningCertificate:
		return artifact.TrustCertificateChain([]byte(id.CertificateChain))
	case domain.SigningSigstore:
		if len(sigstoreRoot) == 0 {
			return artifact.Trust{}, errors.New("this deployment has no Sigstore trusted root configured (MODELTENDER_SIGSTORE_TRUSTED_ROOT), so keyless signatures cannot be verified: ask the operator to configure one, or register a public key or certificate chain")
		}
		return artifact.TrustSigstore(sigstoreRoot, id.Identity, id.Issuer)
	}
	return artifact.Trust{}, fmt.Errorf("signing method %q is not one of key, certificate, sigstore", id.Method)
}

// IdentityFingerprint names the key material of an identity: the key's
// fingerprint, or the SHA-256 of the first self-signed certificate of a
// chain; "" for a keyless identity.
func IdentityFingerprint(id domain.SigningIdentity, t artifact.Trust) string {
	switch id.Method {
	case domain.SigningKey:
		return t.KeyFingerprint()
	case domain.SigningCertificate:
		for rest := []byte(id.CertificateChain); ; {
			var block *pem.Block
			if block, rest = pem.Decode(rest); block == nil {
				return ""
			}
			c, err := x509.ParseCertificate(block.Bytes)
			if block.Type == "CERTIFICATE" && err == nil && bytes.Equal(c.RawIssuer, c.RawSubject) {
				s := sha256.Sum256(c.Raw)
				return "sha256:" + hex.EncodeToString(s[:])
			}
		}
	}
	return ""
}

// DescribeIdentity names an identity as a reviewer reads it.
func DescribeIdentity(id domain.SigningIdentity) string {
	switch id.Method {
	case domain.SigningSigstore:
		return fmt.Sprintf("%s (keyless %s via %s)", id.Name, id.Identity, id.Issuer)
	case domain.SigningCertificate:
		if id.Identity != "" {
			return fmt.Sprintf("%s (certificate for %s, root %s)", id.Name, id.Identity, id.Fingerprint)
		}
		return fmt.Sprintf("%s (certificate, root %s)", id.Name, id.Fingerprint)
	}
	return fmt.Sprintf("%s (key %s)", id.Name, id.Fingerprint)
}

// signature verifies the candidate's OMS signature, if it carries one,
// against its declared files under each identity its vendor registered, in
// order, and says which one verified it. Anything short of a verified
// signature over exactly the declared files is not verified.
func (c *Checker) signature(m domain.Manifest, ids []domain.SigningIdentity) domain.SignatureVerdict {
	v := domain.SignatureVerdict{Status: domain.SignatureAbsent, Problems: []string{}, Tried: []string{}}
	if m.Weights.Signature == "" {
		return v
	}
	bundle := []byte(m.Weights.Signature)
	declared := declaredDigests(m.Weights)
	if len(declared) == 0 {
		v.Status = domain.SignatureInvalid
		v.Problems = append(v.Problems, "the candidate carries a signature but declares no weights.files (nor weights.digest) to compare it with")
		return v
	}
	if len(ids) == 0 {
		// Without any trust the bundle is still read, so that a file that
		// is no signature at all is named as such.
		if _, err := artifact.VerifyDigests(bundle, declared, artifact.Trust{}, sigOptions); err != nil {
			v.Status = domain.SignatureInvalid
			v.Problems = append(v.Problems, err.Error())
			return v
		}
		v.Status = domain.SignatureUntrusted
		v.Problems = append(v.Problems, "the vendor has registered no signing identity to verify the signature with")
		return v
	}
	for _, id := range ids {
		v.Tried = append(v.Tried, id.ID)
		trust, err := IdentityTrust(id, c.SigstoreRoot)
		if err != nil {
			v.Problems = append(v.Problems, fmt.Sprintf("identity %s cannot be used: %v", DescribeIdentity(id), err))
			continue
		}
		res, err := artifact.VerifyDigests(bundle, declared, trust, sigOptions)
		if err != nil {
			// The bundle or the declared list cannot be read: no identity
			// would fare better.
			v.Status = domain.SignatureInvalid
			v.Problems = append(v.Problems, err.Error())
			return v
		}
		if res.TrustFailure != "" {
			v.Problems = append(v.Problems, fmt.Sprintf("not by identity %s: %s", DescribeIdentity(id), res.TrustFailure))
			continue
		}
		if id.Method == domain.SigningCertificate && id.Identity != "" && !slices.Contains(res.Signer.SubjectAlternativeNames, id.Identity) {
			v.Problems = append(v.Problems, fmt.Sprintf("not by identity %s: the certificate names %s, not %s",
				DescribeIdentity(id), strings.Join(res.Signer.SubjectAlternativeNames, ", "), id.Identity))
			continue
		}
		v.IdentityID, v.Identity, v.Method, v.Legacy = id.ID, DescribeIdentity(id), string(id.Method), res.Legacy
		if res.Verified {
			v.Status, v.Problems = domain.SignatureVerified, []string{}
			return v
		}
		v.Status, v.Problems = domain.SignatureInvalid, res.Problems()
		return v
	}
	v.Status = domain.SignatureUntrusted
	return v
}

// sigOptions leave the signature's own file out of the comparison: a
// signature cannot sign itself, and older model_signing versions did not
// record that they skipped it.
var sigOptions = artifact.Options{IgnorePaths: []string{"model.sig"}}

// declaredDigests is what the signature is compared with: the declared
// files, or the weights' single digest as a one-file model.
func declaredDigests(w domain.Weights) map[string]string {
	if len(w.Files) > 0 {
		return w.Files
	}
	if hexDigest, ok := strings.CutPrefix(w.Digest, "sha256:"); ok {
		return map[string]string{"weights": hexDigest}
	}
	return nil
}
