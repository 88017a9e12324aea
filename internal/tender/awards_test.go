package tender

import (
	"context"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// Ranking, awards and protests wait for the deadline: before it each is
// refused, saying so, and nothing reaches the workflow.
func TestAwardsWaitForClose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	sol := w.published(t)
	score := 80.0
	calls := map[string]func() error{
		"ranking": func() error { _, _, err := w.svc.Ranking(ctx, w.officer, sol.ID); return err },
		"score fit": func() error {
			_, err := w.svc.ScoreFit(ctx, w.officer, sol.ID, FitScore{CandidateID: "c", Score: &score, Note: "n"})
			return err
		},
		"recommend": func() error {
			_, err := w.svc.RecommendAward(ctx, w.officer, sol.ID, Recommendation{CandidateID: "c", Rationale: "r"})
			return err
		},
		"awards":  func() error { _, err := w.svc.Awards(ctx, w.auditor, sol.ID); return err },
		"protest": func() error { _, err := w.svc.Protest(ctx, w.sellerA, sol.ID, "unfair"); return err },
		"decide": func() error {
			_, err := w.svc.DecideProtest(ctx, w.officer, sol.ID, "prt_1", ProtestDecision{Outcome: "dismissed", Decision: "d"})
			return err
		},
		"protests": func() error { _, err := w.svc.Protests(ctx, w.sellerA, sol.ID); return err },
	}
	for name, call := range calls {
		err := call()
		if k := domain.KindOf(err); (k != domain.ErrConflict && k != domain.ErrForbidden) || !strings.Contains(err.Error(), "deadline") {
			t.Errorf("%s before the deadline: %v, want a refusal that names the deadline", name, err)
		}
	}
	w.requireNothingSent(t, 0)
}

