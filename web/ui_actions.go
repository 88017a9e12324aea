package web

// Pages and forms for the solicitation lifecycle after publication: Q&A,
// amendments, cancellation, the ranking and award recommendation, protests,
// and on a vendor's bid page the pre-check, revision, withdrawal,
// confirmation and clarification answers. Each form performs the same core
// action as its API endpoint (solicitationAction.perform, revise, changeBid,
// answerVendor, askVendor, declare).

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
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

// ---- the solicitation page ----------------------------------------------------

// lifecycleView is what the solicitation page shows of the lifecycle and
// which of its forms the viewer may use.
type lifecycleView struct {
	Questions              []domain.Question
	Amendments             []domain.Amendment
	Ranking                []rankingRow
	Awards                 []awardRow
	Protests               []domain.Protest
	CanAsk, CanAnswer      bool
	CanAmend, CanCancel    bool
	ShowRanking            bool
	CanRecommend           bool
	CanDecideProtest       bool
	CanProtest, Standstill bool
	NoticeURL              string
	Form                   actionForm
}

// rankingRow is a qualified candidate in the comparison table.
type rankingRow struct {
	domain.RankedCandidate
	candidateEvidence
	Vendor     string
	ScoreParts []scorePart
}

// scorePart is one criterion's weighted points in a candidate's total.
type scorePart struct {
	Criterion string
	Points    float64
}

// candidateEvidence is what a candidate's evaluation found, as the
// comparison table shows it: the policy stage's MOF class, openness
// preference points and safety-evidence warnings, and the license stage's
// findings by severity.
type candidateEvidence struct {
	MOFClass                              string
	OpennessPoints                        string // "" when the policy stage recorded none
	SafetyChecked                         bool
	SafetyWarnings                        int
	LicenseChecked                        bool
	LicenseDeny, LicenseWarn, LicenseInfo int
}

func newCandidateEvidence(ev store.EvaluationView) candidateEvidence {
	e := candidateEvidence{MOFClass: "not determined"}
	for _, st := range ev.Stages {
		switch st.Stage {
		case domain.StagePolicy:
			e.MOFClass = cmp.Or(mofClass(st.Detail), "not determined")
			if points, ok := st.Detail["score"].(float64); ok {
				e.OpennessPoints = strconv.FormatFloat(points, 'f', -1, 64)
			}
			e.SafetyChecked = true
			for _, f := range st.Findings {
				if strings.HasPrefix(f.Rule, "safety.") && f.Severity == domain.SeverityWarn {
					e.SafetyWarnings++
				}
			}
		case domain.StageLicense:
			e.LicenseChecked = true
			for _, f := range st.Findings {
				switch f.Severity {
				case domain.SeverityDeny:
					e.LicenseDeny++
				case domain.SeverityWarn:
					e.LicenseWarn++
				case domain.SeverityInfo:
					e.LicenseInfo++
				}
			}
		}
	}
	return e
}

type awardRow struct {
	domain.Award
	Candidate, Vendor string
	Total             float64
	Rank              int
}

