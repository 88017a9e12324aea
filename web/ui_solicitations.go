package web

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/licensing"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/internal/tender"
	"github.com/modeltender/modeltender/policies"
)

func (s *Server) solicitationsPage(c echo.Context) error {
	d, err := s.svc.Dashboard(c.Request().Context(), userOf(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "solicitations", d.Title, d)
}

// solicitationForm is the new-solicitation or edit-draft form as the officer
// filled it in. Optional holds the optional numeric terms by input name
// (optionalTerms), as typed.
type solicitationForm struct {
	ID                                                                                 string // the draft being edited; "" for a new one
	Title, Description, RiskTier, Deadline, ExpectedMonthlyUsers, MinimumOpennessClass string
	UseCases                                                                           []string // the ticked use-case ids
	Catalogue                                                                          []licensing.UseCase
	Packs                                                                              []string // the ticked policy packs
	PackCatalogue                                                                      []policies.Pack
	LargeLanguageModel, RequireOSAID                                                   bool
	Optional                                                                           map[string]string
	Errors                                                                             fieldErrors
	Summary                                                                            string
}

// The names of the optional numeric inputs: the four weights, the three
// openness preference points and three periods in days.
var (
	weightInputs  = []string{"weight_openness", "weight_safety", "weight_price", "weight_fit"}
	pointsInputs  = []string{"points_I", "points_II", "points_III"}
	optionalTerms = append(append(slices.Clone(weightInputs), pointsInputs...), "standstill_days", "amendment_notice_days", "enquiry_period_days", "osaid_preference_points")
)

// Field is one optional input for the shared "input" template. Errors on the
// weights and points belong to their fieldset, not to each input.
func (f solicitationForm) Field(name, label, hint string) fieldView {
	v := fieldView{Kind: "text", ID: name, Name: name, Label: label, Hint: hint, Value: f.Optional[name]}
	if fe, ok := f.Errors[name]; ok {
		v.Err = &fe
	}
	return v
}

// useCaseOption is one use-case checkbox.
type useCaseOption struct {
	licensing.UseCase
	Checked bool
}

// UseCaseOptions are the use-case checkboxes, ticked as the form holds them.
func (f solicitationForm) UseCaseOptions() []useCaseOption {
	var opts []useCaseOption
	for _, u := range f.Catalogue {
		opts = append(opts, useCaseOption{UseCase: u, Checked: slices.Contains(f.UseCases, u.ID)})
	}
	return opts
}

// packOption is one policy-pack checkbox.
type packOption struct {
	policies.Pack
	Checked bool
}

// DefaultText says, as a sentence, which solicitations apply the pack by default.
func (o packOption) DefaultText() string {
	if len(o.DefaultFor.Tiers) == 0 {
		return ""
	}
	tiers := make([]string, len(o.DefaultFor.Tiers))
	for i, t := range o.DefaultFor.Tiers {
		tiers[i] = string(t)
	}
	text := "Default for " + strings.Join(tiers, " and ") + " solicitations"
	if o.DefaultFor.LLMOnly {
		text += " buying a large language model"
	}
	return text + ". "
}

// PackOptions are the policy-pack checkboxes, ticked as the form holds them.
func (f solicitationForm) PackOptions() []packOption {
	var opts []packOption
	for _, p := range f.PackCatalogue {
		opts = append(opts, packOption{Pack: p, Checked: slices.Contains(f.Packs, p.ID)})
	}
	return opts
}

// PageTitle names the form's page.
func (f solicitationForm) PageTitle() string {
	if f.ID != "" {
		return "Edit draft solicitation"
	}
	return "New solicitation"
}

// readSolicitationForm reads a posted new-solicitation or edit-draft form.
func readSolicitationForm(c echo.Context, id string) solicitationForm {
	f := solicitationForm{ID: id,
		Title: c.FormValue("title"), Description: c.FormValue("description"), RiskTier: c.FormValue("risk_tier"),
		Deadline: c.FormValue("deadline"), ExpectedMonthlyUsers: strings.TrimSpace(c.FormValue("expected_monthly_users")),
		MinimumOpennessClass: c.FormValue("minimum_openness_class"), Optional: map[string]string{},
	}
	if form, err := c.FormParams(); err == nil {
		f.UseCases, f.Packs = form["use_cases"], form["packs"]
	}
	f.LargeLanguageModel, f.RequireOSAID = c.FormValue("large_language_model") == "on", c.FormValue("require_osaid") == "on"
	for _, name := range optionalTerms {
		f.Optional[name] = strings.TrimSpace(c.FormValue(name))
	}
	return f
}

// draftForm is a draft's terms as its edit form shows them.
func draftForm(sol domain.Solicitation) solicitationForm {
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	f := solicitationForm{ID: sol.ID, Title: sol.Title, Description: sol.Description, RiskTier: string(sol.RiskTier),
		Deadline: sol.Deadline.UTC().Format(utcField), ExpectedMonthlyUsers: strconv.FormatInt(sol.ExpectedMonthlyUsers, 10),
		MinimumOpennessClass: sol.MinimumOpennessClass, UseCases: sol.UseCases, Packs: sol.Packs,
		LargeLanguageModel: sol.LargeLanguageModel, RequireOSAID: sol.RequireOSAID, Optional: map[string]string{
			"weight_openness": num(sol.Weights.Openness), "weight_safety": num(sol.Weights.Safety),
			"weight_price": num(sol.Weights.Price), "weight_fit": num(sol.Weights.Fit),
			"standstill_days": num(sol.StandstillDays), "amendment_notice_days": num(sol.AmendmentNoticeDays),
			"osaid_preference_points": strconv.Itoa(sol.OSAIDPreferencePoints),
		}}
	if p := sol.OpennessPoints; p != nil {
		f.Optional["points_I"], f.Optional["points_II"], f.Optional["points_III"] = strconv.Itoa(p.ClassI), strconv.Itoa(p.ClassII), strconv.Itoa(p.ClassIII)
	}
	if d := sol.EnquiryPeriodDays; d != nil {
		f.Optional["enquiry_period_days"] = num(*d)
	}
	return f
}

// request turns the form into the API's request. A number that does not
// parse is an error here, since the request has no place to carry it.
func (f solicitationForm) request() (tender.Terms, []domain.FieldError) {
	req := tender.Terms{Title: f.Title, Description: f.Description, RiskTier: f.RiskTier,
		Deadline: f.Deadline, MinimumOpennessClass: f.MinimumOpennessClass, UseCases: f.UseCases,
		Packs: f.Packs, LargeLanguageModel: f.LargeLanguageModel, RequireOSAID: f.RequireOSAID}
	var errs []domain.FieldError
	// The form's deadline is a UTC wall-clock time; the API takes RFC 3339.
	if t, err := parseUTCField(f.Deadline); err == nil {
		req.Deadline = t.UTC().Format(time.RFC3339)
	} else if strings.TrimSpace(f.Deadline) != "" {
		errs = append(errs, domain.FieldError{Field: "deadline", Message: fmt.Sprintf("%q is not a date and time: write it as YYYY-MM-DD HH:MM in UTC on a 24-hour clock, e.g. 2027-03-01 17:00", f.Deadline)})
	}
	if n, err := strconv.ParseInt(f.ExpectedMonthlyUsers, 10, 64); err == nil {
		req.ExpectedMonthlyUsers = &n
	}
	parseFloat := func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }
	if w, set, ok := numbers(f.Optional, parseFloat, weightInputs...); !ok {
		errs = append(errs, domain.FieldError{Field: "weights", Message: "each weight must be a number such as 0.25"})
	} else if set {
		req.Weights = &domain.ScoringWeights{Openness: w[0], Safety: w[1], Price: w[2], Fit: w[3]}
	}
	if p, set, ok := numbers(f.Optional, strconv.Atoi, pointsInputs...); !ok {
		errs = append(errs, domain.FieldError{Field: "openness_preference_points", Message: "each class's points must be a whole number such as 20"})
	} else if set {
		req.OpennessPoints = &domain.PreferencePoints{ClassI: p[0], ClassII: p[1], ClassIII: p[2]}
	}
	for name, dst := range map[string]**float64{"standstill_days": &req.StandstillDays,
		"amendment_notice_days": &req.AmendmentNoticeDays, "enquiry_period_days": &req.EnquiryPeriodDays} {
		if d, set, ok := numbers(f.Optional, parseFloat, name); !ok {
			errs = append(errs, domain.FieldError{Field: name, Message: "must be a number of days such as 2 or 0.5, or left blank"})
		} else if set {
			*dst = &d[0]
		}
	}
	if p, set, ok := numbers(f.Optional, strconv.Atoi, "osaid_preference_points"); !ok {
		errs = append(errs, domain.FieldError{Field: "osaid_preference_points", Message: "must be a whole number from 0 to 100, or left blank"})
	} else if set {
		req.OSAIDPreferencePoints = &p[0]
	}
	return req, errs
}

