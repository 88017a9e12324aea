package store

import (
	"context"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// The ranking lists the ranked candidates best first, whatever order they
// were saved in; a candidate saved again keeps its latest place.
func TestRanking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	a := m.bid(t, "bid_a", m.sellerA, at, "a1", "a2")
	b := m.bid(t, "bid_b", m.sellerB, at, "b1")
	for _, c := range []domain.Candidate{a.Candidates[0], a.Candidates[1], b.Candidates[0]} {
		requireNoError(t, m.st.StartEvaluation(ctx, c.ID, c.BidID, m.sol.ID, "evaluation/"+c.ID, "rev-1", at))
	}
	save := func(c domain.Candidate, rank int, total float64) {
		requireNoError(t, m.st.SaveRanking(ctx, domain.RankedCandidate{Rank: rank, CandidateID: c.ID, BidID: c.BidID, Name: c.Name,
			Total: total, Breakdown: map[string]float64{"openness": total / 2}, Price: &domain.Money{Amount: total, Currency: "USD"}}))
	}
	save(b.Candidates[0], 10, 10)
	save(a.Candidates[0], 9, 20)
	save(a.Candidates[0], 1, 90)
	r, err := m.st.Ranking(ctx, m.sol.ID)
	requireNoError(t, err)
	if got := ids(r, func(c domain.RankedCandidate) string { return c.Name }); got != "a1,b1" {
		t.Fatalf("ranking %s, want a1,b1 (unranked a2 left out)", got)
	}
	if r[0].Total != 90 || r[0].Breakdown["openness"] != 45 || r[0].Price == nil || r[0].Price.Amount != 90 {
		t.Errorf("ranked candidate read back as %+v", r[0])
	}
	save(a.Candidates[1], 9, 15)
	r, _ = m.st.Ranking(ctx, m.sol.ID)
	if got := ids(r, func(c domain.RankedCandidate) string { return c.Name }); got != "a1,a2,b1" {
		t.Errorf("ranking %s, want a1,a2,b1: rank 10 sorts after rank 9", got)
	}
}

// An award is recommended once per id and moves through its states; the
// final ones record when they were decided, standstill keeps its end.
func TestAwards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	b := m.bid(t, "bid_a", m.sellerA, at, "a1")
	award := domain.Award{ID: "awd_1", SolicitationID: m.sol.ID, BidID: b.ID, CandidateID: b.Candidates[0].ID,
		Status: domain.AwardPendingApproval, Rationale: "best open model", RecommendedBy: m.officer.ID, RecommendedAt: at}
	requireNoError(t, m.st.InsertAward(ctx, award))
	retry := award
	retry.Rationale = "changed"
	requireNoError(t, m.st.InsertAward(ctx, retry))
	later := award
	later.ID, later.RecommendedAt, later.Status = "awd_0", at.Add(time.Hour), domain.AwardPendingApproval
	requireNoError(t, m.st.InsertAward(ctx, later))

	until := at.Add(10 * 24 * time.Hour)
	requireNoError(t, m.st.SetAwardStatus(ctx, "awd_1", domain.AwardStandstill, &until, at.Add(time.Hour)))
	list, err := m.st.Awards(ctx, m.sol.ID)
	requireNoError(t, err)
	if got := ids(list, func(a domain.Award) string { return a.ID }); got != "awd_1,awd_0" {
		t.Fatalf("awards %s, want awd_1,awd_0 (recommendation time)", got)
	}
	if a := list[0]; a.Rationale != "best open model" || a.Status != domain.AwardStandstill || a.StandstillUntil == nil ||
		!a.StandstillUntil.Equal(until) || a.DecidedAt != nil {
		t.Errorf("award in standstill %+v", a)
	}
	requireNoError(t, m.st.SetAwardStatus(ctx, "awd_1", domain.AwardAwarded, nil, until))
	list, _ = m.st.Awards(ctx, m.sol.ID)
	if a := list[0]; a.Status != domain.AwardAwarded || a.StandstillUntil == nil || a.DecidedAt == nil || !a.DecidedAt.Equal(until) {
		t.Errorf("awarded %+v, want the standstill end kept and decided_at set", a)
	}
	requireFails(t, m.st.SetAwardStatus(ctx, "awd_0", "won", nil, at), "set award awd_0 to won")
	bad := award
	bad.ID, bad.CandidateID = "awd_bad", "cnd_ghost"
	requireFails(t, m.st.InsertAward(ctx, bad), "store award awd_bad")
	if n := count(t, m.st, "awards", ""); n != 2 {
		t.Errorf("%d awards, want 2", n)
	}
}