// lifecycle gathers the lifecycle part of the solicitation page.
func (s *Server) lifecycle(c echo.Context, u domain.User, sol domain.Solicitation, myBids []store.BidSummary, form actionForm) (lifecycleView, error) {
	ctx := c.Request().Context()
	v := lifecycleView{Form: form, Standstill: sol.Status == domain.SolicitationStandstill}
	qs, err := s.store.Questions(ctx, sol.ID)
	if err != nil {
		return v, err
	}
	for _, q := range qs {
		v.Questions = append(v.Questions, q.Anonymised())
	}
	if v.Amendments, err = s.store.Amendments(ctx, sol.ID); err != nil {
		return v, err
	}
	officer := u.Role == domain.RoleOfficer && u.OrgID == sol.AgencyOrgID
	running := sol.Status != domain.SolicitationDraft && sol.Status != domain.SolicitationCancelled && sol.Status != domain.SolicitationAwarded
	open := sol.Status.AcceptsBids() && s.svc.Now().Before(sol.Deadline)
	v.CanAsk = u.Role == domain.RoleVendor && open
	v.CanAnswer = officer && running
	v.CanAmend = officer && open
	v.CanCancel = officer && running
	if sol.Status == domain.SolicitationAwarded {
		v.NoticeURL = "/api/v1/solicitations/" + sol.ID + "/ocds"
	}
	if !tender.Closed(sol) {
		return v, nil
	}
	if v.ShowRanking, err = s.svc.Allowed(ctx, u, "ranking:read"); err != nil {
		return v, err
	}
	if v.Ranking, err = s.rankingRows(c, sol); err != nil {
		return v, err
	}
	v.CanRecommend = officer && sol.Status == domain.SolicitationEvaluated
	awards, err := s.store.Awards(ctx, sol.ID)
	if err != nil {
		return v, err
	}
	for _, a := range awards {
		// Vendors learn of an award once the reviewers approved it.
		if u.Role == domain.RoleVendor && a.Status != domain.AwardStandstill && a.Status != domain.AwardAwarded {
			continue
		}
		v.Awards = append(v.Awards, newAwardRow(a, v.Ranking))
	}
	protests, err := s.store.Protests(ctx, sol.ID)
	if err != nil {
		return v, err
	}
	for _, p := range protests {
		if u.Role != domain.RoleVendor || p.VendorOrgID == u.OrgID {
			v.Protests = append(v.Protests, p)
		}
	}
	v.CanDecideProtest = officer
	v.CanProtest = u.Role == domain.RoleVendor && v.Standstill && len(myBids) > 0 &&
		!slices.ContainsFunc(v.Awards, func(a awardRow) bool {
			return a.Status == domain.AwardStandstill && ownsBid(myBids, a.BidID)
		}) &&
		!slices.ContainsFunc(v.Protests, func(p domain.Protest) bool { return p.Outcome == "" })
	return v, nil
}

func ownsBid(bids []store.BidSummary, id string) bool {
	return slices.ContainsFunc(bids, func(b store.BidSummary) bool { return b.ID == id })
}

func newAwardRow(a domain.Award, ranking []rankingRow) awardRow {
	row := awardRow{Award: a, Candidate: a.CandidateID}
	if i := slices.IndexFunc(ranking, func(r rankingRow) bool { return r.CandidateID == a.CandidateID }); i >= 0 {
		row.Candidate, row.Vendor, row.Total, row.Rank = ranking[i].Name, ranking[i].Vendor, ranking[i].Total, ranking[i].Rank
	}
	return row
}