// numbers parses the named form values. A blank one counts as zero; set is
// false when all are blank, ok false when one does not parse.
func numbers[T int | float64](values map[string]string, parse func(string) (T, error), names ...string) (nums []T, set, ok bool) {
	nums = make([]T, len(names))
	for i, name := range names {
		if values[name] == "" {
			continue
		}
		n, err := parse(values[name])
		if err != nil {
			return nil, false, false
		}
		nums[i], set = n, true
	}
	return nums, set, true
}

func (s *Server) newSolicitationPage(c echo.Context) error {
	if _, err := s.authorize(c, "solicitation:create"); err != nil {
		return err
	}
	f := solicitationForm{RiskTier: string(domain.RiskStandard), Deadline: s.svc.Now().UTC().Add(14 * 24 * time.Hour).Format(utcField),
		Catalogue: s.svc.Licenses.UseCases(), PackCatalogue: s.svc.PolicyPacks()}
	return s.render(c, http.StatusOK, "solicitation_new", f.PageTitle(), f)
}

// utcField is how the forms write a UTC time: a 24-hour clock, so that no
// browser shows it as a local 12-hour time under a "UTC" label.
const utcField = "2006-01-02 15:04"

// parseUTCField reads a form's UTC time as utcField, or with a "T" as
// datetime-local writes it.
func parseUTCField(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	t, err := time.Parse(utcField, v)
	if err != nil {
		t, err = time.Parse("2006-01-02T15:04", v)
	}
	return t, err
}

