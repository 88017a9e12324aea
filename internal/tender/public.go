package tender

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/ocds"
	"github.com/modeltender/modeltender/internal/store"
)

// The public read models: what anyone may read without signing in. They
// hold only what is published anyway: the terms of a published
// solicitation, its open-contracting notice, the anonymised Q&A and the
// amendments every vendor sees, and, once the award stands, the award
// notice. Drafts are never shown, nor anything of a bid before the award
// stands (not even who bid), nor a withdrawn bid.

// Public phases a visitor filters on; each groups several lifecycle states.
const (
	PhaseOpen      = "open"      // bids accepted until the deadline
	PhaseClosed    = "closed"    // deadline passed: evaluation and award under way
	PhaseAwarded   = "awarded"   // the award stands and its notice is published
	PhaseCancelled = "cancelled" // cancelled, with its published reason
)

// PublicPhases are the phases in the order the filter offers them.
var PublicPhases = []string{PhaseOpen, PhaseClosed, PhaseAwarded, PhaseCancelled}

var phaseLabels = map[string]string{
	PhaseOpen: "Open for bids", PhaseClosed: "Closed, in evaluation", PhaseAwarded: "Awarded", PhaseCancelled: "Cancelled",
}

// PhaseLabel says a phase in words.
func PhaseLabel(phase string) string { return cmp.Or(phaseLabels[phase], phase) }

// publicPhase is where a published solicitation stands for the public; ""
// for a draft, which the public never sees.
func publicPhase(sol domain.Solicitation, now time.Time) string {
	switch {
	case sol.Status == domain.SolicitationDraft:
		return ""
	case sol.Status == domain.SolicitationCancelled:
		return PhaseCancelled
	case sol.Status == domain.SolicitationAwarded:
		return PhaseAwarded
	case sol.Status.AcceptsBids() && now.Before(sol.Deadline):
		return PhaseOpen
	}
	return PhaseClosed
}

// PublicFilter is a visitor's search of the published solicitations; empty
// fields do not filter.
type PublicFilter struct {
	Query  string // words of the title or description, in any case
	Agency string // the buying agency's name
	Tier   string // standard | high-impact
	Phase  string // one of PublicPhases
}

// PublicListing is the published solicitations that match a filter, newest
// first, with the choices the filter offers.
type PublicListing struct {
	Filter   PublicFilter
	Rows     []PublicRow
	Agencies []string
	Tiers    []string
	Phases   []PhaseOption
	// Published counts every published solicitation, matched or not.
	Published int
}

// PhaseOption is a status the search offers.
type PhaseOption struct{ Value, Label string }

// PublicRow is one published solicitation in the listing.
type PublicRow struct {
	ID, Title, Agency string
	RiskTier          domain.RiskTier
	Deadline          time.Time
	PublishedAt       *time.Time
	Phase, PhaseLabel string
}

// PublicSolicitations lists the published solicitations matching f. It
// needs no user: nothing in it is confidential.
func (s *Service) PublicSolicitations(ctx context.Context, f PublicFilter) (PublicListing, error) {
	f.Query, f.Agency = strings.TrimSpace(f.Query), strings.TrimSpace(f.Agency)
	v := PublicListing{Filter: f, Tiers: []string{string(domain.RiskStandard), string(domain.RiskHighImpact)}}
	for _, p := range PublicPhases {
		v.Phases = append(v.Phases, PhaseOption{Value: p, Label: PhaseLabel(p)})
	}
	sols, err := s.Store.Solicitations(ctx)
	if err != nil {
		return v, fmt.Errorf("list published solicitations: %w", err)
	}
	now := s.now()
	agencies := map[string]string{}
	for _, sol := range sols {
		phase := publicPhase(sol, now)
		if phase == "" {
			continue
		}
		v.Published++
		agency, err := s.agencyName(ctx, agencies, sol.AgencyOrgID)
		if err != nil {
			return v, err
		}
		if !slices.Contains(v.Agencies, agency) {
			v.Agencies = append(v.Agencies, agency)
		}
		if !f.matches(sol, agency, phase) {
			continue
		}
		v.Rows = append(v.Rows, PublicRow{ID: sol.ID, Title: sol.Title, Agency: agency, RiskTier: sol.RiskTier,
			Deadline: sol.Deadline, PublishedAt: sol.PublishedAt, Phase: phase, PhaseLabel: PhaseLabel(phase)})
	}
	slices.Sort(v.Agencies)
	slices.SortStableFunc(v.Rows, func(a, b PublicRow) int { return publishedAt(b).Compare(publishedAt(a)) })
	return v, nil
}

