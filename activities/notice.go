package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/ocds"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/internal/visibility"
)

// awardStatus maps an award's state to the OCDS awardStatus codelist.
var awardStatus = map[string]string{
	domain.AwardPendingApproval: "pending",
	domain.AwardStandstill:      "pending",
	domain.AwardAwarded:         "active",
	domain.AwardRejected:        "unsuccessful",
	domain.AwardCancelled:       "cancelled",
}

// PublishNotice builds the solicitation's open-contracting release as it
// stands now (tender, bids summary, awards) from the system of record,
// validates it against the OCDS schema and stores it. Only what a notice must
// publish leaves the database: no manifests, no findings. Idempotent: the
// release id derives from the publication time.
func (a *Activities) PublishNotice(ctx context.Context, solicitationID string, at time.Time) (string, error) {
	n, err := a.notice(ctx, solicitationID, at)
	if err != nil {
		return "", err
	}
	pkg, err := ocds.Build(n)
	if err != nil {
		return "", fmt.Errorf("build notice of %s: %w", solicitationID, err)
	}
	doc, err := json.Marshal(pkg)
	if err != nil {
		return "", err
	}
	releaseID := pkg.Releases[0].ID
	if err := a.Store.SaveNotice(ctx, solicitationID, releaseID, doc, at); err != nil {
		return "", err
	}
	return releaseID, a.audit(ctx, "notice/"+releaseID, store.AuditEvent{
		At: at, Actor: "system", Action: "notice.published", SubjectType: "solicitation", SubjectID: solicitationID,
		SolicitationID: solicitationID, Detail: map[string]any{"release_id": releaseID},
	})
}

func (a *Activities) notice(ctx context.Context, solicitationID string, at time.Time) (ocds.Notice, error) {
	sol, err := a.Store.Solicitation(ctx, solicitationID)
	if err != nil {
		return ocds.Notice{}, err
	}
	buyer, err := a.Store.Organisation(ctx, sol.AgencyOrgID)
	if err != nil {
		return ocds.Notice{}, err
	}
	n := ocds.Notice{
		Solicitation: sol, Buyer: ocds.Organisation{ID: buyer.ID, Name: buyer.Name}, PublishedAt: at,
		PublisherName: buyer.Name, OCIDPrefix: a.OCIDPrefix,
		PackageURI: a.PublicURL + "/api/v1/solicitations/" + solicitationID + "/ocds",
	}
	bids, err := a.Store.BidsForSolicitation(ctx, solicitationID, "")
	if err != nil {
		return n, err
	}
	tenderers := map[string]ocds.Organisation{}
	for _, b := range bids {
		if !visibility.Sees(visibility.Tenderers, visibility.Anonymous, visibility.PhaseOfBid(sol, b.Status)) && b.Status == domain.BidWithdrawn {
			continue // withdrawn before the deadline, never an offer: only its vendor sees it (visibility.Withdrawn)
		}
		status, err := a.bidStatus(ctx, b)
		if err != nil {
			return n, err
		}
		full, err := a.Store.Bid(ctx, b.ID)
		if err != nil {
			return n, err
		}
		org := ocds.Organisation{ID: b.VendorOrgID, Name: b.VendorName}
		tenderers[b.ID] = org
		n.Bids = append(n.Bids, ocds.BidSummary{ID: b.ID, Tenderer: org, SubmittedAt: full.SubmittedAt, Status: status})
	}
	awards, err := a.Store.Awards(ctx, solicitationID)
	if err != nil {
		return n, err
	}
	pins, err := a.Store.AwardPins(ctx, solicitationID)
	if err != nil {
		return n, err
	}
	for _, aw := range awards {
		if !visibility.Sees(visibility.AwardField(aw), visibility.Anonymous, visibility.PhaseOf(sol)) {
			continue // a recommendation is published once the reviewers approve it
		}
		bid, err := a.Store.Bid(ctx, aw.BidID)
		if err != nil {
			return n, err
		}
		cand, err := a.Store.Candidate(ctx, aw.CandidateID)
		if err != nil {
			return n, err
		}
		oa := ocds.Award{ID: aw.ID, BidID: aw.BidID, Title: "Award of " + cand.Name, Description: aw.Rationale,
			Supplier: tenderers[aw.BidID], Date: aw.RecommendedAt, Status: awardStatus[aw.Status], Pin: pins[aw.ID]}
		if aw.DecidedAt != nil {
			oa.Date = *aw.DecidedAt
		}
		if bid.Price != nil {
			oa.Value = &ocds.Value{Amount: bid.Price.Amount, Currency: bid.Price.Currency}
		}
		n.Awards = append(n.Awards, oa)
	}
	amendments, err := a.Store.Amendments(ctx, solicitationID)
	if err != nil {
		return n, err
	}
	for _, am := range amendments {
		n.Amendments = append(n.Amendments, ocds.Amendment{ID: am.ID, Date: am.AmendedAt, Rationale: am.Description})
	}
	questions, err := a.Store.Questions(ctx, solicitationID)
	if err != nil {
		return n, err
	}
	n.Enquiries = len(questions)
	head, err := a.Store.AuditChainHead(ctx, solicitationID)
	if err != nil {
		return n, err
	}
	n.ChainHead = &ocds.ChainHead{Seq: head.Seq, Hash: head.Hash}
	return n, a.noticeRecord(ctx, &n)
}

// bidStatus is the OCDS bidStatus of a bid: withdrawn, valid when one of its
// candidates qualified, disqualified when all were, pending otherwise.
func (a *Activities) bidStatus(ctx context.Context, b store.BidSummary) (string, error) {
	if b.Status == domain.BidWithdrawn {
		return "withdrawn", nil
	}
	if b.Status == domain.BidExcluded {
		return "disqualified", nil
	}
	evals, err := a.Store.EvaluationsForBid(ctx, b.ID)
	if err != nil {
		return "", err
	}
	decided, qualified := 0, false
	for _, e := range evals {
		if e.Outcome != nil {
			decided++
			qualified = qualified || *e.Outcome == domain.OutcomeQualified
		}
	}
	switch {
	case qualified:
		return "valid", nil
	case decided > 0 && decided == len(evals):
		return "disqualified", nil
	}
	return "pending", nil
}
