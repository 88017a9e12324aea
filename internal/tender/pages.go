package tender

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/internal/visibility"
	"github.com/modeltender/modeltender/policies"
)

// The read models of the pages: what each page shows and which of its
// forms the viewer may use, gathered under the same permission and
// sealed-bid rules as the API. The web package only renders them.

// ---- the dashboard -------------------------------------------------------------

// statusGroups orders the solicitation states on the dashboard.
var statusGroups = []struct {
	Status domain.SolicitationStatus
	Label  string
}{
	{domain.SolicitationPublished, "Open for bids"},
	{domain.SolicitationBidding, "Open for bids, questions closed"},
	{domain.SolicitationDraft, "Drafts"},
	{domain.SolicitationClosed, "Closed, evaluation starting"},
	{domain.SolicitationEvaluating, "In evaluation"},
	{domain.SolicitationEvaluated, "Evaluated, award to recommend or approve"},
	{domain.SolicitationStandstill, "Award in standstill"},
	{domain.SolicitationAwarded, "Awarded"},
	{domain.SolicitationCancelled, "Cancelled"},
}

// Dashboard is the solicitations a user may see, grouped by state.
type Dashboard struct {
	Title     string
	Groups    []SolicitationGroup
	CanCreate bool
	Staff     bool
}

// SolicitationGroup is the solicitations in one state.
type SolicitationGroup struct {
	Label         string
	Solicitations []DashboardRow
}

// DashboardRow is a solicitation with what the user may know of its
// progress: a vendor sees its own bids; bids are counted for the agency's
// staff once bidding closed, award states other than standstill and
// awarded stay internal, and protests are the agency's to see.
type DashboardRow struct {
	domain.Solicitation
	Bids            *int
	OwnBids         int    // the vendor's own bids
	Award           string // what the latest award waits for, in words
	AwardTag        string // the USWDS tag class for it
	StandstillUntil *time.Time
	OpenProtests    int
	// NoBids: the solicitation closed without a bid, so the officer's next
	// step is to cancel it with no award.
	NoBids bool
}

func newDashboardRow(u domain.User, sol domain.Solicitation, p store.Progress) DashboardRow {
	row := DashboardRow{Solicitation: sol, OwnBids: p.OwnBids}
	staff := sees(u, sol, "", visibility.Recommendation) // the issuing agency's staff
	if staff && Closed(sol) {
		row.Bids = &p.Bids
		row.NoBids = p.Bids == 0 && sol.Status != domain.SolicitationCancelled
	}
	switch p.Award {
	case domain.AwardPendingApproval:
		if staff {
			row.Award, row.AwardTag = "award awaiting approval", "mt-sev-warn"
		}
	case domain.AwardRejected:
		if staff && sol.Status == domain.SolicitationEvaluated {
			row.Award, row.AwardTag = "award rejected: recommend again", "bg-secondary-dark"
		}
	case domain.AwardStandstill:
		row.Award, row.AwardTag, row.StandstillUntil = "standstill", "bg-primary", p.StandstillUntil
	case domain.AwardAwarded:
		row.Award, row.AwardTag = "awarded", "bg-green"
	}
	if staff {
		row.OpenProtests = p.OpenProtests
	}
	return row
}

// Dashboard lists the solicitations u may see with their progress.
func (s *Service) Dashboard(ctx context.Context, u domain.User) (Dashboard, error) {
	sols, err := s.Solicitations(ctx, u)
	if err != nil {
		return Dashboard{}, err
	}
	own := ""
	if visibility.VendorSide(u) {
		own = u.OrgID
	}
	progress, err := s.Store.SolicitationProgress(ctx, own)
	if err != nil {
		return Dashboard{}, err
	}
	byStatus := map[domain.SolicitationStatus][]DashboardRow{}
	for _, sol := range sols {
		byStatus[sol.Status] = append(byStatus[sol.Status], newDashboardRow(u, sol, progress[sol.ID]))
	}
	d := Dashboard{Title: "Solicitations", CanCreate: u.Role == domain.RoleOfficer, Staff: u.Role != domain.RoleVendor}
	if u.Role == domain.RoleVendor {
		d.Title = "Solicitations open to vendors"
	}
	for _, g := range statusGroups {
		if len(byStatus[g.Status]) > 0 {
			d.Groups = append(d.Groups, SolicitationGroup{Label: g.Label, Solicitations: byStatus[g.Status]})
			delete(byStatus, g.Status)
		}
	}
	for _, status := range slices.Sorted(maps.Keys(byStatus)) { // states added after this page was written
		d.Groups = append(d.Groups, SolicitationGroup{Label: string(status), Solicitations: byStatus[status]})
	}
	return d, nil
}

