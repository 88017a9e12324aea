package tender

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
	"github.com/modeltender/modeltender/internal/visibility"
)

// Tasks lists the open tasks u may work on; an officer or auditor sees
// every open task of the agency's solicitations, read-only, so stuck and
// escalated approvals are in sight.
func (s *Service) Tasks(ctx context.Context, u domain.User) ([]domain.Task, error) {
	if err := s.Authorize(ctx, u, "task:list"); err != nil {
		return nil, err
	}
	var tasks []domain.Task
	var err error
	if u.Role == domain.RoleReviewer {
		tasks, err = s.Store.OpenTasksFor(ctx, u)
	} else {
		tasks, err = s.Store.AgencyTasks(ctx, u.OrgID)
	}
	return nonNil(tasks), err
}

// Task loads a task u may work on, with its decisions so far.
func (s *Service) Task(ctx context.Context, u domain.User, id string) (domain.Task, []domain.Decision, error) {
	if err := s.Authorize(ctx, u, "task:list"); err != nil {
		return domain.Task{}, nil, err
	}
	t, err := s.reviewableTask(ctx, u, id)
	if err != nil {
		return t, nil, err
	}
	if err := s.seeTask(ctx, u, t); err != nil {
		return domain.Task{}, nil, err
	}
	decisions, err := s.Store.Decisions(ctx, t.ID)
	return t, nonNil(decisions), err
}

// reviewableTask loads a task, refusing a reviewer from the bidding organisation.
func (s *Service) reviewableTask(ctx context.Context, u domain.User, id string) (domain.Task, error) {
	t, err := s.Store.Task(ctx, id)
	if err != nil {
		return t, err
	}
	if u.OrgID != "" && (u.OrgID == t.VendorOrgID || slices.Contains(t.ExcludedOrgIDs, u.OrgID)) {
		return t, domain.Errorf(domain.ErrConflictOfInt, "task %s is on a bid from your own organisation: another reviewer must decide it", t.ID)
	}
	return t, nil
}

// seeTask refuses u a task the table keeps from it (visibility.Tasks): only
// the issuing agency's staff read tasks, and a reviewer of another team
// only the tasks the agency's officer assigned it to.
func (s *Service) seeTask(ctx context.Context, u domain.User, t domain.Task) error {
	sol, err := s.Store.Solicitation(ctx, t.SolicitationID)
	if err != nil {
		return err
	}
	what := "task " + t.ID
	if sees(u, sol, t.VendorOrgID, visibility.Tasks) {
		return nil
	}
	if u.Role == domain.RoleReviewer && !visibility.VendorSide(u) {
		assigned, err := s.Store.TaskAssignments(ctx, t.ID)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(assigned, func(a store.TaskAssignment) bool { return a.ReviewerID == u.ID }) {
			return nil
		}
	}
	return see(u, sol, t.VendorOrgID, visibility.Tasks, what)
}

// Verdict is a reviewer's decision on a task: the body of POST
// /tasks/{id}/decision and the task page's form. FindingsHash is the hash of
// the findings the reviewer saw; a decision on findings that changed since
// is refused as stale.
type Verdict struct {
	Verdict      string `json:"verdict"`
	ReasonCode   string `json:"reason_code"`
	Comment      string `json:"comment"`
	FindingsHash string `json:"findings_hash"`
	// IdempotencyKey (the Idempotency-Key header) makes a retry after a
	// dropped connection get the original answer.
	IdempotencyKey string `json:"-"`
}

// validate reports every problem of the decision at once.
func (v Verdict) validate() []domain.FieldError {
	var errs []domain.FieldError
	verdict := domain.Verdict(v.Verdict)
	switch {
	case verdict != domain.VerdictApprove && verdict != domain.VerdictReject:
		msg := "choose a verdict: approve or reject"
		if v.Verdict != "" {
			msg = fmt.Sprintf("%q is not a verdict: use \"approve\" or \"reject\"", v.Verdict)
		}
		errs = append(errs, domain.FieldError{Field: "verdict", Message: msg})
		if v.ReasonCode == "" {
			errs = append(errs, domain.FieldError{Field: "reason_code", Message: "choose the reason for the verdict"})
		}
	case v.ReasonCode == "":
		errs = append(errs, domain.FieldError{Field: "reason_code", Message: fmt.Sprintf("choose the reason to %s: one of %s", verdict, strings.Join(domain.ReasonCodes[verdict], ", "))})
	case !domain.ValidReason(verdict, v.ReasonCode):
		errs = append(errs, domain.FieldError{Field: "reason_code", Message: fmt.Sprintf("%q is not a reason to %s: choose one of %s", v.ReasonCode, verdict, strings.Join(domain.ReasonCodes[verdict], ", "))})
	}
	if verdict == domain.VerdictReject && v.Comment == "" {
		errs = append(errs, domain.FieldError{Field: "comment", Message: "a rejection needs a comment that tells the vendor why"})
	}
	return errs
}

