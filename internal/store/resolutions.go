package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// LicenseClause names one clause of one license text for one class of use:
// what a license resolution decides on.
type LicenseClause struct {
	LicenseHash  string `json:"license_hash"`
	Clause       string `json:"clause"`
	UseCaseClass string `json:"use_case_class"`
}

// LicenseResolution is a reviewer's decision on a license clause.
type LicenseResolution struct {
	LicenseClause
	LicenseID      string         `json:"license_id"`
	TaskID         string         `json:"task_id"`
	CandidateID    string         `json:"candidate_id"`
	SolicitationID string         `json:"solicitation_id"`
	ReviewerID     string         `json:"reviewer_id"`
	Verdict        domain.Verdict `json:"verdict"`
	ReasonCode     string         `json:"reason_code"`
	Comment        string         `json:"comment,omitempty"`
	DecidedAt      time.Time      `json:"decided_at"`
}

// RecordLicenseResolution stores r. Idempotent on (task, reviewer, license
// text, clause); rows are never updated.
func (s *Store) RecordLicenseResolution(ctx context.Context, r LicenseResolution) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO license_resolutions (license_hash, clause, use_case_class, license_id, task_id, candidate_id,
			solicitation_id, reviewer_id, verdict, reason_code, comment, decided_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (task_id, reviewer_id, license_hash, clause) DO NOTHING`,
		r.LicenseHash, r.Clause, r.UseCaseClass, r.LicenseID, r.TaskID, r.CandidateID,
		r.SolicitationID, r.ReviewerID, string(r.Verdict), r.ReasonCode, r.Comment, r.DecidedAt)
	if err != nil {
		return fmt.Errorf("record license resolution of %s %s on task %s: %w", r.LicenseID, r.Clause, r.TaskID, err)
	}
	return nil
}

// LicenseResolutions returns the decisions taken on any of keys, newest first.
func (s *Store) LicenseResolutions(ctx context.Context, keys []LicenseClause) ([]LicenseResolution, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	hashes, clauses, classes := make([]string, len(keys)), make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		hashes[i], clauses[i], classes[i] = k.LicenseHash, k.Clause, k.UseCaseClass
	}
	rows, err := s.pool.Query(ctx, `
		SELECT r.license_hash, r.clause, r.use_case_class, r.license_id, r.task_id, r.candidate_id, r.solicitation_id,
			r.reviewer_id, r.verdict, r.reason_code, r.comment, r.decided_at
		FROM license_resolutions r
		JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(license_hash, clause, use_case_class)
			USING (license_hash, clause, use_case_class)
		ORDER BY r.decided_at DESC, r.task_id, r.reviewer_id`, hashes, clauses, classes)
	if err != nil {
		return nil, fmt.Errorf("look up license resolutions: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (LicenseResolution, error) {
		var r LicenseResolution
		err := row.Scan(&r.LicenseHash, &r.Clause, &r.UseCaseClass, &r.LicenseID, &r.TaskID, &r.CandidateID, &r.SolicitationID,
			&r.ReviewerID, &r.Verdict, &r.ReasonCode, &r.Comment, &r.DecidedAt)
		return r, err
	})
}