// ---- words for codes --------------------------------------------------------------

// ReasonLabels say in words what each reviewer reason code means.
var ReasonLabels = map[string]string{
	"meets-requirements":                  "Meets the requirements",
	"accepted-for-intended-use":           "Accepted for the intended use (the license's restrictions do not touch it)",
	"vendor-provided-alternative-license": "The vendor provided another license that covers the use",
	"not-applicable":                      "The finding does not apply to this candidate",
	"insufficient-evidence":               "Insufficient evidence",
	"license-incompatible":                "The license is incompatible with the intended use",
	"safety-risk":                         "Safety risk",
	"rejected":                            "Rejected for another reason (say which in the comment)",
}

// TaskKindLabels name the kinds of reviewer task in words.
var TaskKindLabels = map[domain.TaskKind]string{
	domain.TaskLicenseResolution:  "License question",
	domain.TaskComplianceApproval: "Compliance approval",
	domain.TaskAwardApproval:      "Award approval",
	TaskDeliveryMismatch:          "Delivery mismatch",
}

// ---- the solicitation page ----------------------------------------------------

// SolicitationPage is a solicitation's terms, its lifecycle and what the
// viewer may do next.
type SolicitationPage struct {
	Sol  domain.Solicitation
	Uses []string // the declared use cases' titles
	// HighImpactUses are declared uses that usually make AI high-impact,
	// when the solicitation is at the standard tier.
	HighImpactUses               []string
	CanPublish, CanBid, CanBoard bool // CanPublish: the officer's draft, which may also be edited
	CanAudit, DeadlinePassed     bool
	// NoBids: the solicitation closed without a bid; its officer's next
	// step is to cancel it with no award (bidding cannot reopen once closed).
	NoBids bool
	MyBids []store.BidSummary
	// Requirements are what the solicitation's policy packs ask of a bid.
	Requirements Requirements
	Lifecycle    Lifecycle
	// Timeline is the solicitation's dates so far and those planned, in
	// time order, as far as the viewer may see them.
	Timeline []TimelineEvent
	// Live: the page watches for changes made elsewhere (a deadline, the
	// workflow, another user) while the solicitation can still move.
	// Version digests what the page shows.
	Live    bool
	Version string
	// RunningRevision is the policy revision this service runs, when the
	// officer may amend and it differs from the one the solicitation is
	// judged under: an amendment may adopt it.
	RunningRevision string
}

// Lifecycle is what the solicitation page shows of the lifecycle and which
// of its forms the viewer may use.
type Lifecycle struct {
	Questions              []domain.Question
	Amendments             []domain.Amendment
	Ranking                []RankingRow
	Awards                 []AwardRow
	Protests               []domain.Protest
	CanAsk, CanAnswer      bool
	CanAmend, CanCancel    bool
	ShowRanking            bool
	CanRecommend           bool
	CanDecideProtest       bool
	CanProtest, Standstill bool
	NoticeURL              string
}

