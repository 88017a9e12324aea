package tender

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/modeltender/modeltender/internal/check"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/internal/visibility"
)

// Signing identities: a vendor organisation registers the identities it
// signs its models with (OpenSSF Model Signing), and a candidate's model
// signature counts in the decision only when one of them verifies it
// (internal/check). The identities are bid content: the vendor's own users
// see them, agency staff only once one of the vendor's bids is opened.

// SigningIdentityRequest registers one identity: the body of POST
// /api/v1/signing-identities and of the vendor's form.
type SigningIdentityRequest struct {
	Name             string               `json:"name"`
	Method           domain.SigningMethod `json:"method"`
	PublicKey        string               `json:"public_key,omitempty"`
	CertificateChain string               `json:"certificate_chain,omitempty"`
	Identity         string               `json:"identity,omitempty"`
	Issuer           string               `json:"issuer,omitempty"`
}

const maxIdentityName = 200

// RegisterSigningIdentity registers a signing identity for the vendor
// user's organisation, after checking that its key, certificate root or
// keyless identity can verify signatures; each problem is a field error
// that says how to fix it.
func (s *Service) RegisterSigningIdentity(ctx context.Context, u domain.User, req SigningIdentityRequest) (domain.SigningIdentity, error) {
	if err := s.Authorize(ctx, u, "signing-identity:register"); err != nil {
		return domain.SigningIdentity{}, err
	}
	if u.OrgID == "" {
		return domain.SigningIdentity{}, domain.Errorf(domain.ErrForbidden, "your account belongs to no organisation: ask an admin to add it to your vendor organisation")
	}
	id := domain.SigningIdentity{ID: domain.NewID("sid"), OrgID: u.OrgID, Name: strings.TrimSpace(req.Name), Method: req.Method,
		PublicKey: strings.TrimSpace(req.PublicKey), CertificateChain: strings.TrimSpace(req.CertificateChain),
		Identity: strings.TrimSpace(req.Identity), Issuer: strings.TrimSpace(req.Issuer), CreatedBy: u.ID, CreatedAt: s.now()}
	if errs := s.checkIdentity(&id); len(errs) > 0 {
		return domain.SigningIdentity{}, domain.InvalidFields("the signing identity was not registered: fix the fields named and send it again", errs)
	}
	if err := s.Store.RegisterSigningIdentity(ctx, id); err != nil {
		return domain.SigningIdentity{}, err
	}
	return id, nil
}

// checkIdentity names every problem of an identity to register and, when
// there is none, sets its fingerprint.
func (s *Service) checkIdentity(id *domain.SigningIdentity) []domain.FieldError {
	var errs []domain.FieldError
	add := func(field, msg string) { errs = append(errs, domain.FieldError{Field: field, Message: msg}) }
	switch n := utf8.RuneCountInString(id.Name); {
	case n == 0:
		add("name", "is required: name the identity so your team and reviewers can tell it apart, e.g. \"release signing key 2026\"")
	case n > maxIdentityName:
		add("name", fmt.Sprintf("is %d characters long; keep it to %d", n, maxIdentityName))
	}
	unused := func(field, value, method string) {
		if value != "" {
			add(field, fmt.Sprintf("is not used by the %s method: leave it empty, or choose the method it belongs to", method))
		}
	}
	switch id.Method {
	case domain.SigningKey:
		if id.PublicKey == "" {
			add("public_key", "is required for the key method: give the PEM public key the model was signed with (-----BEGIN PUBLIC KEY-----), as `model_signing sign key` used")
		}
		unused("certificate_chain", id.CertificateChain, "key")
		unused("identity", id.Identity, "key")
		unused("issuer", id.Issuer, "key")
	case domain.SigningCertificate:
		if id.CertificateChain == "" {
			add("certificate_chain", "is required for the certificate method: give the PEM of the root CA (and any intermediates) your signing certificates chain to")
		}
		unused("public_key", id.PublicKey, "certificate")
		unused("issuer", id.Issuer, "certificate")
	case domain.SigningSigstore:
		if id.Identity == "" {
			add("identity", "is required for keyless signing: give the identity in the signing certificate, the e-mail or workflow URI you signed in as")
		}
		if u, err := url.Parse(id.Issuer); err != nil || u.Scheme != "https" || u.Host == "" {
			add("issuer", "is required for keyless signing: give the OIDC issuer URL that vouched for the identity, e.g. https://accounts.google.com or https://token.actions.githubusercontent.com")
		}
		unused("public_key", id.PublicKey, "sigstore")
		unused("certificate_chain", id.CertificateChain, "sigstore")
	default:
		add("method", fmt.Sprintf("%q is not a signing method: use key (a public key), certificate (a certificate chain to your root) or sigstore (keyless)", id.Method))
	}
	if len(errs) > 0 {
		return errs
	}
	var sigstoreRoot []byte
	if s.Check != nil {
		sigstoreRoot = s.Check.SigstoreRoot
	}
	trust, err := check.IdentityTrust(*id, sigstoreRoot)
	if err != nil {
		add(materialField[id.Method], err.Error())
		return errs
	}
	id.Fingerprint = check.IdentityFingerprint(*id, trust)
	return nil
}