// rankingRows is the comparison table of qualified candidates, best first,
// with each one's vendor and what its evaluation found.
func (s *Server) rankingRows(c echo.Context, sol domain.Solicitation) ([]rankingRow, error) {
	ctx := c.Request().Context()
	ranking, err := s.store.Ranking(ctx, sol.ID)
	if err != nil || len(ranking) == 0 {
		return nil, err
	}
	bids, err := s.store.BidsForSolicitation(ctx, sol.ID, "")
	if err != nil {
		return nil, err
	}
	vendors := map[string]string{}
	for _, b := range bids {
		vendors[b.VendorOrgID] = b.VendorName
	}
	evidence := map[string]candidateEvidence{}
	read := map[string]bool{} // bids whose evaluations are read
	for _, r := range ranking {
		if read[r.BidID] {
			continue
		}
		read[r.BidID] = true
		evals, err := s.store.EvaluationsForBid(ctx, r.BidID)
		if err != nil {
			return nil, err
		}
		for _, ev := range evals {
			evidence[ev.CandidateID] = newCandidateEvidence(ev)
		}
	}
	rows := make([]rankingRow, 0, len(ranking))
	for _, r := range ranking {
		row := rankingRow{RankedCandidate: r, Vendor: cmp.Or(vendors[r.VendorOrgID], r.VendorOrgID), candidateEvidence: evidence[r.CandidateID]}
		row.MOFClass = cmp.Or(row.MOFClass, "not determined")
		for _, criterion := range []string{"openness", "safety", "price", "fit"} {
			row.ScoreParts = append(row.ScoreParts, scorePart{Criterion: criterion, Points: r.Breakdown[criterion]})
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// mofClass is the Model Openness Framework class the policy stage recorded:
// openness_class, or the class inside the openness result; "" when neither.
func mofClass(detail map[string]any) string {
	if class, ok := detail["openness_class"].(string); ok && class != "" {
		return class
	}
	if o, ok := detail["openness"].(map[string]any); ok {
		if class, ok := o["class"].(string); ok {
			return class
		}
	}
	return ""
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
	f := newActionForm(c, "amend", "", "description", "new_deadline")
	a := tender.Amendment{Description: f.Values["description"], NewDeadline: f.Values["new_deadline"]}
	// The form's deadline is a UTC wall-clock time; the action takes RFC 3339.
	if t, err := time.Parse(datetimeLocal, a.NewDeadline); err == nil {
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

// bidView is a bid's page: its evaluations (the live part) and, for its
// vendor, the pre-check, the changes allowed before the deadline, the
// clarification requests and the award outcome.
type bidView struct {
	evaluationsView
	Bid               domain.Bid
	Vendor            bool
	Prechecks         []domain.Precheck
	Clarifications    []clarificationView
	CanChange         bool // revise or withdraw: before the deadline
	NeedsConfirmation bool
	Award             *awardOutcome
	Revise            bidForm
	Form              actionForm
}

type clarificationView struct {
	domain.Clarification
	Candidate string
	Open      bool
}

// awardOutcome tells a vendor where the award went.
type awardOutcome struct {
	Status, Candidate string
	Ours              bool
	StandstillUntil   *time.Time
	NoticeURL         string
}

func (s *Server) bidPage(c echo.Context) error {
	return s.renderBid(c, http.StatusOK, bidForm{}, actionForm{})
}

// renderBid shows a vendor its bid: each candidate's pipeline, findings with
// their fixes, and the outcome. The agency sees it after close.
func (s *Server) renderBid(c echo.Context, status int, revise bidForm, form actionForm) error {
	u := userOf(c)
	ctx := c.Request().Context()
	b, err := s.svc.Bid(ctx, u, c.Param("id"))
	if err != nil {
		return err
	}
	sol, err := s.store.Solicitation(ctx, b.SolicitationID)
	if err != nil {
		return err
	}
	cands, err := s.candidateViews(ctx, b, "")
	if err != nil {
		return err
	}
	v := bidView{evaluationsView: evaluationsView{Sol: sol, BidID: b.ID, Candidates: cands, Live: live(cands)},
		Bid: b, Vendor: u.Role == domain.RoleVendor, Revise: revise, Form: form}
	if v.Revise.Values == nil { // a revision keeps the bid's price unless the vendor changes it
		v.Revise.Values = priceValues(b.Price)
	}
	if v.Vendor && c.Request().Header.Get("HX-Request") != "true" {
		if err := s.vendorBidView(c, &v); err != nil {
			return err
		}
	}
	return s.render(c, status, "bid", "Bid on "+sol.Title, v)
}

func (s *Server) vendorBidView(c echo.Context, v *bidView) error {
	ctx := c.Request().Context()
	open := v.Sol.Status.AcceptsBids() && s.svc.Now().Before(v.Sol.Deadline)
	active := v.Bid.Status != domain.BidWithdrawn && v.Bid.Status != domain.BidExcluded
	v.CanChange = open && active
	v.NeedsConfirmation = open && v.Bid.Status == domain.BidNeedsConfirmation
	var err error
	if v.Prechecks, err = s.store.Prechecks(ctx, v.Bid.ID); err != nil {
		return err
	}
	cls, err := s.store.Clarifications(ctx, v.Bid.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, cand := range v.Bid.Candidates {
		names[cand.ID] = cand.Name
	}
	for _, cl := range cls {
		v.Clarifications = append(v.Clarifications, clarificationView{Clarification: cl, Candidate: cmp.Or(names[cl.CandidateID], cl.CandidateID),
			Open: cl.AnsweredAt == nil && cl.ExpiredAt == nil})
	}
	if !tender.Closed(v.Sol) {
		return nil
	}
	awards, err := s.store.Awards(ctx, v.Sol.ID)
	if err != nil {
		return err
	}
	for _, a := range awards {
		if a.Status != domain.AwardStandstill && a.Status != domain.AwardAwarded {
			continue
		}
		out := &awardOutcome{Status: a.Status, Ours: a.BidID == v.Bid.ID, StandstillUntil: a.StandstillUntil}
		// The winning candidate's name is public once the award stands (it is
		// in the notice); during the standstill losing vendors need it to protest.
		out.Candidate = a.CandidateID
		if ranking, err := s.store.Ranking(ctx, v.Sol.ID); err == nil {
			if i := slices.IndexFunc(ranking, func(r domain.RankedCandidate) bool { return r.CandidateID == a.CandidateID }); i >= 0 {
				out.Candidate = ranking[i].Name
			}
		}
		if a.Status == domain.AwardAwarded {
			out.NoticeURL = "/api/v1/solicitations/" + v.Sol.ID + "/ocds"
		}
		v.Award = out
	}
	return nil
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
	req, sources, f, err := bidUploads(c)
	if err != nil {
		return err
	}
	if err := s.keepCandidates(c, u, &req, &sources, &f); err != nil {
		return err
	}
	if len(req.Candidates) == 0 {
		f.Errors = fieldErrors{"manifest_files": {ID: "manifest_files", Message: "keep a current candidate, or choose a manifest file, paste a manifest or describe a candidate in the form, for the revised bid"}}
		f.Summary = "the revision has no candidates"
		return s.renderBid(c, http.StatusUnprocessableEntity, f, actionForm{})
	}
	if err = checkPrice(req, f); err == nil {
		_, err = s.svc.Revise(c.Request().Context(), u, c.Param("id"), req)
	}
	if err != nil {
		form := actionForm{Name: "revise"}
		if err := form.refuse(err); err != nil {
			return err
		}
		f.Summary, f.Errors = form.Summary, bidFieldErrors(form.Errors, sources, f.described)
		return s.renderBid(c, http.StatusUnprocessableEntity, f, actionForm{})
	}
	return bidRedirect(c, "revised", "precheck")
}

// keepCandidates puts the current candidates the vendor ticked to keep
// first in the revision, each as the native manifest it now has.
func (s *Server) keepCandidates(c echo.Context, u domain.User, req *tender.BidSubmission, sources *[]string, f *bidForm) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	f.kept, f.keptChosen = form["keep_candidate"], true
	if len(f.kept) == 0 {
		return nil
	}
	b, err := s.svc.OwnBid(c.Request().Context(), u, c.Param("id"))
	if err != nil {
		return err
	}
	var kept []json.RawMessage
	var keptSources []string
	for _, id := range f.kept {
		i := slices.IndexFunc(b.Candidates, func(cand domain.Candidate) bool { return cand.ID == id })
		if i < 0 {
			return domain.Errorf(domain.ErrInvalid, "candidate %s is not one of bid %s's current candidates: reload the bid page and revise again", id, b.ID)
		}
		doc, err := json.Marshal(b.Candidates[i].Manifest)
		if err != nil {
			return fmt.Errorf("keep candidate %s: %w", id, err)
		}
		kept = append(kept, doc)
		keptSources = append(keptSources, "kept candidate "+b.Candidates[i].Name)
	}
	req.Candidates = append(kept, req.Candidates...)
	*sources = append(keptSources, *sources...)
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
	u := userOf(c)
	ctx := c.Request().Context()
	form := newActionForm(c, "clarify", c.Param("cid"), "answer")
	var amended json.RawMessage
	if fh, err := c.FormFile("manifest"); err == nil && fh.Size > 0 {
		content, err := readUpload(fh)
		if err != nil {
			return err
		}
		amended = asCandidateFile(content)
	}
	// The clarification must be on this bid, so that a refusal shows its page.
	b, err := s.svc.OwnBid(ctx, u, c.Param("id"))
	if err != nil {
		return err
	}
	cl, err := s.store.Clarification(ctx, c.Param("cid"))
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(b.Candidates, func(cand domain.Candidate) bool { return cand.ID == cl.CandidateID }) {
		return domain.Errorf(domain.ErrNotFound, "no clarification %s on bid %s", cl.ID, b.ID)
	}
	if _, err := s.svc.AnswerClarification(ctx, u, cl.ID, form.Values["answer"], amended); err != nil {
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
