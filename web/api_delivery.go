package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/inputguard"
	"github.com/modeltender/modeltender/internal/tender"
)

// checkDelivery is POST /api/v1/awards/:id/delivery: the officer's delivery
// check, answered 200 whether the delivery matches or not (a mismatch is a
// result, with the task it opened).
func (s *Server) checkDelivery(c echo.Context) error {
	var d tender.DeliveryCheck
	// Its strings are held to the text rules only; the service bounds the
	// typed fields (tender.DeliveryCheck), and internal/artifact the
	// signature bundle's and trusted root's long base64 members.
	if err := decodeJSONChecked(c, &d, inputguard.CheckJSONText); err != nil {
		return err
	}
	res, err := s.svc.CheckDelivery(c.Request().Context(), userOf(c), c.Param("id"), d)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
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