func publishedAt(r PublicRow) time.Time {
	if r.PublishedAt == nil {
		return time.Time{}
	}
	return *r.PublishedAt
}

func (f PublicFilter) matches(sol domain.Solicitation, agency, phase string) bool {
	if f.Tier != "" && string(sol.RiskTier) != f.Tier || f.Phase != "" && phase != f.Phase {
		return false
	}
	if f.Agency != "" && !strings.EqualFold(agency, f.Agency) {
		return false
	}
	text := strings.ToLower(sol.Title + " " + sol.Description)
	for _, word := range strings.Fields(strings.ToLower(f.Query)) {
		if !strings.Contains(text, word) {
			return false
		}
	}
	return true
}

// agencyName reads an organisation's name once per listing.
func (s *Service) agencyName(ctx context.Context, cache map[string]string, id string) (string, error) {
	if name, ok := cache[id]; ok {
		return name, nil
	}
	org, err := s.Store.Organisation(ctx, id)
	if err != nil {
		return "", fmt.Errorf("read agency of a published solicitation: %w", err)
	}
	cache[id] = org.Name
	return org.Name, nil
}

// PublicSolicitationPage is a published solicitation as the public reads
// it: its terms, what candidates are judged on (the notice's criteria and
// award criteria), the frozen policy revision, the anonymised Q&A, the
// amendments and the timeline.
type PublicSolicitationPage struct {
	ID, Title, Description, Agency string
	RiskTier                       domain.RiskTier
	Phase, PhaseLabel              string
	Deadline                       time.Time
	PublishedAt                    *time.Time
	Uses                           []string // the intended uses' titles
	ExpectedMonthlyUsers           int64
	MinimumOpennessClass           string
	// PolicyRevision is the content hash of the rules frozen at
	// publication; RevisionParts is it cut where a narrow screen may wrap.
	PolicyRevision string
	RevisionParts  []string
	Requirements   []PublicCriterion
	AwardCriteria  []PublicAwardCriterion
	Questions      []domain.Question // answered ones only, anonymised
	Unanswered     int
	Amendments     []PublicAmendment
	Timeline       []TimelineEvent
	CancelReason   string
	// NoticeURL is the open-contracting release package; AwardURL the
	// award notice page, once the award stands.
	NoticeURL, AwardURL string
}

// PublicCriterion is one published criterion and what meets it.
type PublicCriterion struct {
	Title, Description string
	Requirements       []string
}

// PublicAwardCriterion is one weighed aspect of the ranking.
type PublicAwardCriterion struct {
	Name, Description string
	Percent           float64
}

// PublicAmendment is a published change, with the deadline it set.
type PublicAmendment struct {
	Seq                           int
	Date                          time.Time
	Description                   string
	PreviousDeadline, NewDeadline time.Time
	DeadlineMoved                 bool
}