func (s *Server) createSolicitationForm(c echo.Context) error {
	return s.saveSolicitationForm(c, readSolicitationForm(c, ""), "drafted", func(t tender.Terms) (domain.Solicitation, error) {
		return s.svc.Draft(c.Request().Context(), userOf(c), t)
	})
}

func (s *Server) editDraftPage(c echo.Context) error {
	sol, err := s.svc.AgencySolicitation(c.Request().Context(), userOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if sol.Status != domain.SolicitationDraft {
		return domain.Errorf(domain.ErrConflict, "solicitation %s is %s, not a draft: only a draft can be edited; publish an amendment on its page instead", sol.ID, sol.Status)
	}
	f := draftForm(sol)
	f.Catalogue, f.PackCatalogue = s.svc.Licenses.UseCases(), s.svc.PolicyPacks()
	return s.render(c, http.StatusOK, "solicitation_new", f.PageTitle(), f)
}

func (s *Server) editDraftForm(c echo.Context) error {
	return s.saveSolicitationForm(c, readSolicitationForm(c, c.Param("id")), "edited", func(t tender.Terms) (domain.Solicitation, error) {
		return s.svc.EditDraft(c.Request().Context(), userOf(c), c.Param("id"), t)
	})
}

// saveSolicitationForm saves a new or edited draft through the API's path
// (save); a refusal shows the form again as filled in, each error by its field.
func (s *Server) saveSolicitationForm(c echo.Context, f solicitationForm, flash string, save func(tender.Terms) (domain.Solicitation, error)) error {
	req, unparsed := f.request()
	var sol domain.Solicitation
	var err error
	if len(unparsed) == 0 {
		sol, err = save(req)
	} else {
		_, rest := s.svc.Validate(req, s.svc.Now())
		err = unreadable("the solicitation is not valid; see errors", unparsed, rest)
	}
	if err != nil {
		if f.Errors, f.Summary, err = formErrors(err); err != nil {
			return err
		}
		f.Catalogue, f.PackCatalogue = s.svc.Licenses.UseCases(), s.svc.PolicyPacks()
		return s.render(c, http.StatusUnprocessableEntity, "solicitation_new", f.PageTitle(), f)
	}
	return c.Redirect(http.StatusSeeOther, "/solicitations/"+sol.ID+"?flash="+flash)
}

// solicitationView is the solicitation page, with the bid form or one
// lifecycle form as the user filled it in when it was refused. Seen is the
// version the browser first rendered, so the page can say that it changed.
type solicitationView struct {
	tender.SolicitationPage
	Bid  bidForm
	Form actionForm
	Seen string
}

// Changed reports that the solicitation moved on since the page was opened.
func (v solicitationView) Changed() bool { return v.Seen != "" && v.Seen != v.Version }

// bidForm is the bid form as the vendor filled it in. Uploaded files cannot
// be put back into a file input, so errors name the file to choose again.
type bidForm struct {
	ManifestJSON string
	// Values are the described candidate's and the price's inputs as typed
	// (ui_manifest_form.go); nil on a fresh form.
	Values  map[string]string
	Errors  fieldErrors
	Summary string
	// described maps the described candidate's rows; unread are what the
	// form could not put in the request (an amount that is not a number,
	// evidence with no file or paste to go beside).
	described describedRows
	unread    []domain.FieldError
	// files are the manifest files of this try (chosen or held); a refusal
	// holds them under UploadToken, which the form carries, and lists them
	// in Held, or says in HeldNote why they were not kept.
	files       []tender.HeldFile
	UploadToken string
	Held        []heldFile
	HeldNote    string
	// kept are the current candidates a revision keeps (keep_candidate),
	// keptChosen whether the vendor has answered yet: a fresh revise form
	// keeps every candidate.
	kept       []string
	keptChosen bool
	// Terms are the contract terms the solicitation's packs ask the vendor
	// to attest.
	Terms []policies.PackAttestation
}

// heldFile is a file a refused form kept, as the form names it.
type heldFile struct{ Name, Size string }

// Keeps reports whether the revise form keeps the candidate.
func (f bidForm) Keeps(candidateID string) bool {
	return !f.keptChosen || slices.Contains(f.kept, candidateID)
}

func (s *Server) solicitationPage(c echo.Context) error {
	return s.renderSolicitation(c, http.StatusOK, bidForm{}, actionForm{})
}

// renderSolicitation shows the solicitation page, with the bid form or one
// lifecycle form as the user filled it in when it was refused.
func (s *Server) renderSolicitation(c echo.Context, status int, bid bidForm, form actionForm) error {
	p, err := s.svc.SolicitationPage(c.Request().Context(), userOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	bid.Terms = p.Requirements.Attestations
	return s.render(c, status, "solicitation", p.Sol.Title, solicitationView{SolicitationPage: p, Bid: bid, Form: form, Seen: c.QueryParam("seen")})
}

func (s *Server) publishForm(c echo.Context) error {
	sol, err := s.svc.Publish(c.Request().Context(), userOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/solicitations/"+sol.ID+"?flash=published")
}

// submitBidForm takes a bid as uploaded manifest files and/or one pasted
// manifest, and submits it through the same path as the API. A refusal
// keeps the uploaded files for the retry; success lets them go.
func (s *Server) submitBidForm(c echo.Context) error {
	req, sources, f, err := s.readBidForm(c)
	if err != nil {
		return err
	}
	var sub tender.SubmittedBid
	if err = checkUnread(req, f); err == nil {
		sub, err = s.svc.SubmitBid(c.Request().Context(), userOf(c), c.Param("id"), req)
	}
	if err != nil {
		fields, summary, err := formErrors(err)
		if err != nil {
			return err
		}
		f.Summary, f.Errors = summary, bidFieldErrors(fields, sources, f.described)
		if err := s.holdUploads(c, &f); err != nil {
			return err
		}
		return s.renderSolicitation(c, http.StatusUnprocessableEntity, f, actionForm{})
	}
	if err := s.svc.ReleaseUploads(c.Request().Context(), sessionToken(c), f.UploadToken); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/bids/"+sub.Bid.ID+"?flash=submitted")
}

// uploadToken is how a form names its held files: randomToken's 43
// characters, base64url.
var uploadToken = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// sessionToken is the browser session's cookie, which held files are kept under.
func sessionToken(c echo.Context) string {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		return ck.Value
	}
	return ""
}

// readBidForm reads a bid or revise form (bidUploads). When the vendor
// chose no manifest file this time, the files the last refused try of the
// same form kept stand in for them, unless the vendor left them out.
func (s *Server) readBidForm(c echo.Context) (tender.BidSubmission, []string, bidForm, error) {
	token := c.FormValue("upload_token")
	if !uploadToken.MatchString(token) {
		token = randomToken()
	}
	var held []tender.HeldFile
	if c.FormValue("drop_held") == "on" {
		if err := s.svc.ReleaseUploads(c.Request().Context(), sessionToken(c), token); err != nil {
			return tender.BidSubmission{}, nil, bidForm{}, err
		}
	} else if form, err := c.MultipartForm(); err != nil || len(form.File["manifest_files"]) == 0 {
		var herr error
		if held, herr = s.svc.HeldUploads(c.Request().Context(), sessionToken(c), token); herr != nil {
			return tender.BidSubmission{}, nil, bidForm{}, herr
		}
	}
	req, sources, f, err := bidUploads(c, held)
	f.UploadToken = token
	return req, sources, f, err
}

// holdUploads keeps a refused form's manifest files for its retry and
// lists them on the form. Files over the bounds are not kept: the form
// says to choose them again.
func (s *Server) holdUploads(c echo.Context, f *bidForm) error {
	if len(f.files) == 0 {
		return nil
	}
	err := s.svc.HoldUploads(c.Request().Context(), sessionToken(c), f.UploadToken, f.files)
	switch {
	case domain.KindOf(err) == domain.ErrInvalid:
		f.HeldNote = asDomainError(err).Message
		return nil
	case err != nil:
		return err
	}
	for _, h := range f.files {
		f.Held = append(f.Held, heldFile{Name: h.Name, Size: sizeText(len(h.Content))})
	}
	return nil
}

// sizeText is a file's size as a person reads it.
func sizeText(n int) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%d KB", (n+1<<9)>>10)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
}

// bidUploads reads a bid form's candidates: uploaded manifest files (or,
// when none was chosen, those held from the last try), one pasted manifest
// and/or one described in the form, with where each came from (by index)
// for errors; the evidence item given beside the files and the paste; and
// the price.
func bidUploads(c echo.Context, held []tender.HeldFile) (tender.BidSubmission, []string, bidForm, error) {
	f := bidForm{ManifestJSON: c.FormValue("manifest_json"), Values: readBidValues(c)}
	var req tender.BidSubmission
	var sources []string
	if form, err := c.MultipartForm(); err == nil {
		for _, fh := range form.File["manifest_files"] {
			b, err := readUpload(fh)
			if err != nil {
				return req, nil, f, err
			}
			f.files = append(f.files, tender.HeldFile{Name: fh.Filename, Content: b})
		}
	}
	if len(f.files) == 0 {
		f.files = held
	}
	evidence := f.evidenceItem()
	for _, h := range f.files {
		req.Candidates = append(req.Candidates, asCandidateFile(h.Content, evidence))
		sources = append(sources, "file "+h.Name)
	}
	if strings.TrimSpace(f.ManifestJSON) != "" {
		req.Candidates = append(req.Candidates, asCandidateFile([]byte(f.ManifestJSON), evidence))
		sources = append(sources, "pasted manifest")
	}
	if evidence != nil && len(req.Candidates) == 0 {
		f.unread = append(f.unread, domain.FieldError{Field: "evidence_kind",
			Message: "the evidence item goes beside an uploaded or pasted candidate: choose its file or paste it, or give a described candidate's evidence in its own rows"})
	}
	sources = f.addDescribed(&req, sources)
	if err := addSignature(c, &req); err != nil {
		return req, nil, f, err
	}
	var priceProblems []domain.FieldError
	req.Price, priceProblems = bidPrice(f.Values)
	f.unread = append(f.unread, priceProblems...)
	req.Attestations = readAttestations(c, f.Values)
	return req, sources, f, nil
}

// readAttestations reads the bid form's answers to the contract terms
// (attest_TERM, attest_TERM_document) into the bid's attestations, keeping
// what was typed in values for a refused form. Unanswered terms are left
// out: the pre-check names them.
func readAttestations(c echo.Context, values map[string]string) []domain.Attestation {
	form, err := c.FormParams()
	if err != nil {
		return nil
	}
	var atts []domain.Attestation
	for _, name := range slices.Sorted(maps.Keys(form)) {
		term, ok := strings.CutPrefix(name, "attest_")
		if !ok || strings.HasSuffix(term, "_document") {
			continue
		}
		answer, doc := strings.TrimSpace(c.FormValue(name)), strings.TrimSpace(c.FormValue(name+"_document"))
		values[name], values[name+"_document"] = answer, doc
		if answer != "" {
			atts = append(atts, domain.Attestation{Term: term, Answer: domain.AttestationAnswer(answer), Document: doc})
		}
	}
	return atts
}

// asCandidateFile hands an uploaded or pasted file to the API's bid parser as
// {"format": "auto", "content": ...}, so native JSON, Model Openness Tool
// YAML and CycloneDX (JSON or XML) are all read as the API reads them; the
// evidence item, when given, goes beside it (tender.CandidateFile).
func asCandidateFile(content []byte, evidence []domain.EvidenceItem) json.RawMessage {
	text := string(content)
	b, _ := json.Marshal(tender.CandidateFile{Format: manifest.FormatAuto, Content: &text, Evidence: evidence}) // strings only: cannot fail
	return b
}

func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("read uploaded manifest %s: %w", fh.Filename, err)
	}
	defer f.Close()
	return io.ReadAll(f)
}