// After close the officer scores fit, recommends and decides protests and a
// vendor protests, each through the workflow with the acting user; missing
// fields are refused first; the workflow's refusals keep their kind.
func TestAwardAndProtests(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	sol := w.published(t)
	a := w.storedBid(t, sol, w.sellerA, "bid_a")
	w.setStatus(t, sol.ID, domain.SolicitationEvaluated)

	_, err := w.svc.ScoreFit(ctx, w.officer, sol.ID, FitScore{CandidateID: a.Candidates[0].ID, Note: "n"})
	requireRefusal(t, err, domain.ErrInvalid, "fit score is missing")
	_, err = w.svc.RecommendAward(ctx, w.officer, sol.ID, Recommendation{CandidateID: a.Candidates[0].ID})
	requireKind(t, err, domain.ErrInvalid)
	_, err = w.svc.Protest(ctx, w.sellerB, sol.ID, "  ")
	requireKind(t, err, domain.ErrInvalid)
	_, err = w.svc.DecideProtest(ctx, w.officer, sol.ID, "prt_1", ProtestDecision{Outcome: "upheld"})
	requireKind(t, err, domain.ErrInvalid)
	w.requireNothingSent(t, 0)

	w.temporal.answer = func(_, name string, arg any) (any, error) {
		switch req := arg.(type) {
		case contract.FitRequest:
			return []domain.RankedCandidate{{Rank: 1, CandidateID: req.CandidateID, Total: req.Score}}, nil
		case contract.RecommendRequest:
			award := domain.Award{ID: req.AwardID, SolicitationID: sol.ID, BidID: a.ID, CandidateID: req.CandidateID,
				Status: domain.AwardPendingApproval, Rationale: req.Rationale, RecommendedBy: req.Actor.UserID, RecommendedAt: *w.now}
			return award, w.st.InsertAward(ctx, award)
		case contract.ProtestRequest:
			p := domain.Protest{ID: req.ID, SolicitationID: sol.ID, AwardID: "awd_x", VendorOrgID: req.Actor.OrgID, FiledBy: req.Actor.UserID,
				Grounds: req.Grounds, FiledAt: *w.now}
			awards, _ := w.st.Awards(ctx, sol.ID)
			p.AwardID = awards[0].ID
			return p, w.st.InsertProtest(ctx, p)
		case contract.ResolveProtestRequest:
			return domain.Protest{ID: req.ProtestID, Outcome: req.Outcome, Decision: req.Decision}, nil
		}
		return nil, refuse(domain.ErrInternal, "unexpected update "+name)
	}
	score := 72.5
	ranking, err := w.svc.ScoreFit(ctx, w.officer, sol.ID, FitScore{CandidateID: a.Candidates[0].ID, Score: &score, Note: "fits"})
	requireNoError(t, err)
	if fit := w.lastUpdate(t, contract.ScoreFitUpdate).Arg.(contract.FitRequest); fit.Score != 72.5 || fit.Actor.OrgID != w.agency.ID ||
		len(ranking) != 1 || ranking[0].Total != 72.5 {
		t.Errorf("fit sent %+v, ranking %+v", fit, ranking)
	}
	award, err := w.svc.RecommendAward(ctx, w.officer, sol.ID, Recommendation{CandidateID: a.Candidates[0].ID, Rationale: "most open"})
	requireNoError(t, err)
	if !strings.HasPrefix(award.ID, "awd_") || award.Rationale != "most open" || award.RecommendedBy != w.officer.ID {
		t.Errorf("award %+v", award)
	}
	awards, err := w.svc.Awards(ctx, w.auditor, sol.ID)
	requireNoError(t, err)
	if len(awards) != 1 || awards[0].ID != award.ID {
		t.Errorf("awards %+v", awards)
	}

	filed, err := w.svc.Protest(ctx, w.sellerB, sol.ID, "the price was misread")
	requireNoError(t, err)
	if req := w.lastUpdate(t, contract.FileProtestUpdate).Arg.(contract.ProtestRequest); req.Actor.OrgID != w.vendorB.ID ||
		req.Grounds != "the price was misread" || req.ID != filed.ID || !strings.HasPrefix(req.ID, "prt_") {
		t.Errorf("protest sent %+v", req)
	}
	for _, c := range []struct {
		who  domain.User
		want int
	}{{w.sellerB, 1}, {w.sellerA, 0}, {w.officer, 1}, {w.auditor, 1}} {
		ps, err := w.svc.Protests(ctx, c.who, sol.ID)
		requireNoError(t, err)
		if len(ps) != c.want {
			t.Errorf("%s sees %d protests, want %d", c.who.Email, len(ps), c.want)
		}
	}
	decided, err := w.svc.DecideProtest(ctx, w.officer, sol.ID, filed.ID, ProtestDecision{Outcome: "dismissed", Decision: "the price was read right"})
	requireNoError(t, err)
	if req := w.lastUpdate(t, contract.ResolveProtestUpdate).Arg.(contract.ResolveProtestRequest); req.ProtestID != filed.ID ||
		req.Outcome != "dismissed" || req.Actor.UserID != w.officer.ID || decided.Outcome != "dismissed" {
		t.Errorf("decision sent %+v, returned %+v", req, decided)
	}

	w.temporal.answer = func(string, string, any) (any, error) {
		return nil, refuse(domain.ErrConflict, "protests are filed during the standstill only")
	}
	_, err = w.svc.Protest(ctx, w.sellerB, sol.ID, "again")
	requireRefusal(t, err, domain.ErrConflict, "during the standstill")
	w.temporal.answer = func(string, string, any) (any, error) { return nil, finished }
	_, err = w.svc.Protest(ctx, w.sellerB, sol.ID, "after the end")
	requireRefusal(t, err, domain.ErrConflict, "has finished")

	_, ranked, err := w.svc.Ranking(ctx, w.reviewer, sol.ID)
	requireNoError(t, err)
	if ranked == nil || len(ranked) != 0 {
		t.Errorf("ranking before any is saved: %#v, want an empty list", ranked)
	}
	c := a.Candidates[0]
	requireNoError(t, w.st.StartEvaluation(ctx, c.ID, a.ID, sol.ID, "evaluation/"+c.ID, sol.PolicyRevision, *w.now))
	requireNoError(t, w.st.SaveRanking(ctx, domain.RankedCandidate{Rank: 1, CandidateID: c.ID, BidID: a.ID, Total: 88}))
	got, ranked, err := w.svc.Ranking(ctx, w.auditor, sol.ID)
	requireNoError(t, err)
	if got.ID != sol.ID || len(ranked) != 1 || ranked[0].Total != 88 {
		t.Errorf("ranking of %s: %+v", got.ID, ranked)
	}
}

// A delivery check's typed fields are bounded by the service, so the API
// (whose body is held to the text rules only) and the form's uploads are
// refused alike, each field named, before anything is read or written.
func TestDeliveryFieldsBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	long := strings.Repeat("A", maxPEMChars+1)
	paths := make([]string, maxIgnorePaths+1)
	for i := range paths {
		paths[i] = "file"
	}
	for field, d := range map[string]DeliveryCheck{
		"public_key":        {PublicKey: long},
		"certificate_chain": {CertificateChain: long},
		"identity":          {Identity: long},
		"ignore_paths":      {IgnorePaths: paths},
		"ignore_paths[0]":   {IgnorePaths: []string{long}},
	} {
		d.Files = map[string]string{"model.safetensors": strings.Repeat("0", 64)}
		_, err := w.svc.CheckDelivery(ctx, w.officer, "awd_none", d)
		requireField(t, err, field, "at most")
	}
	// Within the bounds the check goes on, to the award it names.
	_, err := w.svc.CheckDelivery(ctx, w.officer, "awd_none", DeliveryCheck{PublicKey: "key", Files: map[string]string{"a": "b"}})
	requireKind(t, err, domain.ErrNotFound)
}
