package web

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/tender"
)

// signingView is the vendor's signing identities page.
type signingView struct {
	Identities []domain.SigningIdentity
	Form       actionForm
}

func (s *Server) signingPage(c echo.Context) error {
	return s.renderSigning(c, http.StatusOK, actionForm{})
}

func (s *Server) renderSigning(c echo.Context, status int, form actionForm) error {
	u := userOf(c)
	ids, err := s.svc.SigningIdentities(c.Request().Context(), u, u.OrgID)
	if err != nil {
		return err
	}
	return s.render(c, status, "signing", "Signing identities", signingView{Identities: ids, Form: form})
}

// registerSigningForm registers an identity as POST /api/v1/signing-identities does.
func (s *Server) registerSigningForm(c echo.Context) error {
	f := newActionForm(c, "register", "", "name", "method", "public_key", "certificate_chain", "identity", "issuer")
	_, err := s.svc.RegisterSigningIdentity(c.Request().Context(), userOf(c), tender.SigningIdentityRequest{
		Name: f.Values["name"], Method: domain.SigningMethod(f.Values["method"]), PublicKey: f.Values["public_key"],
		CertificateChain: f.Values["certificate_chain"], Identity: f.Values["identity"], Issuer: f.Values["issuer"]})
	if err != nil {
		if err := f.refuse(err); err != nil {
			return err
		}
		return s.renderSigning(c, http.StatusUnprocessableEntity, f)
	}
	return c.Redirect(http.StatusSeeOther, "/signing-identities?flash=identity-registered")
}

func (s *Server) revokeSigningForm(c echo.Context) error {
	if err := s.svc.RevokeSigningIdentity(c.Request().Context(), userOf(c), c.Param("id")); err != nil {
		f := actionForm{Name: "revoke"}
		if err := f.refuse(err); err != nil {
			return err
		}
		return s.renderSigning(c, http.StatusUnprocessableEntity, f)
	}
	return c.Redirect(http.StatusSeeOther, "/signing-identities?flash=identity-revoked")
}

// addSignature joins the bid form's uploaded model signature (model.sig) to
// the form's one candidate: beside a candidate file, or into a described
// manifest's weights. A form with several candidates cannot say which
// model it signs.
func addSignature(c echo.Context, req *tender.BidSubmission) error {
	// Only a multipart form can carry the file; a plain one has no signature.
	if form, err := c.MultipartForm(); err != nil || len(form.File["model_signature"]) == 0 {
		return nil
	}
	sig, err := upload(c, "model_signature")
	if err != nil || sig == "" {
		return err
	}
	if len(req.Candidates) != 1 {
		return domain.InvalidFields("the model signature cannot be matched to a candidate", []domain.FieldError{{Field: "model_signature",
			Message: fmt.Sprintf("the form carries %d candidates and one model.sig signs one model: submit the signed candidate alone, or put each signature in its manifest's weights.signature", len(req.Candidates))}})
	}
	var entry map[string]json.RawMessage
	if err := json.Unmarshal(req.Candidates[0], &entry); err != nil {
		return domain.InvalidFields("the candidate cannot be read", []domain.FieldError{{Field: "model_signature", Message: err.Error()}})
	}
	quoted, _ := json.Marshal(sig) // a string: cannot fail
	if _, isFile := entry["format"]; isFile {
		entry["signature"] = quoted
	} else {
		var weights map[string]json.RawMessage
		if err := json.Unmarshal(entry["weights"], &weights); err != nil || weights == nil {
			weights = map[string]json.RawMessage{}
		}
		weights["signature"] = quoted
		entry["weights"], _ = json.Marshal(weights)
	}
	req.Candidates[0], err = json.Marshal(entry)
	return err
}
