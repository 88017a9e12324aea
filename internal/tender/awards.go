package tender

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modeltender/modeltender/internal/artifact"
	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/visibility"
)

// Ranking is the qualified candidates of a closed solicitation, best first,
// with the weights that ranked them.
func (s *Service) Ranking(ctx context.Context, u domain.User, solicitationID string) (domain.Solicitation, []domain.RankedCandidate, error) {
	if err := s.Authorize(ctx, u, "ranking:read"); err != nil {
		return domain.Solicitation{}, nil, err
	}
	sol, err := s.visibleSolicitation(ctx, u, solicitationID)
	if err != nil {
		return sol, nil, err
	}
	if err := see(u, sol, "", visibility.Ranking, "the ranking of solicitation "+sol.ID); err != nil {
		return sol, nil, err
	}
	r, err := s.Store.Ranking(ctx, sol.ID)
	return sol, nonNil(r), err
}

// openedSolicitation loads a solicitation whose bids are opened: the lists
// of f (awards, protests) exist only then.
func (s *Service) openedSolicitation(ctx context.Context, u domain.User, id string, f visibility.Field, what string) (domain.Solicitation, error) {
	sol, err := s.visibleSolicitation(ctx, u, id)
	if err != nil {
		return sol, err
	}
	return sol, requireOpened(u, sol, f, what+" of solicitation "+sol.ID)
}

// FitScore is the officer's 0-100 score of a qualified candidate's fit for
// the use case, with a note that justifies it.
type FitScore struct {
	CandidateID string   `json:"candidate_id"`
	Score       *float64 `json:"score"`
	Note        string   `json:"note"`
}

// ScoreFit records the officer's fit score and returns the new ranking.
func (s *Service) ScoreFit(ctx context.Context, u domain.User, solicitationID string, f FitScore) ([]domain.RankedCandidate, error) {
	var out []domain.RankedCandidate
	if err := required(map[string]string{"candidate_id": f.CandidateID, "note": f.Note}); err != nil {
		return out, err
	}
	if f.Score == nil {
		return out, domain.InvalidFields("the fit score is missing", []domain.FieldError{{Field: "score", Message: "give a score from 0 to 100"}})
	}
	return out, s.running(ctx, u, "award:recommend", solicitationID, true, contract.ScoreFitUpdate,
		contract.FitRequest{Actor: actor(u), CandidateID: f.CandidateID, Score: *f.Score, Note: f.Note}, &out)
}

// Recommendation is the officer's recommended award and its rationale.
type Recommendation struct {
	CandidateID string `json:"candidate_id"`
	Rationale   string `json:"rationale"`
}

// RecommendAward sends the officer's recommendation for approval by reviewers.
func (s *Service) RecommendAward(ctx context.Context, u domain.User, solicitationID string, r Recommendation) (domain.Award, error) {
	var out domain.Award
	if err := required(map[string]string{"candidate_id": r.CandidateID, "rationale": r.Rationale}); err != nil {
		return out, err
	}
	err := s.running(ctx, u, "award:recommend", solicitationID, true, contract.RecommendAwardUpdate,
		contract.RecommendRequest{Actor: actor(u), AwardID: domain.NewID("awd"), CandidateID: r.CandidateID, Rationale: r.Rationale}, &out)
	if err != nil {
		return out, err
	}
	// The award is stored by then, and its pin with it.
	stored, err := s.Store.Award(ctx, out.ID)
	out.Pin = stored.Pin
	return out, err
}

// Awards lists the awards of a closed solicitation that u may see: the
// agency every recommendation, everyone else only those the reviewers
// approved (visibility.AwardField).
func (s *Service) Awards(ctx context.Context, u domain.User, solicitationID string) ([]domain.Award, error) {
	if err := s.Authorize(ctx, u, "solicitation:read"); err != nil {
		return nil, err
	}
	sol, err := s.openedSolicitation(ctx, u, solicitationID, visibility.Award, "the awards")
	if err != nil {
		return nil, err
	}
	awards, err := s.Store.Awards(ctx, sol.ID)
	if err != nil {
		return nil, err
	}
	pins, err := s.Store.AwardPins(ctx, sol.ID)
	for i := range awards {
		awards[i].Pin = pins[awards[i].ID]
	}
	return nonNil(visibleAwards(u, sol, awards)), err
}