// SolicitationPage gathers the solicitation page for u.
func (s *Service) SolicitationPage(ctx context.Context, u domain.User, id string) (SolicitationPage, error) {
	sol, err := s.Solicitation(ctx, u, id)
	if err != nil {
		return SolicitationPage{}, err
	}
	v := SolicitationPage{Sol: sol, DeadlinePassed: !s.Now().Before(sol.Deadline)}
	if v.Requirements, err = s.requirements(ctx, sol); err != nil {
		return SolicitationPage{}, err
	}
	for _, id := range sol.UseCases {
		v.Uses = append(v.Uses, s.Licenses.UseCaseTitle(id))
	}
	if sol.RiskTier == domain.RiskStandard {
		v.HighImpactUses = s.Licenses.HighImpactUses(sol.UseCases)
	}
	v.CanPublish = u.Role == domain.RoleOfficer && sol.Status == domain.SolicitationDraft && u.OrgID == sol.AgencyOrgID
	v.CanBid = u.Role == domain.RoleVendor && sol.Status.AcceptsBids() && !v.DeadlinePassed
	v.CanBoard = sees(u, sol, "", visibility.Candidates)
	v.CanAudit = sees(u, sol, "", visibility.Audit)
	if visibility.VendorSide(u) {
		if v.MyBids, err = s.Store.BidsForSolicitation(ctx, sol.ID, u.OrgID); err != nil {
			return v, err
		}
	}
	if v.Lifecycle, err = s.lifecycle(ctx, u, sol, v.MyBids); err != nil {
		return v, err
	}
	if v.CanBoard && v.Lifecycle.CanCancel {
		bids, err := s.Store.BidsForSolicitation(ctx, sol.ID, "")
		if err != nil {
			return v, err
		}
		v.NoBids = len(bids) == 0
	}
	v.Live = sol.Status != domain.SolicitationDraft && sol.Status != domain.SolicitationCancelled && sol.Status != domain.SolicitationAwarded
	if running := s.Policies.Revision(); v.Lifecycle.CanAmend && running != sol.PolicyRevision {
		v.RunningRevision = running
	}
	v.Version = pageVersion(sol, v.Lifecycle)
	v.Timeline = timeline(sol, v.Lifecycle, s.Now())
	return v, nil
}

// TimelineEvent is one date in a solicitation's life.
type TimelineEvent struct {
	Kind   string // published, enquiry-end, amendment, deadline, evaluation, award, standstill, protest, awarded, cancelled
	Label  string
	Detail string
	At     time.Time
	Past   bool
}

// timeline is the solicitation's dates in time order: publication, the
// end of questions, amendments, the deadline, the evaluation, award
// recommendations, the standstill, protests and the award. Only what l
// already shows the viewer goes in.
func timeline(sol domain.Solicitation, l Lifecycle, now time.Time) []TimelineEvent {
	var out []TimelineEvent
	add := func(kind, label, detail string, at time.Time) {
		out = append(out, TimelineEvent{Kind: kind, Label: label, Detail: detail, At: at, Past: !at.After(now)})
	}
	if sol.PublishedAt == nil {
		return nil
	}
	add("published", "Published", "bidding opens", *sol.PublishedAt)
	if sol.EnquiryPeriodDays != nil {
		add("enquiry-end", "Questions close", "", sol.PublishedAt.Add(time.Duration(*sol.EnquiryPeriodDays*float64(24*time.Hour))))
	}
	for i, a := range l.Amendments {
		detail := a.Description
		if !a.NewDeadline.Equal(a.PreviousDeadline) {
			detail += " (deadline moved)"
		}
		add("amendment", fmt.Sprintf("Amendment %d", i+1), detail, a.AmendedAt)
	}
	add("deadline", "Deadline", "bids close and are opened", sol.Deadline)
	if sol.ClosedAt != nil && sol.Status != domain.SolicitationCancelled {
		detail := "in progress"
		if sol.Status != domain.SolicitationClosed && sol.Status != domain.SolicitationEvaluating {
			detail = "every candidate has an outcome"
		}
		add("evaluation", "Evaluation", detail, *sol.ClosedAt)
	}
	for _, a := range l.Awards {
		add("award", "Award recommended", a.Candidate+" ("+string(a.Status)+")", a.RecommendedAt)
		if a.StandstillUntil != nil {
			add("standstill", "Standstill ends", "vendors may protest until then", *a.StandstillUntil)
		}
		if a.Status == domain.AwardAwarded && a.DecidedAt != nil {
			add("awarded", "Awarded", a.Candidate, *a.DecidedAt)
		}
	}
	for _, p := range l.Protests {
		add("protest", "Protest filed", "", p.FiledAt)
		if p.DecidedAt != nil {
			add("protest", "Protest decided", string(p.Outcome), *p.DecidedAt)
		}
	}
	slices.SortStableFunc(out, func(a, b TimelineEvent) int { return a.At.Compare(b.At) })
	return out
}