// Decide sends the reviewer's decision to the workflow that owns the task;
// a reviewer who may not read the task (seeTask) is refused first. The
// workflow's validator refuses a wrong role, a closed task, a duplicate decision
// or a reviewer from the bidding organisation before anything is written.
func (s *Service) Decide(ctx context.Context, u domain.User, taskID string, v Verdict) (contract.DecisionResult, error) {
	var res contract.DecisionResult
	if err := s.Authorize(ctx, u, "task:decide"); err != nil {
		return res, err
	}
	if fields := v.validate(); len(fields) > 0 {
		return res, domain.InvalidFields("the decision is not valid; see errors", fields)
	}
	t, err := s.reviewableTask(ctx, u, taskID)
	if err != nil {
		return res, err
	}
	if err := s.seeTask(ctx, u, t); err != nil {
		return res, err
	}
	if t.Status != domain.TaskOpen && v.IdempotencyKey == "" {
		return res, domain.Errorf(domain.ErrConflict, "task %s is already %s: a decision is used once; see GET /api/v1/tasks/%s", t.ID, t.Status, t.ID)
	}
	conflicts, err := s.Store.Conflicts(ctx, u.ID)
	if err != nil {
		return res, err
	}
	err = s.update(ctx, t.WorkflowID, contract.DecideUpdate, domain.Decision{
		TaskID: t.ID, ReviewerID: u.ID, ReviewerRole: u.Role, ReviewerOrgID: u.OrgID, ReviewerConflicts: conflicts,
		Verdict: domain.Verdict(v.Verdict), ReasonCode: v.ReasonCode, Comment: v.Comment, FindingsHash: v.FindingsHash,
		IdempotencyKey: v.IdempotencyKey,
	}, &res)
	if v.IdempotencyKey != "" && (errors.Is(err, errFinished) || t.Status != domain.TaskOpen) {
		// The workflow has moved on; a retry of a decision it recorded
		// gets its answer from the system of record.
		if prior, found, perr := s.priorDecision(ctx, t, u.ID); perr != nil || found {
			return prior, perr
		}
	}
	if domain.KindOf(err) == domain.ErrConflict && t.Kind != domain.TaskAwardApproval && errors.Is(err, errFinished) {
		err = domain.Errorf(domain.ErrConflict, "task %s is no longer open: its evaluation has finished", t.ID)
	}
	return res, err
}

// priorDecision answers a retried decision from the system of record: the
// reviewer's recorded decision on t, if there is one.
func (s *Service) priorDecision(ctx context.Context, t domain.Task, reviewerID string) (contract.DecisionResult, bool, error) {
	decisions, err := s.Store.Decisions(ctx, t.ID)
	if err != nil {
		return contract.DecisionResult{}, false, err
	}
	for _, d := range decisions {
		if d.ReviewerID == reviewerID {
			return contract.DecisionResult{TaskID: t.ID, Accepted: true, TaskClosed: t.Status != domain.TaskOpen}, true, nil
		}
	}
	return contract.DecisionResult{}, false, nil
}

// AssignReviewer lets the officer add an eligible reviewer (of another
// agency team) to a task that too few reviewers may decide.
func (s *Service) AssignReviewer(ctx context.Context, u domain.User, taskID, reviewerID string) (contract.AssignmentResult, error) {
	var res contract.AssignmentResult
	t, err := s.officerTask(ctx, u, taskID)
	if err != nil {
		return res, err
	}
	if err := required(map[string]string{"reviewer_id": reviewerID}); err != nil {
		return res, err
	}
	reviewer, conflicts, err := s.Store.Reviewer(ctx, reviewerID)
	if err != nil {
		return res, err
	}
	if visibility.VendorSide(reviewer) {
		return res, domain.Errorf(domain.ErrInvalid, "user %s belongs to a vendor organisation, which never reviews bids: assign a reviewer of an agency", reviewer.ID)
	}
	return res, s.update(ctx, t.WorkflowID, contract.AssignReviewerUpdate, contract.AssignReviewerRequest{
		TaskID: t.ID, Actor: actor(u), Reviewer: actor(reviewer), ReviewerConflicts: conflicts,
	}, &res)
}