// PublicSolicitation is the public page of a published solicitation; a
// draft does not exist for the public.
func (s *Service) PublicSolicitation(ctx context.Context, id string) (PublicSolicitationPage, error) {
	sol, notice, err := s.publishedSolicitation(ctx, id)
	if err != nil {
		return PublicSolicitationPage{}, err
	}
	agency, err := s.agencyName(ctx, map[string]string{}, sol.AgencyOrgID)
	if err != nil {
		return PublicSolicitationPage{}, err
	}
	now := s.now()
	phase := publicPhase(sol, now)
	v := PublicSolicitationPage{ID: sol.ID, Title: sol.Title, Description: sol.Description, Agency: agency,
		RiskTier: sol.RiskTier, Phase: phase, PhaseLabel: PhaseLabel(phase), Deadline: sol.Deadline, PublishedAt: sol.PublishedAt,
		ExpectedMonthlyUsers: sol.ExpectedMonthlyUsers, MinimumOpennessClass: sol.MinimumOpennessClass,
		PolicyRevision: sol.PolicyRevision, RevisionParts: chunks(sol.PolicyRevision, 24), NoticeURL: noticeURL(sol.ID)}
	if phase == PhaseCancelled {
		v.CancelReason = sol.CancelReason
	}
	for _, u := range sol.UseCases {
		v.Uses = append(v.Uses, s.Licenses.UseCaseTitle(u))
	}
	if notice != nil {
		t := notice.Tender
		for _, c := range t.Criteria {
			pc := PublicCriterion{Title: c.Title, Description: c.Description}
			for _, g := range c.RequirementGroups {
				for _, r := range g.Requirements {
					pc.Requirements = append(pc.Requirements, cmp.Or(r.Description, r.Title))
				}
			}
			v.Requirements = append(v.Requirements, pc)
		}
		for _, l := range t.Lots {
			for _, c := range l.AwardCriteria.Criteria {
				ac := PublicAwardCriterion{Name: c.Name, Description: c.Description}
				if len(c.Numbers) > 0 {
					ac.Percent = c.Numbers[0].Number * 100
				}
				v.AwardCriteria = append(v.AwardCriteria, ac)
			}
		}
		if activeAward(notice) != nil {
			v.AwardURL = PublicAwardURL(sol.ID)
		}
	}
	qs, err := s.Store.Questions(ctx, sol.ID)
	if err != nil {
		return v, fmt.Errorf("read the questions of %s: %w", sol.ID, err)
	}
	for _, q := range qs {
		if q.Answer == "" {
			v.Unanswered++ // the question is published with its answer
			continue
		}
		v.Questions = append(v.Questions, q.Anonymised())
	}
	amendments, err := s.Store.Amendments(ctx, sol.ID)
	if err != nil {
		return v, fmt.Errorf("read the amendments of %s: %w", sol.ID, err)
	}
	for _, a := range amendments {
		v.Amendments = append(v.Amendments, PublicAmendment{Seq: a.Seq, Date: a.AmendedAt, Description: a.Description,
			PreviousDeadline: a.PreviousDeadline, NewDeadline: a.NewDeadline, DeadlineMoved: !a.NewDeadline.Equal(a.PreviousDeadline)})
	}
	v.Timeline, err = s.publicTimeline(ctx, sol, v.Amendments, notice, now)
	return v, err
}

// PublicAwardURL is the award notice page of a solicitation.
func PublicAwardURL(solicitationID string) string {
	return "/public/solicitations/" + solicitationID + "/award"
}

// publishedSolicitation loads a solicitation the public may read and its
// latest notice (nil while none is published).
func (s *Service) publishedSolicitation(ctx context.Context, id string) (domain.Solicitation, *ocds.Release, error) {
	sol, err := s.Store.Solicitation(ctx, id)
	if err != nil || sol.Status == domain.SolicitationDraft {
		// The same answer for a draft as for nothing: a draft's existence is not public.
		return sol, nil, domain.Errorf(domain.ErrNotFound, "no published solicitation %s: check the link, or search the published solicitations at /", id)
	}
	doc, err := s.Store.LatestNotice(ctx, sol.ID)
	if domain.KindOf(err) == domain.ErrNotFound {
		return sol, nil, nil
	}
	if err != nil {
		return sol, nil, err
	}
	var pkg ocds.ReleasePackage
	if err := json.Unmarshal(doc, &pkg); err != nil {
		return sol, nil, fmt.Errorf("read the notice of %s: %w", sol.ID, err)
	}
	if len(pkg.Releases) == 0 {
		return sol, nil, nil
	}
	return sol, &pkg.Releases[0], nil
}

// activeAward is the award the notice says stands, if any.
func activeAward(r *ocds.Release) *ocds.ReleaseAward {
	if r == nil {
		return nil
	}
	for i := len(r.Awards) - 1; i >= 0; i-- {
		if r.Awards[i].Status == "active" {
			return &r.Awards[i]
		}
	}
	return nil
}

