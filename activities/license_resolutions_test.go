package activities

import (
	"context"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/manifest"
)

// A reviewer's resolution of a Llama 3.1 clause is remembered and offered on
// the next review of the same license text, with who decided and why; the
// next review still needs a reviewer.
func TestLicenseResolutionsAreOfferedNotApplied(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m := f.bid.Candidates[0].Manifest
	m.Weights.License = "LicenseRef-Llama-3.1-Community"
	f.bid.Candidates[0].Manifest, f.bid.Candidates[0].ManifestHash = m, manifest.Hash(m)
	if err := f.acts.RecordBid(ctx, f.bid); err != nil {
		t.Fatal(err)
	}
	in := contract.LicenseReviewInput{Manifest: m, Criteria: domain.Criteria{SolicitationID: f.ref.SolicitationID, RiskTier: domain.RiskStandard, ExpectedMonthlyUsers: 1000}}
	first, err := f.acts.ReviewLicense(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Resolvable) == 0 || len(first.PriorResolutions) != 0 {
		t.Fatalf("first review: resolvable %d, prior %d", len(first.Resolvable), len(first.PriorResolutions))
	}
	var shown []domain.Finding
	for _, r := range first.Resolvable {
		shown = append(shown, r.Finding)
	}
	task := domain.Task{ID: "tsk-cnd_1-1", Kind: domain.TaskLicenseResolution, SolicitationID: f.ref.SolicitationID, BidID: f.bid.ID,
		CandidateID: f.ref.CandidateID, VendorOrgID: f.ref.VendorOrgID, WorkflowID: f.ref.WorkflowID, Title: "t",
		Findings: shown, FindingsHash: domain.HashFindings(shown), Approvals: 1, CreatedAt: at}
	if err := f.acts.OpenTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	d := domain.Decision{TaskID: task.ID, ReviewerID: f.reviewer.ID, ReviewerRole: domain.RoleReviewer, Verdict: domain.VerdictApprove,
		ReasonCode: "accepted-for-intended-use", Comment: "the service will say Built with Llama", FindingsHash: task.FindingsHash, DecidedAt: at}
	for range 2 { // idempotent
		if err := f.acts.RecordDecision(ctx, contract.DecisionRecord{SolicitationID: f.ref.SolicitationID, Decision: d, ClosesTask: true}); err != nil {
			t.Fatal(err)
		}
	}
	again, err := f.acts.ReviewLicense(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.PriorResolutions) != len(first.Resolvable) || !again.NeedsResolution {
		t.Fatalf("second review: %d prior resolutions for %d resolvable, needs resolution %v", len(again.PriorResolutions), len(first.Resolvable), again.NeedsResolution)
	}
	p := again.PriorResolutions[0]
	if p.ReviewerID != f.reviewer.ID || p.ReasonCode != "accepted-for-intended-use" || p.TaskID != task.ID {
		t.Errorf("prior resolution %+v", p)
	}
	offered := 0
	for _, fd := range again.Findings {
		if strings.Contains(fd.Fix, "Prior resolution offered for reuse (not applied)") && strings.Contains(fd.Fix, "Built with Llama") {
			offered++
		}
	}
	if offered != len(first.Resolvable) {
		t.Errorf("%d findings carry the prior resolution, want %d", offered, len(first.Resolvable))
	}
	// Another use-case class is not offered the decision.
	in.Criteria.RiskTier = domain.RiskHighImpact
	if high, err := f.acts.ReviewLicense(ctx, in); err != nil || len(high.PriorResolutions) != 0 {
		t.Errorf("high-impact review: %v, %d prior resolutions", err, len(high.PriorResolutions))
	}
}
