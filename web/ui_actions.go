package web

// Pages and forms for the solicitation lifecycle after publication: Q&A,
// amendments, cancellation, the ranking and award recommendation, protests,
// and on a vendor's bid page the pre-check, revision, withdrawal,
// confirmation and clarification answers. Each form performs the same core
// action as its API endpoint (solicitationAction.perform, revise, changeBid,
// answerVendor, askVendor, declare).

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/tender"
)

// actionForm is one lifecycle form as the user filled it in, when it comes
// back with errors: Name says which form and Key which item it acts on (a
// question, a candidate, a protest), since a page holds several.
type actionForm struct {
	Name, Key string
	Values    map[string]string
	Errors    fieldErrors
	Summary   string
}

// For is the state of the named form: the refused one, or an empty one.
func (f actionForm) For(name, key string) actionForm {
	if f.Name == name && f.Key == key {
		return f
	}
	return actionForm{}
}

// newActionForm reads the named fields of a posted form.
func newActionForm(c echo.Context, name, key string, fields ...string) actionForm {
	f := actionForm{Name: name, Key: key, Values: map[string]string{}}
	for _, field := range fields {
		f.Values[field] = strings.TrimSpace(c.FormValue(field))
	}
	return f
}

// refuse puts an action's error on its form: field errors next to their
// fields (ids made unique with the form's key), anything the user can act on
// as the form's summary. Errors the user cannot fix on the form go to the
// error page.
func (f *actionForm) refuse(err error) error {
	de := asDomainError(err)
	switch de.Kind {
	case domain.ErrInternal, domain.ErrUnavailable, domain.ErrUnauthenticated:
		return err
	}
	fields, _, _ := formErrors(&domain.Error{Kind: domain.ErrInvalid, Message: de.Message, Fields: de.Fields})
	for name, fe := range fields {
		if f.Key != "" {
			fe.ID += "-" + f.Key
		}
		fields[name] = fe
	}
	f.Errors, f.Summary = fields, de.Message
	return nil
}

// solicitationAnchors are where on the solicitation page each form lives,
// so a redirect or a refused form lands the user back at it.
var solicitationAnchors = map[string]string{
	"ask": "questions", "answer": "questions", "amend": "amend", "cancel": "cancel",
	"recommend": "ranking", "fit": "ranking", "protest": "protests", "resolve": "protests",
}

// performOnPage performs a lifecycle action from the solicitation page:
// success goes back to the page with a notice, a refusal shows the page
// again with the form as filled in and its errors.
func (s *Server) performOnPage(c echo.Context, form actionForm, flash string, perform func(ctx context.Context, u domain.User) error) error {
	if err := perform(c.Request().Context(), userOf(c)); err != nil {
		if err := form.refuse(err); err != nil {
			return err
		}
		return s.renderSolicitation(c, http.StatusUnprocessableEntity, bidForm{}, form)
	}
	return c.Redirect(http.StatusSeeOther, "/solicitations/"+c.Param("id")+"?flash="+flash+"#"+solicitationAnchors[form.Name])
}

func (s *Server) askForm(c echo.Context) error {
	f := newActionForm(c, "ask", "", "question")
	return s.performOnPage(c, f, "asked", func(ctx context.Context, u domain.User) error {
		_, err := s.svc.Ask(ctx, u, c.Param("id"), f.Values["question"])
		return err
	})
}

func (s *Server) answerForm(c echo.Context) error {
	f := newActionForm(c, "answer", c.Param("qid"), "answer")
	return s.performOnPage(c, f, "answered", func(ctx context.Context, u domain.User) error {
		_, err := s.svc.Answer(ctx, u, c.Param("id"), c.Param("qid"), f.Values["answer"])
		return err
	})
}

func (s *Server) amendForm(c echo.Context) error {
	f := newActionForm(c, "amend", "", "description", "new_deadline", "adopt_current_revision")
	a := tender.Amendment{Description: f.Values["description"], NewDeadline: f.Values["new_deadline"],
		AdoptCurrentRevision: f.Values["adopt_current_revision"] == "on"}
	// The form's deadline is a UTC wall-clock time; the action takes RFC 3339.
	if t, err := parseUTCField(a.NewDeadline); err == nil {
		a.NewDeadline = t.UTC().Format(time.RFC3339)
	}
	return s.performOnPage(c, f, "amended", func(ctx context.Context, u domain.User) error {
		_, err := s.svc.Amend(ctx, u, c.Param("id"), a)
		return err
	})
}

