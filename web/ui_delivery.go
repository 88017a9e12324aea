package web

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/tender"
)

// deliveryView is the officer's delivery check of an award: what it pins,
// the form, and the result of the last check.
type deliveryView struct {
	tender.DeliveryPage
	Form   actionForm
	Result *tender.DeliveryResult
	// Watch: a report was just sent, so the tasks section refreshes
	// itself until the task it opens is there.
	Watch bool
}

func (s *Server) deliveryPage(c echo.Context) error {
	return s.renderDelivery(c, http.StatusOK, actionForm{}, nil)
}

func (s *Server) renderDelivery(c echo.Context, status int, form actionForm, res *tender.DeliveryResult) error {
	p, err := s.svc.DeliveryPage(c.Request().Context(), userOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return s.render(c, status, "delivery", "Delivery check of "+p.Candidate, deliveryView{DeliveryPage: p, Form: form, Result: res,
		Watch: c.QueryParam("watch") == "1" || c.QueryParam("flash") == "output-reported"})
}

// deliveryForm runs the same check as POST /api/v1/awards/{id}/delivery on
// what the officer uploaded or pasted, and shows the result on the page.
func (s *Server) deliveryForm(c echo.Context) error {
	f := newActionForm(c, "delivery", "", "digests_content")
	d, err := readDeliveryForm(c, f.Values["digests_content"])
	var res tender.DeliveryResult
	if err == nil {
		res, err = s.svc.CheckDelivery(c.Request().Context(), userOf(c), c.Param("id"), d)
	}
	if err != nil {
		if err := f.refuse(err); err != nil {
			return err
		}
		return s.renderDelivery(c, http.StatusUnprocessableEntity, f, nil)
	}
	return s.renderDelivery(c, http.StatusOK, actionForm{}, &res)
}

// readDeliveryForm reads the delivery form: the digest list uploaded (the
// JSON `modeltender artifact digest` prints) or pasted, and optionally the
// model.sig with the vendor's public key or certificate chain, as files.
func readDeliveryForm(c echo.Context, pasted string) (tender.DeliveryCheck, error) {
	var d tender.DeliveryCheck
	list, err := upload(c, "files")
	if err != nil {
		return d, err
	}
	if list == "" {
		list = pasted
	}
	if strings.TrimSpace(list) != "" {
		if err := json.Unmarshal([]byte(list), &d.Files); err != nil {
			return d, domain.InvalidFields("the digest list cannot be read", []domain.FieldError{{Field: "files",
				Message: "is not a digest list: a JSON object of slash path to SHA-256 hex, as `modeltender artifact digest MODEL_DIR` prints it"}})
		}
	}
	sig, err := upload(c, "signature")
	if err != nil {
		return d, err
	}
	if sig != "" {
		d.Signature = json.RawMessage(sig)
	}
	if d.PublicKey, err = upload(c, "public_key"); err != nil {
		return d, err
	}
	d.CertificateChain, err = upload(c, "certificate_chain")
	return d, err
}

// upload is the text of the file posted as name, "" when none was chosen.
// guardInput has held it to the text rules; the body limit bounds it.
func upload(c echo.Context, name string) (string, error) {
	fh, err := c.FormFile(name)
	if err == http.ErrMissingFile {
		return "", nil
	}
	if err != nil {
		return "", domain.InvalidFields("the form cannot be read", []domain.FieldError{{Field: name, Message: "send the form as multipart/form-data: " + err.Error()}})
	}
	f, err := fh.Open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	return string(b), err
}