// timeline dates the procurement's steps, past and to come.
func (s *Service) publicTimeline(ctx context.Context, sol domain.Solicitation, amendments []PublicAmendment, notice *ocds.Release, now time.Time) ([]TimelineEvent, error) {
	var ev []TimelineEvent
	add := func(at time.Time, label, detail string) {
		ev = append(ev, TimelineEvent{Label: label, Detail: detail, At: at.UTC(), Past: !at.After(now)})
	}
	if sol.PublishedAt != nil {
		add(*sol.PublishedAt, "Published", "Bidding opens; the evaluation rules are frozen.")
		if d := sol.EnquiryPeriodDays; d != nil {
			add(sol.PublishedAt.Add(domain.Days(*d)), "Questions close", "The enquiry period ends; bidding goes on until the deadline.")
		}
	}
	for _, a := range amendments {
		detail := "The terms change."
		if a.DeadlineMoved {
			detail = "The deadline moves from " + a.PreviousDeadline.UTC().Format(dateLayout) + " to " + a.NewDeadline.UTC().Format(dateLayout) + "."
		}
		add(a.Date, fmt.Sprintf("Amendment %d", a.Seq), detail)
	}
	if sol.Status == domain.SolicitationCancelled {
		// The cancellation notice is the release that announces it.
		if notice != nil && slices.Contains(notice.Tag, "tenderCancellation") {
			if at, err := time.Parse(time.RFC3339, notice.Date); err == nil {
				add(at, "Cancelled", sol.CancelReason)
			}
		}
	} else {
		add(sol.Deadline, "Deadline", "Sealed bids open; each candidate is evaluated.")
	}
	if notice != nil {
		// Protests are published as complaints on their award, without
		// who filed them here: the notice names the vendor, the page need not.
		for _, a := range notice.Awards {
			for _, c := range a.Complaints {
				if at, err := time.Parse(time.RFC3339, c.DateSubmitted); err == nil {
					add(at, "Protest filed", "A losing vendor protested the award; the award waits for the decision.")
				}
				if at, err := time.Parse(time.RFC3339, c.DateAnswered); err == nil && c.DateAnswered != "" {
					add(at, "Protest "+protestOutcome[c.Status], c.Resolution)
				}
			}
		}
	}
	if aw := activeAward(notice); aw != nil {
		awards, err := s.Store.Awards(ctx, sol.ID)
		if err != nil {
			return nil, fmt.Errorf("read the awards of %s: %w", sol.ID, err)
		}
		for _, a := range awards {
			if a.ID == aw.ID && a.StandstillUntil != nil {
				add(*a.StandstillUntil, "Standstill ends", "Losing vendors could protest the award until then.")
			}
		}
		if at, err := time.Parse(time.RFC3339, aw.Date); err == nil {
			add(at, "Awarded", "The award stands; its notice is published.")
		}
	}
	slices.SortStableFunc(ev, func(a, b TimelineEvent) int { return a.At.Compare(b.At) })
	return ev, nil
}

const dateLayout = "2 Jan 2006 15:04 MST"

// protestOutcome says a published complaint's status in words.
var protestOutcome = map[string]string{"resolved": "upheld", "declined": "dismissed"}