// ApproveWithException lets the officer count the missing approvals of a
// task no eligible reviewer is left for, with a documented reason the audit
// trail keeps.
func (s *Service) ApproveWithException(ctx context.Context, u domain.User, taskID, reason string) (contract.DecisionResult, error) {
	var res contract.DecisionResult
	t, err := s.officerTask(ctx, u, taskID)
	if err != nil {
		return res, err
	}
	if err := required(map[string]string{"reason": reason}); err != nil {
		return res, err
	}
	return res, s.update(ctx, t.WorkflowID, contract.ApproveWithExceptionUpdate, contract.ExceptionRequest{
		TaskID: t.ID, Actor: actor(u), Reason: reason}, &res)
}

// officerTask loads a task on a solicitation of the officer's agency.
func (s *Service) officerTask(ctx context.Context, u domain.User, taskID string) (domain.Task, error) {
	if err := s.Authorize(ctx, u, "task:assign"); err != nil {
		return domain.Task{}, err
	}
	t, err := s.Store.Task(ctx, taskID)
	if err != nil {
		return t, err
	}
	sol, err := s.Store.Solicitation(ctx, t.SolicitationID)
	if err != nil {
		return t, err
	}
	return t, requireIssuingAgency(u, sol, "task:assign")
}

// AskClarification sends a reviewer's question on a task to the candidate's
// vendor; the evaluation waits for the answer.
func (s *Service) AskClarification(ctx context.Context, u domain.User, taskID, question string, within time.Duration) (domain.Clarification, error) {
	var out domain.Clarification
	if err := s.Authorize(ctx, u, "task:decide"); err != nil {
		return out, err
	}
	if err := required(map[string]string{"question": question}); err != nil {
		return out, err
	}
	t, err := s.reviewableTask(ctx, u, taskID)
	if err != nil {
		return out, err
	}
	if err := s.seeTask(ctx, u, t); err != nil {
		return out, err
	}
	if t.Kind == domain.TaskAwardApproval {
		return out, domain.Errorf(domain.ErrConflict, "clarifications are asked on a candidate's evaluation, not on an award approval")
	}
	conflicts, err := s.Store.Conflicts(ctx, u.ID)
	if err != nil {
		return out, err
	}
	err = s.update(ctx, t.WorkflowID, contract.RequestClarificationUpdate, contract.ClarificationRequest{
		ClarificationID: domain.NewID("clr"), TaskID: t.ID, ReviewerID: u.ID, ReviewerRole: u.Role, ReviewerOrgID: u.OrgID,
		Conflicts: conflicts, Question: question, AnswerWithin: within,
	}, &out)
	return out, err
}

// ClarificationAnswer is a vendor's answer to a clarification request.
type ClarificationAnswer struct {
	Answer string `json:"answer"`
	// Manifest, when given, is the candidate's amended manifest, in any
	// format a bid takes.
	Manifest json.RawMessage `json:"manifest"`
	// BidID, when set, is the bid the vendor answers from (its page): a
	// clarification on another bid is not found there.
	BidID string `json:"-"`
}

