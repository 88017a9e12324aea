package domain

import "time"

// SigningMethod is how a vendor signs its models: the OpenSSF Model Signing
// methods, each needing its own trust.
type SigningMethod string

// The signing methods a vendor may register an identity for.
const (
	SigningKey         SigningMethod = "key"         // a long-lived public key (PEM)
	SigningCertificate SigningMethod = "certificate" // a certificate chaining to the vendor's root (PEM)
	SigningSigstore    SigningMethod = "sigstore"    // keyless: an OIDC identity under the operator's trusted root
)

// SigningIdentity is one identity a vendor organisation signs its models
// with. A candidate's signature counts only when it verifies under one of
// its vendor's identities in force when the candidate is checked.
type SigningIdentity struct {
	ID     string        `json:"id"`
	OrgID  string        `json:"organisation_id"`
	Name   string        `json:"name"`
	Method SigningMethod `json:"method"`
	// PublicKey is the PEM public key (key method).
	PublicKey string `json:"public_key,omitempty"`
	// CertificateChain is the PEM root (and intermediates) the signing
	// certificate chains to (certificate method).
	CertificateChain string `json:"certificate_chain,omitempty"`
	// Identity is the subject alternative name the certificate must carry:
	// optional for the certificate method, required for sigstore (an e-mail
	// or a workflow URI); Issuer is the OIDC issuer (sigstore only).
	Identity string `json:"identity,omitempty"`
	Issuer   string `json:"issuer,omitempty"`
	// Fingerprint is "sha256:" and the hex SHA-256 of the key's DER
	// SubjectPublicKeyInfo (key) or of the root certificate (certificate).
	Fingerprint string     `json:"fingerprint,omitempty"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	RevokedBy   string     `json:"revoked_by,omitempty"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
}

// Signature statuses: what the check concluded of a candidate's model signature.
const (
	SignatureVerified  = "verified"  // verified by a registered identity, files as declared
	SignatureInvalid   = "invalid"   // unreadable, or the signed files differ from the declared ones
	SignatureUntrusted = "untrusted" // no identity the vendor registered made this signature
	SignatureAbsent    = "absent"    // the candidate carries no signature
)

// SignatureVerdict is the check's finding on a candidate's OMS signature,
// the provenance evidence the policy decides on.
type SignatureVerdict struct {
	Status string `json:"status"`
	// IdentityID and Identity name the registered identity that verified it
	// (Identity as a person reads it: label and key or certificate).
	IdentityID string `json:"identity_id,omitempty"`
	Identity   string `json:"identity,omitempty"`
	Method     string `json:"method,omitempty"`
	// Legacy marks the deprecated model_signing 0.2 statement format.
	Legacy bool `json:"legacy"`
	// Problems say what kept the signature from verifying, one per line.
	Problems []string `json:"problems"`
	// Tried are the ids of the identities the signature was checked against.
	Tried []string `json:"tried"`
}
