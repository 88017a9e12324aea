// Package artifact owns a candidate's model artifacts bound by digest and
// signature: the SHA-256 digest list of a model directory (the form a vendor
// declares) and offline verification of an OpenSSF Model Signing (OMS)
// signature bundle, a Sigstore bundle whose DSSE envelope carries an in-toto
// statement listing every file of the model, against a directory or against
// declared digests. It also holds `modeltender artifact`.
//
// Bundles, directories and digest lists come from vendors and are treated as
// hostile: sizes, nesting and counts are bounded, links and special files are
// never followed blindly, and nothing is fetched from the network.
package artifact

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Input bounds. A real OMS bundle for a model of a few thousand files is well
// under a megabyte; anything past these is refused, not parsed.
const (
	MaxBundleBytes  = 8 << 20 // bytes of a bundle file
	MaxJSONDepth    = 32      // nesting of the bundle and of its statement
	MaxResources    = 50_000  // files (or shards) a manifest or a directory may hold
	maxSignatures   = 16      // DSSE signatures in one envelope
	maxCertificates = 10      // certificates in a bundle's chain
	maxIgnorePaths  = 1_000
	maxObjectKeys   = 1_000 // keys of one JSON object
	maxNameBytes    = 4_096 // one resource name or ignore path
)

// Predicate types of OMS statements.
const (
	PredicateV1     = "https://model_signing/signature/v1.0"
	PredicateLegacy = "https://model_signing/Digests/v0.1" // model_signing 0.2.0
)

// Method is how a bundle was signed, which decides the trust it needs.
type Method string

// The OMS signing methods.
const (
	MethodKey         Method = "key"         // a long-lived public key
	MethodCertificate Method = "certificate" // a certificate chaining to a configured root
	MethodSigstore    Method = "sigstore"    // keyless: Fulcio certificate and Rekor entry
)

// ErrBundle marks a bundle that cannot be read: too large, not JSON, not a
// Sigstore bundle with a DSSE envelope. Such input is refused, not judged.
var ErrBundle = errors.New("not a readable model signature bundle")

// ErrUnsupported marks a well-formed signature this package cannot check,
// such as a shard manifest compared with whole-file digests.
var ErrUnsupported = errors.New("unsupported model signature")

// Options tunes a verification.
type Options struct {
	// IgnorePaths are extra paths, relative to the model root with "/"
	// separators, left out of the comparison (with everything under them),
	// added to the ignore_paths the signature records and the defaults
	// (.git, .gitattributes, .github, .gitignore).
	IgnorePaths []string
	// At is the time certificate chains are checked at for the certificate
	// method; zero means the leaf's NotBefore, as model_signing does, since
	// such bundles carry no trusted time.
	At time.Time
}

// Serialization is how the signer enumerated and hashed the model.
type Serialization struct {
	Method        string   `json:"method"` // "files" or "shards"
	HashType      string   `json:"hash_type"`
	ShardSize     int64    `json:"shard_size,omitempty"`
	AllowSymlinks bool     `json:"allow_symlinks"`
	IgnorePaths   []string `json:"ignore_paths,omitempty"`
}

// Signer is who signed, established by a verified signature only.
type Signer struct {
	Method Method `json:"method"`
	// KeyFingerprint is "sha256:" and the hex SHA-256 of the signing key's
	// DER SubjectPublicKeyInfo, for every method.
	KeyFingerprint string `json:"key_fingerprint"`
	// Certificate methods: the leaf certificate and what it names.
	CertificateSubject      string   `json:"certificate_subject,omitempty"`
	CertificateIssuer       string   `json:"certificate_issuer,omitempty"`
	CertificateFingerprint  string   `json:"certificate_fingerprint,omitempty"`
	SubjectAlternativeNames []string `json:"subject_alternative_names,omitempty"`
	ChainRoot               string   `json:"chain_root,omitempty"` // subject of the trust anchor reached
	// Sigstore keyless: the OIDC issuer the identity was asserted by, and the
	// earliest verified time (transparency log or timestamp authority).
	OIDCIssuer string    `json:"oidc_issuer,omitempty"`
	SignedAt   time.Time `json:"signed_at,omitzero"`
}