// AnswerClarification sends a vendor's answer to a clarification request,
// with an amended manifest when one is given, and says whether one was.
func (s *Service) AnswerClarification(ctx context.Context, u domain.User, clarificationID string, a ClarificationAnswer) (bool, error) {
	if err := s.Authorize(ctx, u, "bid:submit"); err != nil {
		return false, err
	}
	if a.BidID != "" {
		b, err := s.ownBid(ctx, u, a.BidID)
		if err != nil {
			return false, err
		}
		cls, err := s.Store.Clarifications(ctx, b.ID)
		if err != nil {
			return false, err
		}
		if !slices.ContainsFunc(cls, func(cl domain.Clarification) bool { return cl.ID == clarificationID }) {
			return false, domain.Errorf(domain.ErrNotFound, "no clarification %s on bid %s", clarificationID, b.ID)
		}
	}
	if err := required(map[string]string{"answer": a.Answer}); err != nil {
		return false, err
	}
	cl, err := s.Store.Clarification(ctx, clarificationID)
	if err != nil {
		return false, err
	}
	if cl.VendorOrgID != u.OrgID {
		return false, domain.Errorf(domain.ErrNotFound, "no clarification %s", cl.ID)
	}
	reply := contract.ClarificationReply{ClarificationID: cl.ID, VendorUserID: u.ID, VendorRole: u.Role, VendorOrgID: u.OrgID, Answer: a.Answer}
	if len(a.Manifest) > 0 {
		cs, fields := readCandidate(a.Manifest, "manifest")
		if len(fields) == 0 && len(cs) != 1 {
			fields = []domain.FieldError{{Field: "manifest", Message: fmt.Sprintf("the document describes %d models: send the one this candidate is", len(cs))}}
		}
		if len(fields) > 0 {
			return false, domain.InvalidFields(fmt.Sprintf("the amended manifest was not accepted: %d problem(s), listed field by field; fix them and answer again", len(fields)), fields)
		}
		reply.Manifest = &cs[0].Manifest
	}
	t, err := s.Store.Task(ctx, cl.TaskID)
	if err != nil {
		return false, err
	}
	return reply.Manifest != nil, s.update(ctx, t.WorkflowID, contract.AnswerClarificationUpdate, reply, nil)
}

// DeclareConflict records a reviewer's conflict of interest with an
// organisation; the reviewer is then kept off its bids.
func (s *Service) DeclareConflict(ctx context.Context, u domain.User, orgID, reason string) (domain.Organisation, error) {
	if err := s.Authorize(ctx, u, "conflict:declare"); err != nil {
		return domain.Organisation{}, err
	}
	if err := required(map[string]string{"organisation_id": orgID, "reason": reason}); err != nil {
		return domain.Organisation{}, err
	}
	org, err := s.Store.Organisation(ctx, orgID)
	if err != nil {
		return org, err
	}
	// The declaration is audited in its own transaction (store.DeclareConflict).
	return org, s.Store.DeclareConflict(ctx, u.ID, org.ID, reason, s.now())
}

// WithdrawConflict withdraws a reviewer's standing declaration of a
// conflict with an organisation; the audit trail keeps both.
func (s *Service) WithdrawConflict(ctx context.Context, u domain.User, orgID, reason string) error {
	if err := s.Authorize(ctx, u, "conflict:withdraw"); err != nil {
		return err
	}
	if err := required(map[string]string{"reason": reason}); err != nil {
		return err
	}
	return s.Store.WithdrawConflict(ctx, u.ID, orgID, reason, s.now())
}

// Trail is a solicitation's audit trail and how its hash chain stands.
type Trail struct {
	Solicitation domain.Solicitation
	Events       []store.AuditEvent
	Chain        store.ChainStatus
}

// AuditTrail is a solicitation's audit trail, for auditors, with the
// result of walking its hash chain; while bids are sealed its events about
// bids and questions leave out who the vendor is (Redact).
func (s *Service) AuditTrail(ctx context.Context, u domain.User, solicitationID string) (Trail, error) {
	if err := s.Authorize(ctx, u, "audit:read"); err != nil {
		return Trail{}, err
	}
	sol, err := s.visibleSolicitation(ctx, u, solicitationID)
	if err != nil {
		return Trail{}, err
	}
	if err := see(u, sol, "", visibility.Audit, "the audit trail of solicitation "+sol.ID); err != nil {
		return Trail{}, err
	}
	events, err := s.Store.AuditTrail(ctx, sol.ID)
	if err != nil {
		return Trail{}, err
	}
	withdrawn, err := s.withdrawnBids(ctx, sol.ID)
	if err != nil {
		return Trail{}, err
	}
	chain, err := s.Store.VerifyAuditChain(ctx, sol.ID)
	return Trail{Solicitation: sol, Events: Redact(u, sol, events, withdrawn), Chain: chain}, err
}

// withdrawnBids are the ids of the bids on a solicitation their vendors withdrew.
func (s *Service) withdrawnBids(ctx context.Context, solicitationID string) (map[string]bool, error) {
	bids, err := s.Store.BidsForSolicitation(ctx, solicitationID, "")
	if err != nil {
		return nil, err
	}
	withdrawn := map[string]bool{}
	for _, b := range bids {
		if b.Status == domain.BidWithdrawn {
			withdrawn[b.ID] = true
		}
	}
	return withdrawn, nil
}