func (s *Server) cancelForm(c echo.Context) error {
	f := newActionForm(c, "cancel", "", "reason")
	return s.performOnPage(c, f, "cancelled", func(ctx context.Context, u domain.User) error {
		_, err := s.svc.Cancel(ctx, u, c.Param("id"), f.Values["reason"])
		return err
	})
}

func (s *Server) recommendForm(c echo.Context) error {
	f := newActionForm(c, "recommend", c.FormValue("candidate_id"), "candidate_id", "rationale")
	return s.performOnPage(c, f, "recommended", func(ctx context.Context, u domain.User) error {
		_, err := s.svc.RecommendAward(ctx, u, c.Param("id"), tender.Recommendation{CandidateID: f.Values["candidate_id"], Rationale: f.Values["rationale"]})
		return err
	})
}

// fitForm records the officer's fit score of one qualified candidate, as
// the API's fit action does; a score that is not a number is refused here,
// the range and the note by the workflow.
func (s *Server) fitForm(c echo.Context) error {
	f := newActionForm(c, "fit", c.FormValue("candidate_id"), "candidate_id", "score", "note")
	fit := tender.FitScore{CandidateID: f.Values["candidate_id"], Note: f.Values["note"]}
	if v := f.Values["score"]; v != "" {
		score, err := strconv.ParseFloat(v, 64)
		if err != nil {
			if err := f.refuse(domain.InvalidFields("the fit score is not a number",
				[]domain.FieldError{{Field: "score", Message: "give a number from 0 to 100, e.g. 75"}})); err != nil {
				return err
			}
			return s.renderSolicitation(c, http.StatusUnprocessableEntity, bidForm{}, f)
		}
		fit.Score = &score
	}
	return s.performOnPage(c, f, "fit-scored", func(ctx context.Context, u domain.User) error {
		_, err := s.svc.ScoreFit(ctx, u, c.Param("id"), fit)
		return err
	})
}

func (s *Server) protestForm(c echo.Context) error {
	f := newActionForm(c, "protest", "", "grounds")
	return s.performOnPage(c, f, "protested", func(ctx context.Context, u domain.User) error {
		_, err := s.svc.Protest(ctx, u, c.Param("id"), f.Values["grounds"])
		return err
	})
}

func (s *Server) resolveForm(c echo.Context) error {
	f := newActionForm(c, "resolve", c.Param("pid"), "outcome", "decision")
	return s.performOnPage(c, f, "protest-decided", func(ctx context.Context, u domain.User) error {
		_, err := s.svc.DecideProtest(ctx, u, c.Param("id"), c.Param("pid"), tender.ProtestDecision{Outcome: f.Values["outcome"], Decision: f.Values["decision"]})
		return err
	})
}

// ---- the bid page -------------------------------------------------------------

// bidView is a bid's page with the revise form or one of its forms as the
// vendor filled it in when it was refused.
type bidView struct {
	tender.BidPage
	Revise bidForm
	Form   actionForm
}

func (s *Server) bidPage(c echo.Context) error {
	return s.renderBid(c, http.StatusOK, bidForm{}, actionForm{})
}

// renderBid shows a vendor its bid: each candidate's pipeline, findings with
// their fixes, and the outcome. The agency sees it after close. An htmx
// refresh gets only the pipelines.
func (s *Server) renderBid(c echo.Context, status int, revise bidForm, form actionForm) error {
	p, err := s.svc.BidPage(c.Request().Context(), userOf(c), c.Param("id"), c.Request().Header.Get("HX-Request") == "true")
	if err != nil {
		return err
	}
	v := bidView{BidPage: p, Revise: revise, Form: form}
	v.Revise.Terms = p.Requirements.Attestations
	if v.Revise.Values == nil { // a revision keeps the bid's price unless the vendor changes it
		v.Revise.Values = priceValues(p.Bid.Price)
	}
	return s.render(c, status, "bid", "Bid on "+p.Sol.Title, v)
}

// bidRedirect goes back to the bid page with a notice, at the part that changed.
func bidRedirect(c echo.Context, flash, anchor string) error {
	return c.Redirect(http.StatusSeeOther, "/bids/"+c.Param("id")+"?flash="+flash+"#"+anchor)
}