// Protest is a losing vendor's protest of an award during the standstill.
func (s *Service) Protest(ctx context.Context, u domain.User, solicitationID, grounds string) (domain.Protest, error) {
	var out domain.Protest
	if err := required(map[string]string{"grounds": grounds}); err != nil {
		return out, err
	}
	return out, s.running(ctx, u, "protest:file", solicitationID, true, contract.FileProtestUpdate,
		contract.ProtestRequest{Actor: actor(u), ID: domain.NewID("prt"), Grounds: grounds}, &out)
}

// ProtestDecision is the officer's written decision on a protest:
// outcome upheld or dismissed.
type ProtestDecision struct {
	Outcome  string `json:"outcome"`
	Decision string `json:"decision"`
}

// DecideProtest records the officer's decision on a protest; an upheld
// protest revokes the award.
func (s *Service) DecideProtest(ctx context.Context, u domain.User, solicitationID, protestID string, d ProtestDecision) (domain.Protest, error) {
	var out domain.Protest
	if err := required(map[string]string{"outcome": d.Outcome, "decision": d.Decision}); err != nil {
		return out, err
	}
	return out, s.running(ctx, u, "protest:decide", solicitationID, true, contract.ResolveProtestUpdate,
		contract.ResolveProtestRequest{Actor: actor(u), ProtestID: protestID, Outcome: d.Outcome, Decision: d.Decision}, &out)
}

// Protests shows the agency every protest and a vendor its own.
func (s *Service) Protests(ctx context.Context, u domain.User, solicitationID string) ([]domain.Protest, error) {
	if err := s.Authorize(ctx, u, "protest:read"); err != nil {
		return nil, err
	}
	sol, err := s.openedSolicitation(ctx, u, solicitationID, visibility.Protests, "the protests")
	if err != nil {
		return nil, err
	}
	if err := seeList(u, sol, visibility.Protests, "the protests of solicitation "+sol.ID); err != nil {
		return nil, err
	}
	ps, err := s.Store.Protests(ctx, sol.ID)
	return visibleProtests(u, sol, ps), err
}

// visibleAwards are the awards of sol that u may see (visibility.AwardField).
func visibleAwards(u domain.User, sol domain.Solicitation, awards []domain.Award) []domain.Award {
	visible := make([]domain.Award, 0, len(awards))
	for _, a := range awards {
		if sees(u, sol, "", visibility.AwardField(a)) {
			visible = append(visible, a)
		}
	}
	return visible
}

// visibleProtests are the protests of sol that u may see: the agency all,
// a vendor its own (visibility.Protests).
func visibleProtests(u domain.User, sol domain.Solicitation, ps []domain.Protest) []domain.Protest {
	visible := make([]domain.Protest, 0, len(ps))
	for _, p := range ps {
		if sees(u, sol, p.VendorOrgID, visibility.Protests) {
			visible = append(visible, p)
		}
	}
	return visible
}

// ChangeNotice is a vendor's notice that the awarded model changed: a new
// version, a new weights digest, or the new weights' digest list (slash
// path -> SHA-256 hex). Description says what changed and why.
type ChangeNotice struct {
	Version       string            `json:"version,omitempty"`
	WeightsDigest string            `json:"weights_digest,omitempty"`
	Files         map[string]string `json:"files,omitempty"`
	Description   string            `json:"description"`
}

