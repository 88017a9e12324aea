package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// A candidate's pre-check is stored once; a bid's pre-checks cover its
// current candidates in order, with or without a completeness score.
func TestPrechecks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newMarket(t)
	b := m.bid(t, "bid_a", m.sellerA, at, "first", "second")
	save := func(c domain.Candidate, outcome string, completeness *domain.Completeness, lineage []domain.Lineage, checked time.Time) {
		requireNoError(t, m.st.SavePrecheck(ctx, domain.Precheck{CandidateID: c.ID, Outcome: outcome, Score: 0.75,
			Findings:       []domain.Finding{{Rule: "license.ok", Severity: domain.SeverityInfo, Message: "fine"}},
			PolicyRevision: "rev-1", CheckedAt: checked, Completeness: completeness, Lineage: lineage}))
	}
	llama := []domain.Lineage{{BaseModel: "meta-llama/Llama-3.1-8B", Relation: "finetune", Pattern: "meta-llama/Llama-3.1-*",
		BaseLicense: "LicenseRef-Llama-3.1", Verdict: domain.LineageMorePermissive, Dropped: []string{"attribution"}}}
	save(b.Candidates[1], "needs-review", nil, nil, at)
	save(b.Candidates[0], "pass", &domain.Completeness{Score: 80, Missing: []domain.MissingField{{Field: "training.data", What: "w", Fix: "f"}}}, llama, at)
	save(b.Candidates[0], "fail", nil, nil, at.Add(time.Hour))

	checks, err := m.st.Prechecks(ctx, b.ID)
	requireNoError(t, err)
	if got := ids(checks, func(p domain.Precheck) string { return p.CandidateName + "=" + p.Outcome }); got != "first=pass,second=needs-review" {
		t.Fatalf("pre-checks %s, want first=pass,second=needs-review (first kept, candidate order)", got)
	}
	first := checks[0]
	if first.Completeness == nil || first.Completeness.Score != 80 || len(first.Completeness.Missing) != 1 ||
		len(first.Findings) != 1 || first.Score != 0.75 || first.PolicyRevision != "rev-1" || !first.CheckedAt.Equal(at) ||
		!reflect.DeepEqual(first.Lineage, llama) {
		t.Errorf("pre-check read back as %+v", first)
	}
	if checks[1].Completeness != nil || checks[1].Lineage != nil {
		t.Errorf("a pre-check without completeness or lineage reads as %+v %+v", checks[1].Completeness, checks[1].Lineage)
	}

	requireNoError(t, m.st.ReviseBid(ctx, domain.Bid{ID: b.ID, Revision: 2, SubmittedAt: at.Add(time.Hour), Candidates: candidates("bid_a-r2", "third")}))
	if checks, err := m.st.Prechecks(ctx, b.ID); err != nil || len(checks) != 0 {
		t.Errorf("after a revision the superseded candidates' pre-checks still show: %+v %v", checks, err)
	}
	requireFails(t, m.st.SavePrecheck(ctx, domain.Precheck{CandidateID: "bid_a-r2-third", Outcome: "maybe", PolicyRevision: "rev-1", CheckedAt: at}),
		"save pre-check of bid_a-r2-third")
	requireFails(t, m.st.SavePrecheck(ctx, domain.Precheck{CandidateID: "cnd_ghost", Outcome: "pass", PolicyRevision: "rev-1", CheckedAt: at}),
		"save pre-check of cnd_ghost")
	if n := count(t, m.st, "prechecks", ""); n != 2 {
		t.Errorf("%d pre-checks, want 2", n)
	}
}