var candidateIndex = regexp.MustCompile(`^candidates\[(\d+)\]\.?`)

// bidFieldErrors moves the API's per-candidate errors (candidates[i].path)
// next to the form field the candidate came from: the file input, the
// pasted-manifest box, or the described candidate's own input; and the
// price's next to the price.
func bidFieldErrors(fields fieldErrors, sources []string, described describedRows) fieldErrors {
	out := fieldErrors{}
	add := func(field, msg string) {
		if prev, ok := out[field]; ok {
			msg = prev.Message + "; " + msg
		}
		out[field] = fieldError{ID: field, Message: msg}
	}
	for _, path := range slices.Sorted(maps.Keys(fields)) {
		fe := fields[path]
		if path == "price" || strings.HasPrefix(path, "price.") {
			add(strings.ReplaceAll(path, ".", "_"), fe.Message)
			continue
		}
		if strings.HasPrefix(path, evidenceItemPrefix) {
			add(path, fe.Message)
			continue
		}
		m := candidateIndex.FindStringSubmatch(path)
		if m == nil {
			add("manifest_files", fe.Message)
			continue
		}
		i, _ := strconv.Atoi(m[1])
		source, rest := "", strings.TrimPrefix(path, m[0])
		if i < len(sources) {
			source = sources[i]
		}
		where := source
		if rest != "" {
			where += ", field " + rest
		}
		switch {
		case (source == "pasted manifest" || strings.HasPrefix(source, "file ")) && strings.HasPrefix(rest, "evidence[0]."):
			// The form's one evidence item goes beside every file and the
			// paste: its error is said once, at its input.
			if name := evidenceItemPrefix + strings.TrimPrefix(rest, "evidence[0]."); !strings.Contains(out[name].Message, fe.Message) {
				add(name, fe.Message)
			}
		case source == describedSource && described.field(rest) != describedSection:
			add(described.field(rest), fe.Message) // next to its own input: no need to say where
		case source == describedSource:
			add(describedSection, where+": "+fe.Message)
		case source == "pasted manifest":
			add("manifest_json", where+": "+fe.Message)
		case strings.HasPrefix(source, "kept candidate "):
			add("keep_candidate", where+": "+fe.Message+" (untick it, or upload its corrected manifest)")
		default:
			add("manifest_files", where+": "+fe.Message+" (choose the file again after fixing it)")
		}
	}
	return out
}
