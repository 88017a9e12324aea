package activities

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/check"
	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/manifest"
	"github.com/modeltender/modeltender/internal/rulebook"
	"github.com/modeltender/modeltender/policies"
)

// changedBundle is the embedded bundle with more preference points for every
// MOF class, written to a directory as an agency would change its rules.
func changedBundle(t *testing.T) *policies.Bundle {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(policies.Embedded(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := fs.ReadFile(policies.Embedded(), p)
		if err != nil {
			return err
		}
		if p == "data/openness_defaults.json" {
			content = []byte(strings.NewReplacer(`"I": 30`, `"I": 33`, `"II": 20`, `"II": 23`, `"III": 10`, `"III": 13`).Replace(string(content)))
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, p), content, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := policies.LoadBundle(policies.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A worker started with new rules still judges a solicitation's candidates
// by the bundle the solicitation froze at publication, loaded from the
// store, and records that revision.
func TestCandidatesAreJudgedByTheFrozenBundle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	published, err := policies.LoadBundle()
	if err != nil {
		t.Fatal(err)
	}
	changed := changedBundle(t)
	if changed.Revision() == published.Revision() {
		t.Fatal("the changed bundle has the published one's revision")
	}
	for _, b := range []*policies.Bundle{published, changed} {
		if err := f.st.SavePolicyBundle(ctx, b.Revision(), b.Files()); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile("../examples/manifests/granite-3.1-8b-instruct.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := manifest.Parse(data, manifest.FormatNative, "")
	if err != nil {
		t.Fatal(err)
	}
	bid := f.bid
	bid.ID = "bid_frozen"
	bid.Candidates = []domain.Candidate{{ID: "cnd_frozen", BidID: bid.ID, Name: c.Manifest.Name, Manifest: c.Manifest, ManifestHash: manifest.Hash(c.Manifest)}}
	if err := f.st.InsertBid(ctx, bid); err != nil {
		t.Fatal(err)
	}
	ref := f.ref
	ref.BidID, ref.CandidateID, ref.WorkflowID = bid.ID, "cnd_frozen", contract.EvaluationWorkflowID(bid.ID, "cnd_frozen")

	// A restarted worker: nothing prepared, its own bundle the changed one.
	judge := func(current *policies.Bundle, frozen string) domain.CandidateCheck {
		revisions := rulebook.New(f.st.PolicyBundle, 0)
		if _, _, err := revisions.Add(ctx, current); err != nil {
			t.Fatal(err)
		}
		acts := *f.acts
		acts.Check = check.New(check.Current{Rules: revisions, Revision: current.Revision()})
		res, err := acts.CheckCandidate(ctx, contract.CheckRequest{Ref: ref, Criteria: domain.Criteria{
			SolicitationID: ref.SolicitationID, RiskTier: domain.RiskStandard, ExpectedMonthlyUsers: 1000, PolicyRevision: frozen}, AsOf: at})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	underPublished := judge(published, published.Revision())
	underChanged := judge(changed, changed.Revision())
	if underPublished.Policy.Score == underChanged.Policy.Score {
		t.Fatalf("both bundles score %s %v: the test needs a candidate the change affects", c.Manifest.Name, underPublished.Policy.Score)
	}
	got := judge(changed, published.Revision())
	if got.Revision != published.Revision() || got.Policy.Revision != published.Revision() || got.Policy.Score != underPublished.Policy.Score {
		t.Errorf("a worker running %s judged a candidate frozen under %s as revision %s with score %v; want %s and %v",
			changed.Revision(), published.Revision(), got.Policy.Revision, got.Policy.Score, published.Revision(), underPublished.Policy.Score)
	}
	// A revision no store holds is never judged by other rules.
	lost := judge(changed, "sha256:unknown")
	if lost.Outcome != domain.OutcomeNeedsReview || lost.Policy.Warn[0].Rule != check.RevisionUnavailableRule {
		t.Errorf("unknown revision: %s %+v, want needs_review with %s", lost.Outcome, lost.Policy.Warn, check.RevisionUnavailableRule)
	}
}