// A protest is filed once per id and decided once; protests list oldest first.
func TestProtests(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	b := m.bid(t, "bid_a", m.sellerA, at, "a1")
	requireNoError(t, m.st.InsertAward(ctx, domain.Award{ID: "awd_1", SolicitationID: m.sol.ID, BidID: b.ID, CandidateID: b.Candidates[0].ID,
		Status: domain.AwardStandstill, Rationale: "r", RecommendedBy: m.officer.ID, RecommendedAt: at}))
	file := func(id string, filed time.Time, grounds string) {
		requireNoError(t, m.st.InsertProtest(ctx, domain.Protest{ID: id, SolicitationID: m.sol.ID, AwardID: "awd_1",
			VendorOrgID: m.vendorB.ID, FiledBy: m.sellerB.ID, Grounds: grounds, FiledAt: filed}))
	}
	file("prt_2", at.Add(2*time.Hour), "scoring error")
	file("prt_1", at.Add(time.Hour), "late bid accepted")
	file("prt_1", at, "a retry")
	requireNoError(t, m.st.DecideProtest(ctx, "prt_1", domain.ProtestDismissed, "bid was on time", m.officer.ID, at.Add(3*time.Hour)))
	requireNoError(t, m.st.DecideProtest(ctx, "prt_1", domain.ProtestUpheld, "changed mind", m.officer.ID, at.Add(4*time.Hour)))
	requireFails(t, m.st.DecideProtest(ctx, "prt_2", "shrugged", "?", m.officer.ID, at), "decide protest prt_2")

	ps, err := m.st.Protests(ctx, m.sol.ID)
	requireNoError(t, err)
	if got := ids(ps, func(p domain.Protest) string { return p.ID }); got != "prt_1,prt_2" {
		t.Fatalf("protests %s, want prt_1,prt_2", got)
	}
	if p := ps[0]; p.Grounds != "late bid accepted" || p.Outcome != domain.ProtestDismissed || p.Decision != "bid was on time" ||
		p.DecidedBy != m.officer.ID || p.DecidedAt == nil {
		t.Errorf("decided protest %+v, want the first filing and the first decision", p)
	}
	if p := ps[1]; p.Outcome != "" || p.DecidedAt != nil {
		t.Errorf("undecided protest %+v", p)
	}
}