// NotifyChange takes the awarded vendor's notice of a changed model: it is
// audited (award.change-notified) with how it departs from what the award
// pins, and the candidate's monitoring re-checks it at once under the
// solicitation's frozen revision and asks reviewers to re-attest it.
func (s *Service) NotifyChange(ctx context.Context, u domain.User, awardID string, n ChangeNotice) (contract.ChangeNotice, error) {
	out := contract.ChangeNotice{AwardID: awardID}
	if err := s.Authorize(ctx, u, "bid:submit"); err != nil {
		return out, err
	}
	if errs := CheckNotice(n); len(errs) > 0 {
		return out, domain.InvalidFields("the notice was not sent; see errors", errs)
	}
	aw, err := s.Store.Award(ctx, awardID)
	if err != nil {
		return out, err
	}
	bid, err := s.Store.Bid(ctx, aw.BidID)
	if err != nil {
		return out, err
	}
	if bid.VendorOrgID != u.OrgID {
		return out, domain.Errorf(domain.ErrNotFound, "no award %s of your organisation", awardID)
	}
	if aw.Status != domain.AwardAwarded || aw.Pin == nil {
		return out, domain.Errorf(domain.ErrConflict, "award %s is %s: a change is notified once the award stands", aw.ID, aw.Status)
	}
	out = contract.ChangeNotice{ID: domain.NewID("ntc"), AwardID: aw.ID, Version: n.Version, WeightsDigest: n.WeightsDigest,
		Description: n.Description, NotifiedBy: u.ID, At: s.now(), Differences: []string{}}
	if n.WeightsDigest != "" && n.WeightsDigest != aw.Pin.WeightsDigest {
		out.Differences = append(out.Differences, fmt.Sprintf("weights digest: awarded %s, notified %s", orNone(aw.Pin.WeightsDigest), n.WeightsDigest))
	}
	if len(n.Files) > 0 {
		d, err := artifact.CompareDelivery(*aw.Pin, n.Files)
		if err != nil && !errors.Is(err, artifact.ErrNothingPinned) {
			return out, domain.InvalidFields("the digest list cannot be read", []domain.FieldError{{Field: "files", Message: err.Error()}})
		}
		out.Differences = append(out.Differences, d.Problems()...)
	}
	if err := s.signalMonitoring(ctx, aw, out); err != nil {
		return out, err
	}
	detail := map[string]any{"notice_id": out.ID, "version": out.Version, "weights_digest": out.WeightsDigest,
		"differences": out.Differences[:min(len(out.Differences), maxAuditedProblems)], "description": out.Description,
		"policy_revision": s.frozenRevision(ctx, aw.SolicitationID)}
	return out, s.Store.AppendAudit(ctx, auditEvent(u, "award.change-notified", "award", aw.ID, aw.SolicitationID, out.At, detail))
}

// CheckNotice names every problem of a change notice at once; NotifyChange
// runs it, and a form that could not read part of a notice runs it to show
// the rest beside that.
func CheckNotice(n ChangeNotice) []domain.FieldError {
	var errs []domain.FieldError
	if strings.TrimSpace(n.Description) == "" {
		errs = append(errs, domain.FieldError{Field: "description", Message: "is required: say what changed in the model and why"})
	}
	if n.Version == "" && n.WeightsDigest == "" && len(n.Files) == 0 {
		errs = append(errs, domain.FieldError{Field: "version",
			Message: "give the new version, the new weights digest or the new files' digest list"})
	}
	if n.WeightsDigest != "" && !weightsDigest.MatchString(n.WeightsDigest) {
		errs = append(errs, domain.FieldError{Field: "weights_digest", Message: "write it as sha256: and 64 lowercase hex digits"})
	}
	return errs
}

// OutputReport is a report of an output of the awarded model that violates
// the contract's terms, taken by the agency: why it violates them
// (Description) and, optionally, the output itself, the prompt that led to
// it, when it happened (RFC 3339 or YYYY-MM-DD) and how severe it is
// (ReportSeverities).
type OutputReport struct {
	Description string `json:"description"`
	Output      string `json:"output,omitempty"`
	Prompt      string `json:"prompt,omitempty"`
	OccurredAt  string `json:"occurred_at,omitempty"`
	Severity    string `json:"severity,omitempty"`
}

// ReportSeverities are the severities a report of a violating output may
// give, least first.
var ReportSeverities = []string{"low", "medium", "high", "critical"}

// Limits of a report's output and prompt (its description is the API's
// to bound); the review task's title carries the report's gist.
const (
	maxReportText  = 4000
	maxReportTitle = 300
)

// checkReport names every problem of a report at once.
func checkReport(r OutputReport) []domain.FieldError {
	var errs []domain.FieldError
	if strings.TrimSpace(r.Description) == "" {
		errs = append(errs, domain.FieldError{Field: "description", Message: "is required: say why the output violates the contract's terms"})
	}
	if r.Severity != "" && !slices.Contains(ReportSeverities, r.Severity) {
		errs = append(errs, domain.FieldError{Field: "severity", Message: fmt.Sprintf("%q is not a severity: choose one of %s", r.Severity, strings.Join(ReportSeverities, ", "))})
	}
	if r.OccurredAt != "" {
		if _, err := reportTime(r.OccurredAt); err != nil {
			errs = append(errs, domain.FieldError{Field: "occurred_at", Message: fmt.Sprintf("%q is not a date: write the day it happened as YYYY-MM-DD, or the time as 2026-12-01T14:30:00Z", r.OccurredAt)})
		}
	}
	for name, text := range map[string]string{"output": r.Output, "prompt": r.Prompt} {
		if n := utf8.RuneCountInString(text); n > maxReportText {
			errs = append(errs, domain.FieldError{Field: name, Message: fmt.Sprintf("is %d characters long; keep it to %d", n, maxReportText)})
		}
	}
	slices.SortFunc(errs, func(a, b domain.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return errs
}

// reportTime reads when a reported output happened: a day or an RFC 3339 time.
func reportTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, v)
}