func (s *Service) lifecycle(ctx context.Context, u domain.User, sol domain.Solicitation, myBids []store.BidSummary) (Lifecycle, error) {
	v := Lifecycle{Standstill: sol.Status == domain.SolicitationStandstill}
	var err error
	if v.Questions, err = s.Questions(ctx, u, sol.ID); err != nil {
		return v, err
	}
	if v.Amendments, err = s.Store.Amendments(ctx, sol.ID); err != nil {
		return v, err
	}
	officer := u.Role == domain.RoleOfficer && u.OrgID == sol.AgencyOrgID
	running := sol.Status != domain.SolicitationDraft && sol.Status != domain.SolicitationCancelled && sol.Status != domain.SolicitationAwarded
	open := sol.Status.AcceptsBids() && s.Now().Before(sol.Deadline)
	v.CanAsk = u.Role == domain.RoleVendor && open
	v.CanAnswer = officer && running
	v.CanAmend = officer && open
	v.CanCancel = officer && running
	if sol.Status == domain.SolicitationAwarded {
		v.NoticeURL = noticeURL(sol.ID)
	}
	if !Closed(sol) {
		return v, nil
	}
	v.ShowRanking = sees(u, sol, "", visibility.Ranking)
	if v.Ranking, err = s.rankingRows(ctx, sol); err != nil {
		return v, err
	}
	v.CanRecommend = officer && sol.Status == domain.SolicitationEvaluated
	awards, err := s.Store.Awards(ctx, sol.ID)
	if err != nil {
		return v, err
	}
	for _, a := range visibleAwards(u, sol, awards) {
		v.Awards = append(v.Awards, newAwardRow(a, v.Ranking))
	}
	protests, err := s.Store.Protests(ctx, sol.ID)
	if err != nil {
		return v, err
	}
	v.Protests = visibleProtests(u, sol, protests)
	v.CanDecideProtest = officer
	v.CanProtest = u.Role == domain.RoleVendor && v.Standstill && len(myBids) > 0 &&
		!slices.ContainsFunc(v.Awards, func(a AwardRow) bool {
			return a.Status == domain.AwardStandstill && slices.ContainsFunc(myBids, func(b store.BidSummary) bool { return b.ID == a.BidID })
		}) &&
		!slices.ContainsFunc(v.Protests, func(p domain.Protest) bool { return p.Outcome == "" })
	return v, nil
}

func noticeURL(solicitationID string) string {
	return "/api/v1/solicitations/" + solicitationID + "/ocds"
}