// ChangedFile is a signed file (or shard) whose content differs.
type ChangedFile struct {
	Path     string `json:"path"`
	Expected string `json:"expected"`
	Actual   string `json:"actual"`
}

// PathProblem is a path that cannot be part of the signed model as found
// (a link the signature does not allow, a device, a name that is not UTF-8).
type PathProblem struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Result is the outcome of verifying a bundle. Verified is true only when the
// signature verifies under the configured trust, the statement is a valid
// OMS manifest, and every file matches with none missing or extra.
type Result struct {
	Verified bool `json:"verified"`
	// Signer is set only when the signature verified.
	Signer        *Signer       `json:"signer,omitempty"`
	PredicateType string        `json:"predicate_type,omitempty"`
	Legacy        bool          `json:"legacy"` // the deprecated Digests/v0.1 predicate
	ModelName     string        `json:"model_name,omitempty"`
	RootDigest    string        `json:"root_digest,omitempty"`
	Serialization Serialization `json:"serialization,omitzero"`
	Resources     int           `json:"resources"` // files or shards the signature lists

	Changed     []ChangedFile `json:"changed,omitempty"`
	Missing     []string      `json:"missing,omitempty"`
	Extra       []string      `json:"extra,omitempty"`
	Unsupported []PathProblem `json:"unsupported,omitempty"`
	// TrustFailure says why the signature is not trusted; when set, files
	// are not compared, as the manifest cannot be believed.
	TrustFailure string `json:"trust_failure,omitempty"`
	// ManifestFailure says why the signed statement is not a usable manifest.
	ManifestFailure string `json:"manifest_failure,omitempty"`
}

// Problems lists, one line each, everything that keeps r from being verified.
func (r Result) Problems() []string {
	var out []string
	if r.TrustFailure != "" {
		out = append(out, "signature not trusted: "+r.TrustFailure)
	}
	if r.ManifestFailure != "" {
		out = append(out, "signed manifest unusable: "+r.ManifestFailure)
	}
	for _, c := range r.Changed {
		out = append(out, fmt.Sprintf("changed: %s (signed %s, found %s)", c.Path, c.Expected, c.Actual))
	}
	for _, p := range r.Missing {
		out = append(out, "missing: "+p)
	}
	for _, p := range r.Extra {
		out = append(out, "extra (not signed): "+p)
	}
	for _, p := range r.Unsupported {
		out = append(out, fmt.Sprintf("cannot check: %s (%s)", p.Path, p.Reason))
	}
	return out
}

// settle sorts r's lists and decides Verified.
func (r *Result) settle() {
	sort.Slice(r.Changed, func(i, j int) bool { return r.Changed[i].Path < r.Changed[j].Path })
	sort.Strings(r.Missing)
	sort.Strings(r.Extra)
	sort.Slice(r.Unsupported, func(i, j int) bool { return r.Unsupported[i].Path < r.Unsupported[j].Path })
	r.Verified = r.Signer != nil && r.TrustFailure == "" && r.ManifestFailure == "" &&
		len(r.Changed) == 0 && len(r.Missing) == 0 && len(r.Extra) == 0 && len(r.Unsupported) == 0
}

// summary is one line naming what kept r from being verified.
func (r Result) summary() string {
	var parts []string
	if r.TrustFailure != "" {
		parts = append(parts, "signature not trusted")
	}
	if r.ManifestFailure != "" {
		parts = append(parts, "signed manifest unusable")
	}
	count := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	count(len(r.Changed), "changed")
	count(len(r.Missing), "missing")
	count(len(r.Extra), "extra")
	count(len(r.Unsupported), "unsupported")
	return strings.Join(parts, ", ")
}
