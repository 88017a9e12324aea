package web

// Forms after an award: the awarded vendor's notice of a changed model, on
// its bid page (tender.NotifyChange), and the agency's report of a
// violating output, on the award's delivery page (tender.ReportOutput).

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/tender"
)

// notifyForm sends the vendor's change notice for the award on its bid; the
// bid page then says that the re-check runs under the frozen revision.
func (s *Server) notifyForm(c echo.Context) error {
	f := newActionForm(c, "notify", "", "award_id", "version", "weights_digest", "files", "description")
	n := tender.ChangeNotice{Version: f.Values["version"], WeightsDigest: f.Values["weights_digest"], Description: f.Values["description"]}
	var unreadableFiles []domain.FieldError
	if list := f.Values["files"]; list != "" {
		if err := json.Unmarshal([]byte(list), &n.Files); err != nil {
			unreadableFiles = append(unreadableFiles, domain.FieldError{Field: "files",
				Message: "is not a digest list: paste what `modeltender artifact digest MODEL_DIR` prints, each file's path and its SHA-256"})
		}
	}
	// The owner check comes first, so that a refusal shows this bid's page.
	if _, err := s.svc.OwnBid(c.Request().Context(), userOf(c), c.Param("id")); err != nil {
		return err
	}
	var err error
	if len(unreadableFiles) > 0 {
		// Say what else is wrong too, so the vendor fixes everything at once;
		// the typed list counts as naming a change.
		n.Files = map[string]string{"": ""}
		err = unreadable("the notice was not sent; see errors", unreadableFiles, tender.CheckNotice(n))
	} else {
		_, err = s.svc.NotifyChange(c.Request().Context(), userOf(c), f.Values["award_id"], n)
	}
	if err != nil {
		if err := f.refuse(err); err != nil {
			return err
		}
		return s.renderBid(c, http.StatusUnprocessableEntity, bidForm{}, f)
	}
	return bidRedirect(c, "change-notified", "award")
}

// reportForm sends the agency's report of a violating output of the awarded
// model; the delivery page then lists the review task it opens.
func (s *Server) reportForm(c echo.Context) error {
	f := newActionForm(c, "report", "", "output", "occurred_at", "prompt", "severity", "description")
	r := tender.OutputReport{Output: f.Values["output"], Prompt: f.Values["prompt"], Severity: f.Values["severity"],
		Description: f.Values["description"], OccurredAt: f.Values["occurred_at"]}
	// The form's time is a UTC wall-clock time, as the deadline's; a day alone stays a day.
	if t, err := parseUTCField(r.OccurredAt); err == nil {
		r.OccurredAt = t.UTC().Format(time.RFC3339)
	}
	if _, err := s.svc.ReportOutput(c.Request().Context(), userOf(c), c.Param("id"), r); err != nil {
		if err := f.refuse(err); err != nil {
			return err
		}
		return s.renderDelivery(c, http.StatusUnprocessableEntity, f, nil)
	}
	return c.Redirect(http.StatusSeeOther, "/awards/"+c.Param("id")+"/delivery?flash=output-reported#award-tasks")
}
