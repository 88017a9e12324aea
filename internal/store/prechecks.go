package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// SavePrecheck stores a candidate's pre-check. Idempotent.
func (s *Store) SavePrecheck(ctx context.Context, p domain.Precheck) error {
	findings, err := json.Marshal(nonNil(p.Findings))
	if err != nil {
		return err
	}
	completeness, err := json.Marshal(p.Completeness)
	if err != nil {
		return err
	}
	var lineage []byte
	if len(p.Lineage) > 0 {
		if lineage, err = json.Marshal(p.Lineage); err != nil {
			return err
		}
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO prechecks (candidate_id, findings, outcome, score, policy_revision, checked_at, completeness, lineage)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (candidate_id) DO NOTHING`,
		p.CandidateID, findings, p.Outcome, p.Score, p.PolicyRevision, p.CheckedAt, completeness, lineage)
	if err != nil {
		return fmt.Errorf("save pre-check of %s: %w", p.CandidateID, err)
	}
	return nil
}

// Prechecks lists the pre-checks of a bid's current candidates.
func (s *Store) Prechecks(ctx context.Context, bidID string) ([]domain.Precheck, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.candidate_id, c.name, p.outcome, COALESCE(p.score, 0), p.findings,
		p.policy_revision, p.checked_at, p.completeness, p.lineage FROM prechecks p JOIN candidates c ON c.id = p.candidate_id
		WHERE c.bid_id = $1 AND c.superseded_at IS NULL ORDER BY c.position`, bidID)
	if err != nil {
		return nil, fmt.Errorf("list pre-checks of %s: %w", bidID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Precheck, error) {
		var p domain.Precheck
		var findings, completeness, lineage []byte
		if err := r.Scan(&p.CandidateID, &p.CandidateName, &p.Outcome, &p.Score, &findings, &p.PolicyRevision, &p.CheckedAt, &completeness, &lineage); err != nil {
			return p, err
		}
		if lineage != nil {
			if err := json.Unmarshal(lineage, &p.Lineage); err != nil {
				return p, err
			}
		}
		if completeness != nil {
			if err := json.Unmarshal(completeness, &p.Completeness); err != nil {
				return p, err
			}
		}
		return p, json.Unmarshal(findings, &p.Findings)
	})
}
