package web

import (
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/inputguard"
	"github.com/modeltender/modeltender/internal/tender"
)

// Bounds of the delivery check's typed fields: a PEM public key or a short
// certificate chain, and the paths a model leaves out.
const (
	maxPEMChars    = 64 << 10
	maxIgnorePaths = 1_000
)

// checkDelivery is POST /api/v1/awards/:id/delivery: the officer's delivery
// check, answered 200 whether the delivery matches or not (a mismatch is a
// result, with the task it opened).
func (s *Server) checkDelivery(c echo.Context) error {
	var d tender.DeliveryCheck
	if err := decodeDelivery(c, &d); err != nil {
		return err
	}
	res, err := s.svc.CheckDelivery(c.Request().Context(), userOf(c), c.Param("id"), d)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// decodeDelivery reads a delivery check as decodeJSON reads other bodies,
// but holds its strings to the text rules only: a signature bundle's and a
// trusted root's base64 members run far past any field length, and
// internal/artifact parses both as hostile input with its own bounds. The
// fields people type are held to their lengths here.
func decodeDelivery(c echo.Context, d *tender.DeliveryCheck) error {
	if err := decodeJSONChecked(c, d, inputguard.CheckJSONText); err != nil {
		return err
	}
	var fields []domain.FieldError
	limit := func(name, v string, max int) {
		if n := utf8.RuneCountInString(v); n > max {
			fields = append(fields, domain.FieldError{Field: name, Message: fmt.Sprintf("is %d characters long; at most %d are accepted", n, max)})
		}
	}
	limit("public_key", d.PublicKey, maxPEMChars)
	limit("certificate_chain", d.CertificateChain, maxPEMChars)
	limit("identity", d.Identity, inputguard.DefaultMaxLength)
	limit("issuer", d.Issuer, inputguard.DefaultMaxLength)
	for i, p := range d.IgnorePaths {
		limit(fmt.Sprintf("ignore_paths[%d]", i), p, inputguard.DefaultMaxLength)
	}
	if len(d.IgnorePaths) > maxIgnorePaths {
		fields = append(fields, domain.FieldError{Field: "ignore_paths", Message: fmt.Sprintf("lists %d paths; at most %d are accepted", len(d.IgnorePaths), maxIgnorePaths)})
	}
	if len(fields) > 0 {
		return inputguard.InvalidText(fields)
	}
	return nil
}

// notifyChange is POST /api/v1/awards/:id/notices: the awarded vendor's
// notice of a changed model, answered 202 as the re-check starts.
func (s *Server) notifyChange(c echo.Context, u domain.User, n tender.ChangeNotice) (contract.ChangeNotice, error) {
	return s.svc.NotifyChange(c.Request().Context(), u, c.Param("id"), n)
}

// reportOutput is POST /api/v1/awards/:id/reports: the agency's report of a
// violating output of the awarded model, answered 202 as the review starts.
func (s *Server) reportOutput(c echo.Context, u domain.User, r tender.OutputReport) (contract.ChangeNotice, error) {
	return s.svc.ReportOutput(c.Request().Context(), u, c.Param("id"), r)
}