// reviseForm revises the bid: the current candidates the vendor keeps, as
// they stand, and the newly uploaded, pasted or described ones, with the
// price as now given. It goes through the API's path like a JSON revision.
func (s *Server) reviseForm(c echo.Context) error {
	u := userOf(c)
	req, sources, f, err := s.readBidForm(c)
	if err != nil {
		return err
	}
	if err := keepCandidates(c, &req, &f); err != nil {
		return err
	}
	if len(req.Candidates) == 0 && len(req.Keep) == 0 {
		f.Errors = fieldErrors{"manifest_files": {ID: "manifest_files", Message: "keep a current candidate, or choose a manifest file, paste a manifest or describe a candidate in the form, for the revised bid"}}
		f.Summary = "the revision has no candidates"
		return s.renderBid(c, http.StatusUnprocessableEntity, f, actionForm{})
	}
	if err = checkUnread(req, f); err == nil {
		_, err = s.svc.Revise(c.Request().Context(), u, c.Param("id"), req)
	}
	if err != nil {
		form := actionForm{Name: "revise"}
		if err := form.refuse(err); err != nil {
			return err
		}
		f.Summary, f.Errors = form.Summary, bidFieldErrors(form.Errors, sources, f.described)
		if err := s.holdUploads(c, &f); err != nil {
			return err
		}
		return s.renderBid(c, http.StatusUnprocessableEntity, f, actionForm{})
	}
	if err := s.svc.ReleaseUploads(c.Request().Context(), sessionToken(c), f.UploadToken); err != nil {
		return err
	}
	return bidRedirect(c, "revised", "precheck")
}

// keepCandidates reads which current candidates the vendor ticked to keep;
// the service keeps them as stored.
func keepCandidates(c echo.Context, req *tender.BidSubmission, f *bidForm) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	f.kept, f.keptChosen = form["keep_candidate"], true
	req.Keep = f.kept
	return nil
}

func (s *Server) withdrawForm(c echo.Context) error {
	return s.changeBidForm(c, s.svc.Withdraw, "withdrawn")
}

func (s *Server) confirmForm(c echo.Context) error {
	return s.changeBidForm(c, s.svc.Confirm, "confirmed")
}

func (s *Server) changeBidForm(c echo.Context, change func(context.Context, domain.User, string) (domain.Bid, error), flash string) error {
	if _, err := change(c.Request().Context(), userOf(c), c.Param("id")); err != nil {
		form := actionForm{Name: flash}
		if err := form.refuse(err); err != nil {
			return err
		}
		return s.renderBid(c, http.StatusUnprocessableEntity, bidForm{}, form)
	}
	return bidRedirect(c, flash, "changes")
}

// answerClarificationForm answers a reviewer's question, with an amended
// manifest when the vendor uploads one, read as a bid's files are (native
// JSON, MOF model YAML or CycloneDX).
func (s *Server) answerClarificationForm(c echo.Context) error {
	form := newActionForm(c, "clarify", c.Param("cid"), "answer")
	var amended json.RawMessage
	if fh, err := c.FormFile("manifest"); err == nil && fh.Size > 0 {
		content, err := readUpload(fh)
		if err != nil {
			return err
		}
		amended = asCandidateFile(content, nil)
	}
	// From this bid's page, so that a refusal shows the page.
	a := tender.ClarificationAnswer{Answer: form.Values["answer"], Manifest: amended, BidID: c.Param("id")}
	if _, err := s.svc.AnswerClarification(c.Request().Context(), userOf(c), form.Key, a); err != nil {
		if domain.KindOf(err) == domain.ErrNotFound {
			return err // not a clarification of this bid: the page has no form for it
		}
		if err := form.refuse(err); err != nil {
			return err
		}
		form.Errors = manifestErrors(form.Errors, form.Key)
		return s.renderBid(c, http.StatusUnprocessableEntity, bidForm{}, form)
	}
	return bidRedirect(c, "clarified", "clarifications")
}

// manifestErrors gathers the errors in an uploaded manifest (field manifest
// and manifest.*) next to the file input, which cannot keep the file.
func manifestErrors(fields fieldErrors, key string) fieldErrors {
	var msgs []string
	for name, fe := range fields {
		switch {
		case name == "manifest":
			msgs = append(msgs, fe.Message)
		case strings.HasPrefix(name, "manifest."):
			msgs = append(msgs, strings.TrimPrefix(name, "manifest.")+": "+fe.Message)
		default:
			continue
		}
		delete(fields, name)
	}
	if len(msgs) > 0 {
		slices.Sort(msgs)
		fields["manifest"] = fieldError{ID: "manifest-" + key, Message: strings.Join(msgs, "; ") + " (choose the file again after fixing it)"}
	}
	return fields
}