// chunks cuts s into pieces of n bytes (s is ASCII: a hash).
func chunks(s string, n int) []string {
	var out []string
	for len(s) > n {
		out, s = append(out, s[:n]), s[n:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// PublicAwardNotice is the award notice: the winner, the officer's
// rationale, the ranking totals of the qualified bids, and the winner's
// MOF class and OSAID verdict. It exists once the award stands; before,
// nothing of the bids is public.
type PublicAwardNotice struct {
	SolicitationID, Title, Agency string
	AwardTitle, Rationale         string
	Winner                        string // the supplier
	Candidate                     string // the awarded model
	AwardedAt                     time.Time
	Value                         *ocds.Value
	MOFClass                      string // "I", "II", "III" or "" (below class III)
	MOFReason                     string
	OSAIDConformant               bool
	OSAIDMissing                  []string
	Ranking                       []PublicRankingRow
	Criteria                      []string // the breakdown's columns
	Bidders, QualifiedBidders     int
	NoticeURL, PageURL            string
}

// PublicRankingRow is one qualified candidate's place and total. Only the
// awarded candidate is named: the notice publishes no other candidate.
type PublicRankingRow struct {
	Rank      int
	Vendor    string
	Candidate string // the awarded one's name; "" for the others
	Total     float64
	Points    []float64 // by PublicAwardNotice.Criteria
	Awarded   bool
}

// rankingCriteria are the breakdown's criteria, in the order the ranking
// stores them; rankingLabels name them on the page.
var (
	rankingCriteria = []string{"openness", "safety", "price", "fit"}
	rankingLabels   = []string{"Openness", "Safety", "Price", "Fit"}
)

// PublicAward is the award notice of a solicitation whose award stands.
func (s *Service) PublicAward(ctx context.Context, id string) (PublicAwardNotice, error) {
	sol, notice, err := s.publishedSolicitation(ctx, id)
	if err != nil {
		return PublicAwardNotice{}, err
	}
	aw := activeAward(notice)
	if aw == nil || sol.Status != domain.SolicitationAwarded {
		return PublicAwardNotice{}, domain.Errorf(domain.ErrNotFound, "%q has no award notice yet: it is published when the award stands, after the standstill", sol.Title)
	}
	agency, err := s.agencyName(ctx, map[string]string{}, sol.AgencyOrgID)
	if err != nil {
		return PublicAwardNotice{}, err
	}
	v := PublicAwardNotice{SolicitationID: sol.ID, Title: sol.Title, Agency: agency, AwardTitle: aw.Title, Rationale: aw.Description,
		Value: aw.Value, Criteria: rankingLabels, NoticeURL: noticeURL(sol.ID), PageURL: "/public/solicitations/" + sol.ID}
	if len(aw.Suppliers) > 0 {
		v.Winner = aw.Suppliers[0].Name
	}
	v.AwardedAt, _ = time.Parse(time.RFC3339, aw.Date)
	// Counted from the published bids without the withdrawn ones, which the
	// notice's statistics include.
	if notice.Bids != nil {
		bidders, qualified := map[string]bool{}, map[string]bool{}
		for _, b := range notice.Bids.Details {
			if b.Status == "withdrawn" || len(b.Tenderers) == 0 {
				continue
			}
			bidders[b.Tenderers[0].ID] = true
			if b.Status == "valid" {
				qualified[b.Tenderers[0].ID] = true
			}
		}
		v.Bidders, v.QualifiedBidders = len(bidders), len(qualified)
	}
	awards, err := s.Store.Awards(ctx, sol.ID)
	if err != nil {
		return v, fmt.Errorf("read the awards of %s: %w", sol.ID, err)
	}
	i := slices.IndexFunc(awards, func(a domain.Award) bool { return a.ID == aw.ID && a.Status == domain.AwardAwarded })
	if i < 0 {
		return v, domain.Errorf(domain.ErrInternal, "the notice of %s names award %s, which the records do not hold as awarded", sol.ID, aw.ID)
	}
	award := awards[i]
	if err := s.winnerOpenness(ctx, &v, award); err != nil {
		return v, err
	}
	ranking, err := s.Store.Ranking(ctx, sol.ID)
	if err != nil {
		return v, fmt.Errorf("read the ranking of %s: %w", sol.ID, err)
	}
	vendors := publicTenderers(notice)
	for _, r := range ranking {
		vendor, ok := vendors[r.BidID]
		if !ok {
			continue // a bid the notice does not publish (withdrawn) is not shown
		}
		row := PublicRankingRow{Rank: r.Rank, Vendor: vendor, Total: r.Total, Awarded: r.CandidateID == award.CandidateID}
		if row.Awarded {
			row.Candidate = r.Name
			v.Candidate = r.Name
		}
		for _, c := range rankingCriteria {
			row.Points = append(row.Points, r.Breakdown[c])
		}
		v.Ranking = append(v.Ranking, row)
	}
	return v, nil
}

// publicTenderers are the vendors of the bids the notice publishes, by bid,
// without the withdrawn ones.
func publicTenderers(notice *ocds.Release) map[string]string {
	out := map[string]string{}
	if notice.Bids == nil {
		return out
	}
	for _, b := range notice.Bids.Details {
		if b.Status == "withdrawn" || len(b.Tenderers) == 0 {
			continue
		}
		out[b.ID] = b.Tenderers[0].Name
	}
	return out
}

// winnerOpenness reads the awarded candidate's MOF class and OSAID verdict
// from its policy stage.
func (s *Service) winnerOpenness(ctx context.Context, v *PublicAwardNotice, award domain.Award) error {
	evals, err := s.Store.EvaluationsForBid(ctx, award.BidID)
	if err != nil {
		return fmt.Errorf("read the evaluation of the awarded bid: %w", err)
	}
	v.MOFReason = "The evaluation recorded no openness result."
	for _, ev := range evals {
		if ev.CandidateID != award.CandidateID {
			continue
		}
		for _, st := range ev.Stages {
			if st.Stage == domain.StagePolicy {
				applyOpenness(v, st)
			}
		}
	}
	return nil
}

func applyOpenness(v *PublicAwardNotice, st store.StageView) {
	v.MOFClass = mofClass(st.Detail)
	if v.MOFClass == "" {
		v.MOFReason = "No MOF class: the candidate does not release all the components Class III requires under open licenses."
	} else {
		v.MOFReason = ""
	}
	o, _ := st.Detail["openness"].(map[string]any)
	osaid, _ := o["osaid"].(map[string]any)
	v.OSAIDConformant, _ = osaid["conformant"].(bool)
	missing, _ := osaid["missing"].([]any)
	for _, m := range missing {
		if gap, ok := m.(map[string]any); ok {
			if el, ok := gap["element"].(string); ok {
				v.OSAIDMissing = append(v.OSAIDMissing, el)
			}
		}
	}
}
