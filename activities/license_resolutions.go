package activities

import (
	"context"
	"fmt"

	"github.com/modeltender/modeltender/internal/check"
	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/store"
)

// offerPriorResolutions attaches earlier decisions on the same license
// clauses (same license text, clause and use-case class) to r: to
// PriorResolutions, and to the fix of each finding they concern, so the
// reviewer sees them in the task and the task's findings hash covers them.
// They are offered, never applied: the task still opens.
func (a *Activities) offerPriorResolutions(ctx context.Context, r domain.LicenseReport) (domain.LicenseReport, error) {
	if a.Store == nil || len(r.Resolvable) == 0 {
		return r, nil
	}
	keys := make([]store.LicenseClause, len(r.Resolvable))
	for i, res := range r.Resolvable {
		keys[i] = clauseOf(res.Key)
	}
	prior, err := a.Store.LicenseResolutions(ctx, keys)
	if err != nil {
		return r, err
	}
	for _, p := range prior {
		for _, res := range r.Resolvable {
			if clauseOf(res.Key) != p.LicenseClause {
				continue
			}
			r.PriorResolutions = append(r.PriorResolutions, domain.PriorResolution{
				Key: res.Key, TaskID: p.TaskID, ReviewerID: p.ReviewerID, Verdict: p.Verdict,
				ReasonCode: p.ReasonCode, Comment: p.Comment, DecidedAt: p.DecidedAt,
			})
			for i := range r.Findings {
				if sameFinding(r.Findings[i], res.Finding) {
					r.Findings[i].Fix += fmt.Sprintf(" Prior resolution offered for reuse (not applied): on %s reviewer %s decided %s (%s) on task %s for the same license text: %q.",
						p.DecidedAt.Format("2006-01-02"), p.ReviewerID, p.Verdict, p.ReasonCode, p.TaskID, p.Comment)
				}
			}
		}
	}
	return r, nil
}

// recordLicenseResolutions remembers a decision on a license-resolution
// task once per license clause the task showed, keyed by license text,
// clause and use-case class, and audits it. It re-runs the (pure) candidate
// check of the candidate to recover each finding's key; a finding the
// review no longer produces is not remembered.
func (a *Activities) recordLicenseResolutions(ctx context.Context, solicitationID string, d domain.Decision) error {
	task, err := a.Store.Task(ctx, d.TaskID)
	if err != nil {
		return err
	}
	if task.Kind != domain.TaskLicenseResolution {
		return nil
	}
	m, _, err := a.Store.CurrentManifest(ctx, task.CandidateID)
	if err != nil {
		return err
	}
	sol, err := a.Store.Solicitation(ctx, task.SolicitationID)
	if err != nil {
		return err
	}
	report := a.Check.Check(ctx, check.Input{Manifest: m, Criteria: sol.Criteria()}).License
	for _, res := range report.Resolvable {
		if !showed(task.Findings, res.Finding) {
			continue
		}
		rec := store.LicenseResolution{
			LicenseClause: clauseOf(res.Key), LicenseID: res.Key.LicenseID, TaskID: task.ID, CandidateID: task.CandidateID,
			SolicitationID: task.SolicitationID, ReviewerID: d.ReviewerID, Verdict: d.Verdict, ReasonCode: d.ReasonCode,
			Comment: d.Comment, DecidedAt: d.DecidedAt,
		}
		if err := a.Store.RecordLicenseResolution(ctx, rec); err != nil {
			return err
		}
		if err := a.audit(ctx, fmt.Sprintf("task/%s/license-resolution/%s/%s/%s", task.ID, d.ReviewerID, rec.LicenseHash, rec.Clause), store.AuditEvent{
			At: d.DecidedAt, Actor: d.ReviewerID, Action: "license.resolution.recorded", SubjectType: "task", SubjectID: task.ID,
			SolicitationID: solicitationID,
			Detail: map[string]any{"license_id": rec.LicenseID, "license_hash": rec.LicenseHash, "clause": rec.Clause,
				"use_case_class": rec.UseCaseClass, "verdict": d.Verdict, "reason_code": d.ReasonCode, "comment": d.Comment},
		}); err != nil {
			return err
		}
	}
	return nil
}

func clauseOf(k domain.ResolutionKey) store.LicenseClause {
	return store.LicenseClause{LicenseHash: k.LicenseHash, Clause: k.Clause, UseCaseClass: k.UseCaseClass}
}

// sameFinding compares what identifies a finding, not its fix, which
// offerPriorResolutions extends.
func sameFinding(a, b domain.Finding) bool {
	return a.Rule == b.Rule && a.Evidence == b.Evidence && a.Message == b.Message
}

func showed(findings []domain.Finding, f domain.Finding) bool {
	for _, x := range findings {
		if sameFinding(x, f) {
			return true
		}
	}
	return false
}