// materialField is the field that carries what an identity is checked by.
var materialField = map[domain.SigningMethod]string{
	domain.SigningKey: "public_key", domain.SigningCertificate: "certificate_chain", domain.SigningSigstore: "identity",
}

// RevokeSigningIdentity revokes one of the vendor user's organisation's
// identities: checks from now on do not trust it; checks already made keep
// what they found.
func (s *Service) RevokeSigningIdentity(ctx context.Context, u domain.User, identityID string) error {
	if err := s.Authorize(ctx, u, "signing-identity:revoke"); err != nil {
		return err
	}
	if u.OrgID == "" {
		return domain.Errorf(domain.ErrForbidden, "your account belongs to no organisation: ask an admin to add it to your vendor organisation")
	}
	return s.Store.RevokeSigningIdentity(ctx, u.OrgID, identityID, u.ID, s.now())
}

// staffRoles are the agency roles that may read a vendor's identities once
// its bids are opened.
var staffRoles = []domain.Role{domain.RoleOfficer, domain.RoleReviewer, domain.RoleAuditor}

// SigningIdentities lists an organisation's signing identities, revoked
// ones included, oldest first. Its own users may always read them; an
// agency's staff once one of its bids to that agency has been opened, as
// other bid content.
func (s *Service) SigningIdentities(ctx context.Context, u domain.User, orgID string) ([]domain.SigningIdentity, error) {
	if orgID == "" || u.OrgID != orgID {
		if !slices.Contains(staffRoles, u.Role) || visibility.VendorSide(u) {
			return nil, domain.Errorf(domain.ErrForbidden, "only the organisation's own users, and agency staff once its bids to their agency are opened, may read its signing identities")
		}
		opened, err := s.Store.OrganisationBidsOpened(ctx, orgID, u.OrgID)
		if err != nil {
			return nil, err
		}
		if !opened {
			return nil, domain.Errorf(domain.ErrForbidden, "organisation %s has no opened bid: its signing identities are sealed like its bids until a solicitation's deadline passes", orgID)
		}
	}
	ids, err := s.Store.SigningIdentities(ctx, orgID)
	if ids == nil {
		ids = []domain.SigningIdentity{}
	}
	return ids, err
}

// withSignature puts the model signature sent beside a candidate file into
// the candidate it describes; a file describing several models cannot
// share one signature.
func withSignature(cs []manifest.Candidate, sig, path string) ([]manifest.Candidate, error) {
	if sig == "" {
		return cs, nil
	}
	if len(cs) != 1 {
		return nil, domain.InvalidFields("a signature beside a file of several models", []domain.FieldError{{Field: path + ".signature",
			Message: fmt.Sprintf("the file describes %d models and one signature cannot sign them all: send each model as its own candidate with its own signature", len(cs))}})
	}
	if prev := cs[0].Manifest.Weights.Signature; prev != "" && prev != sig {
		return nil, domain.InvalidFields("two different signatures for one candidate", []domain.FieldError{{Field: path + ".signature",
			Message: "the manifest already carries a different weights.signature: send the model.sig once, in the manifest or beside it"}})
	}
	cs[0].Manifest.Weights.Signature = sig
	return cs, nil
}

// ModelSignature is the verdict on a candidate's model signature as the
// pages show it, read from the check's provenance finding.
type ModelSignature struct {
	Status   string // verified | invalid | untrusted
	Text     string // e.g. "signature verified"
	Identity string // the registered identity that verified it, as the finding quotes it
	Detail   string // what failed, for a signature that did not verify
}

// signatureTexts are the provenance findings a page shows as the signature's verdict.
var signatureTexts = map[string][2]string{
	"provenance.signature-verified":  {domain.SignatureVerified, "signature verified"},
	"provenance.signature-invalid":   {domain.SignatureInvalid, "signature invalid"},
	"provenance.signature-untrusted": {domain.SignatureUntrusted, "signature not by a registered identity"},
}

// SignatureOf is the signature verdict among a candidate's findings; nil
// when the candidate carries no signature or was not checked yet.
func SignatureOf(fs []domain.Finding) *ModelSignature {
	for _, f := range fs {
		if t, ok := signatureTexts[f.Rule]; ok {
			s := &ModelSignature{Status: t[0], Text: t[1], Identity: f.Evidence.Quote}
			if t[0] != domain.SignatureVerified {
				s.Detail = f.Message
			}
			return s
		}
	}
	return nil
}