// A clarification is asked once, then answered or expired, never both.
func TestClarifications(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	b := m.bid(t, "bid_a", m.sellerA, at, "a1", "a2")
	createTasks(t, m.st, candidateTask(m, "tsk_1", b, at))
	ask := func(id, candidateID string, asked time.Time) {
		requireNoError(t, m.st.InsertClarification(ctx, domain.Clarification{ID: id, CandidateID: candidateID, TaskID: "tsk_1",
			VendorOrgID: m.vendorA.ID, AskedBy: m.reviewer.ID, Question: "which data?", AskedAt: asked, DueAt: asked.Add(72 * time.Hour)}))
	}
	ask("clr_2", b.Candidates[1].ID, at.Add(time.Hour))
	ask("clr_1", b.Candidates[0].ID, at)
	ask("clr_1", b.Candidates[1].ID, at.Add(5*time.Hour))

	requireNoError(t, m.st.CloseClarification(ctx, "clr_1", "public web crawl", m.sellerA.ID, at.Add(2*time.Hour)))
	requireNoError(t, m.st.CloseClarification(ctx, "clr_1", "", "", at.Add(80*time.Hour)))
	requireNoError(t, m.st.CloseClarification(ctx, "clr_2", "", "", at.Add(80*time.Hour)))
	requireNoError(t, m.st.CloseClarification(ctx, "clr_2", "too late", m.sellerA.ID, at.Add(81*time.Hour)))

	one, err := m.st.Clarification(ctx, "clr_1")
	requireNoError(t, err)
	if one.CandidateID != b.Candidates[0].ID || one.Answer != "public web crawl" || one.AnsweredBy != m.sellerA.ID || one.ExpiredAt != nil {
		t.Errorf("answered clarification %+v, want the answer and no expiry", one)
	}
	list, err := m.st.Clarifications(ctx, b.ID)
	requireNoError(t, err)
	if got := ids(list, func(c domain.Clarification) string { return c.ID }); got != "clr_1,clr_2" {
		t.Fatalf("clarifications %s, want clr_1,clr_2", got)
	}
	if two := list[1]; two.Answer != "" || two.AnsweredAt != nil || two.ExpiredAt == nil || !two.ExpiredAt.Equal(at.Add(80*time.Hour)) {
		t.Errorf("expired clarification %+v, want no answer after expiry", two)
	}
	_, err = m.st.Clarification(ctx, "clr_ghost")
	requireKind(t, err, domain.ErrNotFound)
	if list, err := m.st.Clarifications(ctx, "bid_ghost"); err != nil || len(list) != 0 {
		t.Errorf("clarifications of an unknown bid: %v %v", list, err)
	}
}

// Notices are kept per release; the latest is the newest published.
func TestNotices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	_, err := m.st.LatestNotice(ctx, m.sol.ID)
	requireKind(t, err, domain.ErrNotFound)
	requireNoError(t, m.st.SaveNotice(ctx, m.sol.ID, "ocds-1", []byte(`{"tag": ["tender"]}`), at))
	requireNoError(t, m.st.SaveNotice(ctx, m.sol.ID, "ocds-2", []byte(`{"tag": ["award"]}`), at.Add(time.Hour)))
	requireNoError(t, m.st.SaveNotice(ctx, m.sol.ID, "ocds-2", []byte(`{"tag": ["retry"]}`), at.Add(2*time.Hour)))
	doc, err := m.st.LatestNotice(ctx, m.sol.ID)
	requireNoError(t, err)
	if string(doc) != `{"tag": ["award"]}` {
		t.Errorf("latest notice %s, want the award release as first saved", doc)
	}
	requireFails(t, m.st.SaveNotice(ctx, m.sol.ID, "ocds-bad", []byte(`{not json`), at), "save notice ocds-bad")
}

// Organisation reads one organisation; an unknown id is not found.
func TestOrganisation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	o, err := m.st.Organisation(ctx, m.vendorA.ID)
	requireNoError(t, err)
	if o != m.vendorA {
		t.Errorf("organisation %+v, want %+v", o, m.vendorA)
	}
	_, err = m.st.Organisation(ctx, "org_ghost")
	requireKind(t, err, domain.ErrNotFound)
}