// pageVersion digests what the solicitation page shows of a solicitation's
// progress: status, deadline, awards, protests, questions, amendments and
// ranking. A change in any of them is worth a reload.
func pageVersion(sol domain.Solicitation, l Lifecycle) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%d|%d", sol.Status, sol.Deadline.UTC().Format(time.RFC3339), len(l.Amendments), len(l.Ranking))
	for _, q := range l.Questions {
		fmt.Fprintf(h, "|q%s:%t", q.ID, q.Answer != "")
	}
	for _, a := range l.Awards {
		fmt.Fprintf(h, "|a%s:%s", a.ID, a.Status)
	}
	for _, p := range l.Protests {
		fmt.Fprintf(h, "|p%s:%s", p.ID, p.Outcome)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// ---- the bid page -----------------------------------------------------------------

// BidPage is a bid's page: its candidates' pipelines (the live part) and,
// for its vendor, the pre-check, the changes allowed before the deadline,
// the clarification requests and the award outcome.
type BidPage struct {
	CandidateSet
	Bid    domain.Bid
	Vendor bool
	// Sealed: bidding is open, so no evaluation has started; the vendor
	// sees the pre-check instead, and only until the deadline.
	Sealed            bool
	Prechecks         []domain.Precheck
	Clarifications    []ClarificationItem
	CanChange         bool // revise or withdraw: before the deadline
	NeedsConfirmation bool
	Award             *AwardOutcome
	// Requirements are what the solicitation's packs ask of the bid.
	Requirements Requirements
}

// ClarificationItem is a clarification request with its candidate's name.
type ClarificationItem struct {
	domain.Clarification
	Candidate string
	Open      bool
}

// AwardOutcome tells a vendor where the award went.
type AwardOutcome struct {
	ID, Status, Candidate string
	Ours                  bool
	// CanNotify: the award to this bid stands, so its vendor may notify a
	// change of the model (NotifyChange).
	CanNotify       bool
	StandstillUntil *time.Time
	NoticeURL       string
}

// BidPage gathers a bid's page for u: the vendor's own bid at any time,
// anyone else's once the solicitation has closed. With pipelinesOnly it
// gathers only the candidates' pipelines, which the page refreshes.
func (s *Service) BidPage(ctx context.Context, u domain.User, bidID string, pipelinesOnly bool) (BidPage, error) {
	b, err := s.Bid(ctx, u, bidID)
	if err != nil {
		return BidPage{}, err
	}
	sol, err := s.Store.Solicitation(ctx, b.SolicitationID)
	if err != nil {
		return BidPage{}, err
	}
	cands, err := s.candidateStatuses(ctx, b, "")
	if err != nil {
		return BidPage{}, err
	}
	v := BidPage{CandidateSet: CandidateSet{Sol: sol, BidID: b.ID, Candidates: cands, Live: live(cands)},
		Bid: b, Vendor: u.Role == domain.RoleVendor, Sealed: sol.Status.AcceptsBids() && s.Now().Before(sol.Deadline)}
	if !v.Vendor || pipelinesOnly {
		return v, nil
	}
	return v, s.vendorBidPage(ctx, &v)
}

func (s *Service) vendorBidPage(ctx context.Context, v *BidPage) error {
	open := v.Sol.Status.AcceptsBids() && s.Now().Before(v.Sol.Deadline)
	active := v.Bid.Status != domain.BidWithdrawn && v.Bid.Status != domain.BidExcluded
	v.CanChange = open && active
	v.NeedsConfirmation = open && v.Bid.Status == domain.BidNeedsConfirmation
	var err error
	if v.Requirements, err = s.requirements(ctx, v.Sol); err != nil {
		return err
	}
	// The pre-check helps fix a bid before the deadline; after it the
	// evaluation, not the pre-check, says where each candidate stands.
	if v.Sealed {
		if v.Prechecks, err = s.Store.Prechecks(ctx, v.Bid.ID); err != nil {
			return err
		}
	}
	cls, err := s.Store.Clarifications(ctx, v.Bid.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, cand := range v.Bid.Candidates {
		names[cand.ID] = cand.Name
	}
	for _, cl := range cls {
		v.Clarifications = append(v.Clarifications, ClarificationItem{Clarification: cl, Candidate: cmp.Or(names[cl.CandidateID], cl.CandidateID),
			Open: cl.AnsweredAt == nil && cl.ExpiredAt == nil})
	}
	if !Closed(v.Sol) {
		return nil
	}
	awards, err := s.Store.Awards(ctx, v.Sol.ID)
	if err != nil {
		return err
	}
	// The ranking names the awarded candidate; without it the id stands in.
	ranking, rerr := s.Store.Ranking(ctx, v.Sol.ID)
	if rerr != nil {
		ranking = nil
	}
	for _, a := range awards {
		if !awardPublic(a) {
			continue
		}
		out := &AwardOutcome{ID: a.ID, Status: a.Status, Ours: a.BidID == v.Bid.ID, StandstillUntil: a.StandstillUntil}
		out.CanNotify = out.Ours && a.Status == domain.AwardAwarded
		// The winning candidate's name is public once the award stands (it is
		// in the notice); during the standstill losing vendors need it to protest.
		out.Candidate = a.CandidateID
		if i := slices.IndexFunc(ranking, func(r domain.RankedCandidate) bool { return r.CandidateID == a.CandidateID }); i >= 0 {
			out.Candidate = ranking[i].Name
		}
		if a.Status == domain.AwardAwarded {
			out.NoticeURL = noticeURL(v.Sol.ID)
		}
		v.Award = out
	}
	return nil
}

// awardPublic says whether an award is known outside the agency: once the
// reviewers approved it, it stands in standstill or is awarded.
func awardPublic(a domain.Award) bool {
	return a.Status == domain.AwardStandstill || a.Status == domain.AwardAwarded
}

// ---- reviewers' pages ------------------------------------------------------------

// InboxItem is an open task with whether it is overdue.
type InboxItem struct {
	domain.Task
	Overdue bool
}

// Inbox lists the open tasks u may see, soonest due first (tasks without a
// due time after them, oldest first), overdue ones marked.
func (s *Service) Inbox(ctx context.Context, u domain.User) ([]InboxItem, error) {
	tasks, err := s.Tasks(ctx, u)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(tasks, func(a, b domain.Task) int {
		switch {
		case a.DueAt != nil && b.DueAt != nil && !a.DueAt.Equal(*b.DueAt):
			return a.DueAt.Compare(*b.DueAt)
		case a.DueAt != nil && b.DueAt == nil:
			return -1
		case a.DueAt == nil && b.DueAt != nil:
			return 1
		}
		return a.CreatedAt.Compare(b.CreatedAt)
	})
	now := s.Now()
	items := make([]InboxItem, 0, len(tasks))
	for _, t := range tasks {
		items = append(items, InboxItem{Task: t, Overdue: t.DueAt != nil && t.DueAt.Before(now)})
	}
	return items, nil
}

// TaskPage is a task with its decisions so far and what u may do about it.
type TaskPage struct {
	Task      domain.Task
	Decisions []domain.Decision
	Reasons   ReasonCodes
	Overdue   bool
	CanDecide bool
	// CanClarify: the reviewer may ask the vendor about a candidate (not
	// about an award).
	CanClarify bool
	// Award is the recommendation an award-approval task asks about.
	Award *AwardRow
	// Sol is the solicitation the task serves and Uses its declared
	// intended uses: what license use restrictions are judged against.
	Sol  domain.Solicitation
	Uses []string
	// CanManage: the officer of the agency may assign another eligible
	// reviewer of another team to the open task, or approve with a
	// documented exception; Assignable are the reviewers the officer may assign.
	CanManage  bool
	Assignable []domain.User
	// Attestations are the candidate's answers to the contract terms the
	// solicitation's packs ask about, beside the findings they bear on.
	Attestations []domain.Attestation
	// BaseModels are the models the candidate derives from: its lineage,
	// whose license duties the license review weighed.
	BaseModels []domain.BaseModel
	// Signature is the verdict on the candidate's model signature, and the
	// vendor identity that verified it.
	Signature *ModelSignature
	// Names are the emails of the people the page mentions (reviewers who
	// decided, the officer who recommended), by user id.
	Names map[string]string
}

// Name is what the task page calls user id: their email, or the id when
// the user is unknown.
func (p TaskPage) Name(id string) string { return cmp.Or(p.Names[id], id) }

// ReasonCodes are the reason codes a reviewer picks from, by verdict.
type ReasonCodes struct{ Approve, Reject []string }

// TaskPage gathers a task's page for u.
func (s *Service) TaskPage(ctx context.Context, u domain.User, taskID string) (TaskPage, error) {
	t, decisions, err := s.Task(ctx, u, taskID)
	if err != nil {
		return TaskPage{}, err
	}
	canDecide, err := s.Allowed(ctx, u, "task:decide")
	if err != nil {
		return TaskPage{}, err
	}
	sol, err := s.Store.Solicitation(ctx, t.SolicitationID)
	if err != nil {
		return TaskPage{}, err
	}
	decidedByMe := slices.ContainsFunc(decisions, func(d domain.Decision) bool { return d.ReviewerID == u.ID })
	v := TaskPage{
		Task: t, Decisions: decisions, Sol: sol,
		Reasons:   ReasonCodes{Approve: domain.ReasonCodes[domain.VerdictApprove], Reject: domain.ReasonCodes[domain.VerdictReject]},
		Overdue:   t.DueAt != nil && t.DueAt.Before(s.Now()),
		CanDecide: canDecide && t.Status == domain.TaskOpen && !decidedByMe,
		Signature: SignatureOf(t.Findings),
	}
	for _, id := range sol.UseCases {
		v.Uses = append(v.Uses, s.Licenses.UseCaseTitle(id))
	}
	v.CanClarify = v.CanDecide && t.Kind != domain.TaskAwardApproval
	if t.CandidateID != "" {
		cand, err := s.Store.Candidate(ctx, t.CandidateID)
		if err != nil {
			return v, err
		}
		v.Attestations, v.BaseModels = cand.Manifest.Attestations, cand.Manifest.BaseModels
	}
	if v.CanManage, err = s.Allowed(ctx, u, "task:assign"); err != nil {
		return v, err
	}
	v.CanManage = v.CanManage && t.Status == domain.TaskOpen && sol.AgencyOrgID == u.OrgID
	if v.CanManage {
		if v.Assignable, err = s.Store.AssignableReviewers(ctx, t); err != nil {
			return v, err
		}
	}
	if t.Kind == domain.TaskAwardApproval {
		if v.Award, err = s.recommendation(ctx, sol, t); err != nil {
			return v, err
		}
	}
	var ids []string
	for _, d := range decisions {
		ids = append(ids, d.ReviewerID)
	}
	if v.Award != nil {
		ids = append(ids, v.Award.RecommendedBy)
	}
	v.Names, err = s.Store.UserEmails(ctx, ids)
	return v, err
}

// recommendation is the award an award-approval task on sol is about, with
// the candidate's place in the ranking.
func (s *Service) recommendation(ctx context.Context, sol domain.Solicitation, t domain.Task) (*AwardRow, error) {
	awards, err := s.Store.Awards(ctx, sol.ID)
	if err != nil {
		return nil, err
	}
	// The newest recommendation of this candidate is the one under review.
	var award *domain.Award
	for i := range awards {
		if awards[i].CandidateID == t.CandidateID {
			award = &awards[i]
		}
	}
	if award == nil {
		return nil, nil
	}
	ranking, err := s.rankingRows(ctx, sol)
	if err != nil {
		return nil, err
	}
	row := newAwardRow(*award, ranking)
	return &row, nil
}

// Conflicts is a reviewer's declared conflicts of interest and the vendor
// organisations that have bid, with which a conflict may be declared.
type Conflicts struct {
	Declared      []store.DeclaredConflict
	Organisations []domain.Organisation
}

// Conflicts gathers u's conflicts page.
func (s *Service) Conflicts(ctx context.Context, u domain.User) (Conflicts, error) {
	if err := s.Authorize(ctx, u, "conflict:declare"); err != nil {
		return Conflicts{}, err
	}
	var v Conflicts
	var err error
	if v.Declared, err = s.Store.DeclaredConflicts(ctx, u.ID); err != nil {
		return v, err
	}
	orgs, err := s.Store.BiddingOrganisations(ctx)
	if err != nil {
		return v, err
	}
	for _, o := range orgs {
		if !slices.ContainsFunc(v.Declared, func(d store.DeclaredConflict) bool { return d.Organisation.ID == o.ID }) {
			v.Organisations = append(v.Organisations, o)
		}
	}
	return v, nil
}

// AuditRow is an audit event as the audit page lists it: with the policy
// revision it names and the gist of its details.
type AuditRow struct {
	store.AuditEvent
	ActorName      string // the actor's email, or "system"
	Subject        string // the subject in words: "bid of Northwind Models Inc." rather than its id
	PolicyRevision string
	Summary        string
}

// AuditPage is a solicitation's audit trail as the auditor's page shows
// it: the chain's status, and the events of one action ("" for all) whose
// actor, subject or gist contains Query, out of Total.
type AuditPage struct {
	Sol     domain.Solicitation
	Chain   store.ChainStatus
	Events  []AuditRow
	Actions []string // every action the trail holds
	Action  string
	Query   string
	Total   int
}

// AuditPage is u's audit page of a solicitation: the events of action
// ("" for all) that contain query, actors named by email.
func (s *Service) AuditPage(ctx context.Context, u domain.User, solicitationID, action, query string) (AuditPage, error) {
	t, err := s.AuditTrail(ctx, u, solicitationID)
	if err != nil {
		return AuditPage{}, err
	}
	var ids []string
	for _, e := range t.Events {
		if !slices.Contains(ids, e.Actor) {
			ids = append(ids, e.Actor)
		}
	}
	names, err := s.Store.UserEmails(ctx, ids)
	if err != nil {
		return AuditPage{}, err
	}
	return t.Filter(action, query, names), nil
}

// Filter is the audit page of the trail's events of action that contain
// query in their actor (id or name), subject or gist; names maps user ids
// to what the page calls them.
func (t Trail) Filter(action, query string, names map[string]string) AuditPage {
	p := AuditPage{Sol: t.Solicitation, Chain: t.Chain, Action: action, Query: strings.TrimSpace(query), Total: len(t.Events)}
	query = strings.ToLower(p.Query)
	for _, e := range t.Events {
		if !slices.Contains(p.Actions, e.Action) {
			p.Actions = append(p.Actions, e.Action)
		}
		row := AuditRow{AuditEvent: e, Summary: auditSummary(e.Detail), ActorName: cmp.Or(names[e.Actor], e.Actor),
			Subject: strings.ReplaceAll(e.SubjectType, "_", " ")}
		row.PolicyRevision, _ = e.Detail["policy_revision"].(string)
		if action != "" && e.Action != action {
			continue
		}
		if query != "" && !strings.Contains(strings.ToLower(e.Actor+" "+row.ActorName+" "+e.SubjectType+" "+e.SubjectID+" "+row.Summary), query) {
			continue
		}
		p.Events = append(p.Events, row)
	}
	slices.Sort(p.Actions)
	return p
}

// auditSummary is the one-line gist of an event's details.
func auditSummary(d map[string]any) string {
	var parts []string
	for _, k := range []string{"stage", "status", "kind", "verdict", "reason_code", "comment", "outcome", "score", "findings_hash", "deadline"} {
		if v, ok := d[k]; ok && v != nil && v != "" {
			parts = append(parts, k+": "+fmtDetail(v))
		}
	}
	return strings.Join(parts, " · ")
}

func fmtDetail(v any) string {
	switch x := v.(type) {
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.UTC().Format("2 Jan 2006 15:04 MST")
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// ---- license texts ------------------------------------------------------------------

// LicenseText is a license of the knowledge base with its vendored texts,
// each cut into passages so that the quotes its clause facts rest on can
// be marked and linked to (#clause-<clause>).
type LicenseText struct {
	ID, Name string
	Texts    []LicenseDocument
}

// LicenseDocument is one vendored text: the license, or a document it
// incorporates (an acceptable use policy).
type LicenseDocument struct {
	File     string
	Passages []LicensePassage
}

// LicensePassage is plain text, or a quote that findings on Clauses cite;
// Anchors are the clauses whose first quote on the page it is.
type LicensePassage struct {
	Text             string
	Clauses, Anchors []string
}

// LicenseText reads the knowledge base's license id and its vendored texts.
func (s *Service) LicenseText(id string) (LicenseText, error) {
	var kb struct {
		Licenses []struct {
			ID     string   `json:"id"`
			Name   string   `json:"name"`
			Texts  []string `json:"texts"`
			Quotes []struct {
				Clause, File, Text string
			} `json:"quotes"`
		} `json:"licenses"`
	}
	data := policies.Data()
	raw, err := fs.ReadFile(data, "ai-licenses.json")
	if err != nil {
		return LicenseText{}, fmt.Errorf("read the license knowledge base: %w", err)
	}
	if err := json.Unmarshal(raw, &kb); err != nil {
		return LicenseText{}, fmt.Errorf("read the license knowledge base: %w", err)
	}
	for _, e := range kb.Licenses {
		if e.ID != id {
			continue
		}
		v := LicenseText{ID: e.ID, Name: e.Name}
		anchored := map[string]bool{}
		for _, file := range e.Texts {
			text, err := fs.ReadFile(data, file)
			if err != nil {
				return v, fmt.Errorf("read the license text %s: %w", file, err)
			}
			doc := LicenseDocument{File: file, Passages: []LicensePassage{{Text: string(text)}}}
			for _, q := range e.Quotes {
				if q.File == file {
					doc.Passages = markQuote(doc.Passages, q.Text, q.Clause, anchored)
				}
			}
			v.Texts = append(v.Texts, doc)
		}
		return v, nil
	}
	return LicenseText{}, domain.Errorf(domain.ErrNotFound, "modeltender's license knowledge base has no license %q: the finding names the license it quotes in its source", id)
}

// markQuote finds quote in the plain passages, matching any run of white
// space in the text to any in the quote (the knowledge base quotes
// wrapped lines as one line), and cuts it out as a quote of clause.
func markQuote(ps []LicensePassage, quote, clause string, anchored map[string]bool) []LicensePassage {
	words := strings.Fields(quote)
	if len(words) == 0 {
		return ps
	}
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	re, err := regexp.Compile(strings.Join(words, `\s+`))
	if err != nil {
		return ps
	}
	anchor := func(p *LicensePassage) {
		p.Clauses = append(p.Clauses, clause)
		if !anchored[clause] {
			p.Anchors = append(p.Anchors, clause)
			anchored[clause] = true
		}
	}
	for i := range ps {
		if len(ps[i].Clauses) > 0 {
			// Two clauses may rest on the same passage (a user cap that
			// restricts commercial use): the quote is marked once for both.
			if re.FindStringIndex(ps[i].Text) != nil {
				anchor(&ps[i])
				return ps
			}
			continue
		}
		loc := re.FindStringIndex(ps[i].Text)
		if loc == nil {
			continue
		}
		quote := LicensePassage{Text: ps[i].Text[loc[0]:loc[1]]}
		anchor(&quote)
		cut := []LicensePassage{{Text: ps[i].Text[:loc[0]]}, quote, {Text: ps[i].Text[loc[1]:]}}
		return slices.Concat(ps[:i], cut, ps[i+1:])
	}
	return ps
}
