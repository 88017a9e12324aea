package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
)

// An award pins the digests of the manifest its candidate was evaluated on
// (the amended one after a clarification), and the pin cannot be changed.
func TestAwardPinsTheEvaluatedManifest(t *testing.T) {
	f := newReviewFixture(t)
	ctx := context.Background()
	files := map[string]string{"model.safetensors": strings.Repeat("ab", 32), "config.json": strings.Repeat("cd", 32)}
	amended := domain.Manifest{SchemaVersion: "1", Name: "granite", Weights: domain.Weights{License: "Apache-2.0",
		Digest: "sha256:" + strings.Repeat("ef", 32), Files: files}}
	if err := f.st.InsertClarification(ctx, domain.Clarification{ID: "clr_1", CandidateID: "cnd_1", TaskID: f.task.ID,
		VendorOrgID: f.vendor.ID, AskedBy: f.r1.ID, Question: "which files?", AskedAt: at, DueAt: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.AmendManifest(ctx, "cnd_1", "clr_1", amended, "sha256:amended", at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	aw := domain.Award{ID: "awd_1", SolicitationID: "sol_1", BidID: "bid_1", CandidateID: "cnd_1", Status: domain.AwardPendingApproval,
		Rationale: "best", RecommendedBy: f.officer.ID, RecommendedAt: at.Add(2 * time.Minute)}
	if err := f.st.InsertAward(ctx, aw); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.Award(ctx, "awd_1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Pin == nil || got.Pin.ManifestHash != "sha256:amended" || got.Pin.WeightsDigest != amended.Weights.Digest ||
		len(got.Pin.Files) != 2 || got.Pin.Files["config.json"] != files["config.json"] {
		t.Fatalf("pin %+v", got.Pin)
	}
	pins, err := f.st.AwardPins(ctx, "sol_1")
	if err != nil || pins["awd_1"].ManifestHash != "sha256:amended" {
		t.Fatalf("pins %v, %v", pins, err)
	}
	// The award moves on; its pin does not.
	if err := f.st.SetAwardStatus(ctx, "awd_1", domain.AwardAwarded, nil, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, err = f.st.pool.Exec(ctx, `UPDATE awards SET artifact_digests = '{}' WHERE id = 'awd_1'`)
	if err == nil || !strings.Contains(err.Error(), "cannot change") {
		t.Fatalf("changing the pin: %v", err)
	}
	if _, err := f.st.Award(ctx, "awd_nope"); domain.KindOf(err) != domain.ErrNotFound {
		t.Fatalf("unknown award: %v", err)
	}
}
