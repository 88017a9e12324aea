package workflows

import (
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// SolicitationWorkflow: protests filed during the standstill and their resolution.

func (s *solicitation) openProtests() int {
	n := 0
	for _, p := range s.protests {
		if p.Outcome == "" {
			n++
		}
	}
	return n
}

func (s *solicitation) validateProtest(_ workflow.Context, req contract.ProtestRequest) error {
	if req.Actor.Role != domain.RoleVendor {
		return rejection(domain.ErrForbidden, "only a bidding vendor may protest an award")
	}
	if s.status != domain.SolicitationStandstill || s.award == nil {
		return rejection(domain.ErrConflict, "protests are accepted during the standstill only; the solicitation is %s", s.currentStatus())
	}
	if !slices.ContainsFunc(s.bids, func(b domain.Bid) bool { return b.VendorOrgID == req.Actor.OrgID }) {
		return rejection(domain.ErrForbidden, "only vendors that bid on this solicitation may protest its award")
	}
	winner := slices.IndexFunc(s.bids, func(b domain.Bid) bool { return b.ID == s.award.BidID })
	if winner >= 0 && s.bids[winner].VendorOrgID == req.Actor.OrgID {
		return rejection(domain.ErrForbidden, "the winning vendor cannot protest its own award")
	}
	if slices.ContainsFunc(s.protests, func(p domain.Protest) bool { return p.VendorOrgID == req.Actor.OrgID && p.Outcome == "" }) {
		return rejection(domain.ErrConflict, "your organisation already has an open protest on this award")
	}
	if strings.TrimSpace(req.Grounds) == "" {
		return rejection(domain.ErrInvalid, "state the grounds of the protest")
	}
	return nil
}

func (s *solicitation) fileProtest(ctx workflow.Context, req contract.ProtestRequest) (domain.Protest, error) {
	if err := s.validateProtest(ctx, req); err != nil {
		return domain.Protest{}, err
	}
	p := domain.Protest{ID: req.ID, SolicitationID: s.in.SolicitationID, AwardID: s.award.ID, VendorOrgID: req.Actor.OrgID,
		FiledBy: req.Actor.UserID, Grounds: req.Grounds, FiledAt: workflow.Now(ctx)}
	s.protests = append(s.protests, p)
	return p, workflow.ExecuteActivity(withActivityOptions(ctx), contract.RecordProtest, p).Get(ctx, nil)
}

func (s *solicitation) validateResolution(_ workflow.Context, req contract.ResolveProtestRequest) error {
	if err := s.officer(req.Actor); err != nil {
		return err
	}
	i := slices.IndexFunc(s.protests, func(p domain.Protest) bool { return p.ID == req.ProtestID })
	if i < 0 {
		return rejection(domain.ErrNotFound, "no protest %s on this solicitation", req.ProtestID)
	}
	if s.protests[i].Outcome != "" {
		return rejection(domain.ErrConflict, "protest %s was already decided (%s)", req.ProtestID, s.protests[i].Outcome)
	}
	if req.Outcome != domain.ProtestUpheld && req.Outcome != domain.ProtestDismissed {
		return rejection(domain.ErrInvalid, "outcome %q is not known: use upheld or dismissed", req.Outcome)
	}
	if strings.TrimSpace(req.Decision) == "" {
		return rejection(domain.ErrInvalid, "a protest is resolved with a written decision")
	}
	return nil
}

func (s *solicitation) resolveProtest(ctx workflow.Context, req contract.ResolveProtestRequest) (domain.Protest, error) {
	if err := s.validateResolution(ctx, req); err != nil {
		return domain.Protest{}, err
	}
	i := slices.IndexFunc(s.protests, func(p domain.Protest) bool { return p.ID == req.ProtestID })
	now := workflow.Now(ctx)
	p := &s.protests[i]
	p.Outcome, p.Decision, p.DecidedBy, p.DecidedAt = req.Outcome, req.Decision, req.Actor.UserID, &now
	if req.Outcome == domain.ProtestUpheld {
		s.awardRevoked = true
	}
	return *p, workflow.ExecuteActivity(withActivityOptions(ctx), contract.RecordProtestDecision, *p).Get(ctx, nil)
}