// summary is the report as the review task's title and the notice carry
// it: the severity and when first, then why it violates the terms, then
// the output and its prompt, cut to a title's length.
func (r OutputReport) summary() string {
	var b strings.Builder
	if r.Severity != "" {
		b.WriteString(r.Severity + " severity: ")
	}
	b.WriteString(strings.TrimSpace(r.Description))
	if r.OccurredAt != "" {
		b.WriteString(" (on " + r.OccurredAt + ")")
	}
	if o := strings.TrimSpace(r.Output); o != "" {
		b.WriteString("; output: “" + o + "”")
	}
	if p := strings.TrimSpace(r.Prompt); p != "" {
		b.WriteString("; prompt: “" + p + "”")
	}
	out := b.String()
	if utf8.RuneCountInString(out) > maxReportTitle {
		out = string([]rune(out)[:maxReportTitle-1]) + "…"
	}
	return out
}

// ReportOutput takes the agency's report of a violating output of an
// awarded model (OMB M-26-04 asks agencies to be able to take them): it is
// audited (award.output-reported), and the model's monitoring re-checks it
// at once under the frozen revision and opens a review task with the
// report in its title.
func (s *Service) ReportOutput(ctx context.Context, u domain.User, awardID string, r OutputReport) (contract.ChangeNotice, error) {
	out := contract.ChangeNotice{AwardID: awardID}
	if err := s.Authorize(ctx, u, "award:recommend"); err != nil {
		return out, err
	}
	if errs := checkReport(r); len(errs) > 0 {
		return out, domain.InvalidFields("the report was not sent; see errors", errs)
	}
	aw, err := s.Store.Award(ctx, awardID)
	if err != nil {
		return out, err
	}
	if _, err := s.issuedSolicitation(ctx, u, aw.SolicitationID, "award:recommend"); err != nil {
		return out, err
	}
	if aw.Status != domain.AwardAwarded {
		return out, domain.Errorf(domain.ErrConflict, "award %s is %s: outputs are reported on a model once the award stands", aw.ID, aw.Status)
	}
	out = contract.ChangeNotice{ID: domain.NewID("rpt"), Kind: contract.NoticeOutputReport, AwardID: aw.ID,
		Description: r.summary(), NotifiedBy: u.ID, At: s.now(), Differences: []string{}}
	if err := s.signalMonitoring(ctx, aw, out); err != nil {
		return out, err
	}
	detail := map[string]any{"report_id": out.ID, "description": strings.TrimSpace(r.Description), "output": r.Output, "prompt": r.Prompt,
		"occurred_at": r.OccurredAt, "severity": r.Severity, "policy_revision": s.frozenRevision(ctx, aw.SolicitationID)}
	return out, s.Store.AppendAudit(ctx, auditEvent(u, "award.output-reported", "award", aw.ID, aw.SolicitationID, out.At, detail))
}

// signalMonitoring hands a notice to the awarded candidate's monitoring.
func (s *Service) signalMonitoring(ctx context.Context, aw domain.Award, n contract.ChangeNotice) error {
	err := s.Temporal.SignalWorkflow(ctx, contract.MonitoringWorkflowID(aw.CandidateID), "", contract.ChangeNoticeSignal, n)
	if isNotFound(err) {
		return domain.Errorf(domain.ErrConflict, "the awarded model's monitoring is not running, so no re-check can start; ask the agency's officer")
	}
	if err != nil {
		return fromWorkflow(err)
	}
	return nil
}

// weightsDigest is how a manifest writes the weights digest.
var weightsDigest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// frozenRevision is the revision the re-check runs under, for the audit.
func (s *Service) frozenRevision(ctx context.Context, solicitationID string) string {
	sol, err := s.Store.Solicitation(ctx, solicitationID)
	if err != nil {
		return ""
	}
	return sol.PolicyRevision
}
