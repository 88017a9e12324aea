package activities

import (
	"context"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/ocds"
	"github.com/modeltender/modeltender/internal/store"
)

// The notice reads each bid's price and evaluation, the award's standstill
// and the protests from the store, and publishes each in the state that may
// disclose it.
func TestNoticeRecordFromTheStore(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.acts.OCIDPrefix, f.acts.PublicURL = "ocds-mtdr01", "https://tender.example.gov"
	unattested := domain.Finding{Rule: "packs.attestation-missing", Severity: domain.SeverityWarn, Message: "not attested",
		Evidence: domain.Evidence{Component: "noncompliance-corrective-action", Clause: "omb-m-26-04"}, Source: "OMB M-26-04"}
	f.bid.Price = &domain.Money{Amount: 250000, Currency: "USD"}
	missing := domain.Finding{Rule: "safety.evidence-missing", Severity: domain.SeverityWarn, Message: "no red-team report",
		Evidence: domain.Evidence{Component: "red-team-report"}, Source: "NIST AI RMF MEASURE 2.7"}
	until := at.Add(10 * 24 * time.Hour)
	filed := at.Add(2 * 24 * time.Hour)
	sid := f.ref.SolicitationID
	award := domain.Award{ID: "awd_1", SolicitationID: sid, BidID: f.bid.ID, CandidateID: "cnd_1", Status: domain.AwardPendingApproval,
		Rationale: "best value", RecommendedBy: f.officer.ID, RecommendedAt: at}
	for _, step := range []func() error{
		func() error {
			sol, err := f.st.Solicitation(ctx, sid)
			if err != nil {
				return err
			}
			sol.MinimumOpennessClass = "III"
			sol.LargeLanguageModel, sol.Packs = true, []string{"omb-m-26-04"}
			return f.st.UpdateDraft(ctx, sol, store.AuditEvent{Key: "edited/" + sid, At: at, Actor: f.officer.ID, Action: "solicitation.edited",
				SubjectType: "solicitation", SubjectID: sid, SolicitationID: sid})
		},
		func() error { return f.acts.RecordBid(ctx, f.bid) },
		func() error {
			return f.acts.SetSolicitationStatus(ctx, contract.StatusChange{SolicitationID: sid, Status: domain.SolicitationClosed, At: at})
		},
		func() error { return f.acts.StartEvaluation(ctx, f.ref, "sha256:rev", at) },
		func() error {
			return f.acts.RecordStage(ctx, f.ref, domain.StageUpdate{Stage: domain.StageLicense, Status: domain.StagePassed, At: at})
		},
		func() error {
			return f.acts.RecordStage(ctx, f.ref, domain.StageUpdate{Stage: domain.StagePolicy, Status: domain.StagePassed,
				Findings: []domain.Finding{missing, unattested}, Detail: map[string]any{"openness_class": "II"}, At: at})
		},
		func() error {
			return f.acts.CompleteEvaluation(ctx, f.ref, contract.Outcome{Outcome: domain.OutcomeQualified, Score: 40, At: at})
		},
		func() error { return f.acts.RecordAward(ctx, award) },
		func() error {
			return f.acts.SetAwardStatus(ctx, contract.AwardStatusChange{SolicitationID: sid, AwardID: award.ID, Status: domain.AwardStandstill,
				StandstillUntil: &until, At: at})
		},
		func() error {
			return f.acts.SetSolicitationStatus(ctx, contract.StatusChange{SolicitationID: sid, Status: domain.SolicitationStandstill, At: at})
		},
		func() error {
			return f.acts.RecordProtest(ctx, domain.Protest{ID: "prt_1", SolicitationID: sid, AwardID: award.ID, VendorOrgID: f.ref.VendorOrgID,
				FiledBy: f.bid.SubmittedBy, Grounds: "confidential grounds", FiledAt: filed})
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}

	n, err := f.acts.notice(ctx, sid, filed)
	if err != nil {
		t.Fatal(err)
	}
	if len(n.RequiredEvidence) == 0 || len(n.Protests) != 1 || n.Protests[0].Vendor.Name != "Vendor" {
		t.Fatalf("evidence %+v protests %+v", n.RequiredEvidence, n.Protests)
	}
	pkg, err := ocds.Build(n)
	if err != nil {
		t.Fatal(err)
	}
	r := pkg.Releases[0]
	bid := r.Bids.Details[0]
	if bid.Value != nil {
		t.Errorf("bid value %+v, want no price: the table keeps prices from the public", bid.Value)
	}
	if bid.RequirementResponses != nil {
		t.Errorf("responses published before the award stands: %+v", bid.RequirementResponses)
	}
	aw := r.Awards[0]
	if aw.ComplaintPeriod == nil || aw.ComplaintPeriod.EndDate != until.Format(time.RFC3339) {
		t.Errorf("complaint period %+v, want the standstill to %s", aw.ComplaintPeriod, until)
	}
	if len(aw.Complaints) != 1 || aw.Complaints[0].Status != "claim" || aw.Complaints[0].Author.ID != f.ref.VendorOrgID {
		t.Errorf("complaints %+v", aw.Complaints)
	}

	// Once the award stands, the responses: license met, class II against
	// the minimum, the missing red-team report not met, and of the M-26-04
	// pack the documents met and the unattested term not.
	if err := f.acts.SetAwardStatus(ctx, contract.AwardStatusChange{SolicitationID: sid, AwardID: award.ID, Status: domain.AwardAwarded, At: until}); err != nil {
		t.Fatal(err)
	}
	if err := f.acts.SetSolicitationStatus(ctx, contract.StatusChange{SolicitationID: sid, Status: domain.SolicitationAwarded, At: until}); err != nil {
		t.Fatal(err)
	}
	if n, err = f.acts.notice(ctx, sid, until); err != nil {
		t.Fatal(err)
	}
	if pkg, err = ocds.Build(n); err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, rr := range pkg.Releases[0].Bids.Details[0].RequirementResponses {
		got[rr.Requirement.ID] = rr.Value
	}
	if got[ocds.RequirementLicense] != true || got[ocds.RequirementOpennessClass] != 2 ||
		got[ocds.EvidenceRequirementID("red-team-report")] != false || got[ocds.EvidenceRequirementID("model-card")] != true ||
		got[ocds.PackEvidenceRequirementID("omb-m-26-04", "feedback-mechanism")] != true ||
		got[ocds.PackTermRequirementID("omb-m-26-04", "noncompliance-corrective-action")] != false ||
		got[ocds.PackTermRequirementID("omb-m-26-04", "unbiased-ai-principles-accepted")] != true {
		t.Errorf("responses %v", got)
	}
	if c := pkg.Releases[0].Tender.Criteria; c[len(c)-1].ID != ocds.PackCriterionID("omb-m-26-04") {
		t.Errorf("the last criterion is %s, want the M-26-04 pack's", c[len(c)-1].ID)
	}
}