// The manifest an evaluation runs on is the latest amended one, else the
// submitted one; an amendment is stored once per clarification.
func TestCurrentManifest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	b := m.bid(t, "bid_a", m.sellerA, at, "a1")
	c := b.Candidates[0]
	createTasks(t, m.st, candidateTask(m, "tsk_1", b, at))
	for _, id := range []string{"clr_1", "clr_2"} {
		requireNoError(t, m.st.InsertClarification(ctx, domain.Clarification{ID: id, CandidateID: c.ID, TaskID: "tsk_1",
			VendorOrgID: m.vendorA.ID, AskedBy: m.reviewer.ID, Question: "?", AskedAt: at, DueAt: at.Add(time.Hour)}))
	}
	got, hash, err := m.st.CurrentManifest(ctx, c.ID)
	requireNoError(t, err)
	if got.Name != "a1" || hash != c.ManifestHash {
		t.Errorf("before amendments: %s %s, want the submitted manifest", got.Name, hash)
	}
	requireNoError(t, m.st.AmendManifest(ctx, c.ID, "clr_2", manifest("a1-v3"), "sha256:v3", at.Add(3*time.Hour)))
	requireNoError(t, m.st.AmendManifest(ctx, c.ID, "clr_1", manifest("a1-v2"), "sha256:v2", at.Add(2*time.Hour)))
	requireNoError(t, m.st.AmendManifest(ctx, c.ID, "clr_2", manifest("a1-retry"), "sha256:retry", at.Add(4*time.Hour)))
	got, hash, err = m.st.CurrentManifest(ctx, c.ID)
	requireNoError(t, err)
	if got.Name != "a1-v3" || hash != "sha256:v3" {
		t.Errorf("after amendments: %s %s, want the latest amended manifest a1-v3", got.Name, hash)
	}
	if sub, _ := m.st.Candidate(ctx, c.ID); sub.Manifest.Name != "a1" {
		t.Errorf("an amendment changed the submitted manifest to %s", sub.Manifest.Name)
	}
	_, _, err = m.st.CurrentManifest(ctx, "cnd_ghost")
	requireKind(t, err, domain.ErrNotFound)
	bad := manifest("a1-nul")
	bad.Description = "nul\x00"
	requireFails(t, m.st.AmendManifest(ctx, c.ID, "clr_1x", bad, "sha256:x", at), "amend manifest of "+c.ID)
}

// Progress counts bids that are not withdrawn (and one organisation's),
// shows the latest award and the protests waiting for a decision, for every
// solicitation.
func TestSolicitationProgress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	idle := m.draft(t, "sol_idle", at)
	a := m.bid(t, "bid_a", m.sellerA, at, "a1")
	m.bid(t, "bid_b", m.sellerB, at, "b1")
	m.bid(t, "bid_c", m.sellerB, at, "c1")
	requireNoError(t, m.st.SetBidStatus(ctx, "bid_c", "withdrawn", at))
	until := at.Add(240 * time.Hour)
	for i, id := range []string{"awd_old", "awd_new"} {
		requireNoError(t, m.st.InsertAward(ctx, domain.Award{ID: id, SolicitationID: m.sol.ID, BidID: a.ID, CandidateID: a.Candidates[0].ID,
			Status: domain.AwardRejected, Rationale: "r", RecommendedBy: m.officer.ID, RecommendedAt: at.Add(time.Duration(i) * time.Hour)}))
	}
	requireNoError(t, m.st.SetAwardStatus(ctx, "awd_new", domain.AwardStandstill, &until, at))
	for _, id := range []string{"prt_1", "prt_2"} {
		requireNoError(t, m.st.InsertProtest(ctx, domain.Protest{ID: id, SolicitationID: m.sol.ID, AwardID: "awd_new",
			VendorOrgID: m.vendorB.ID, FiledBy: m.sellerB.ID, Grounds: "g", FiledAt: at}))
	}
	requireNoError(t, m.st.DecideProtest(ctx, "prt_1", domain.ProtestDismissed, "d", m.officer.ID, at))

	p, err := m.st.SolicitationProgress(ctx, m.vendorB.ID)
	requireNoError(t, err)
	got := p[m.sol.ID]
	if got.Bids != 2 || got.OwnBids != 1 || got.Award != domain.AwardStandstill || got.StandstillUntil == nil ||
		!got.StandstillUntil.Equal(until) || got.OpenProtests != 1 {
		t.Errorf("progress %+v, want 2 bids, 1 own, the newest award in standstill and 1 open protest", got)
	}
	if got := p[idle.ID]; got != (Progress{}) {
		t.Errorf("progress of an idle draft %+v, want zero", got)
	}
	if len(p) != 2 {
		t.Errorf("progress of %d solicitations, want 2", len(p))
	}
	if p, _ := m.st.SolicitationProgress(ctx, ""); p[m.sol.ID].OwnBids != 0 {
		t.Errorf("own bids without an organisation: %d", p[m.sol.ID].OwnBids)
	}
}
