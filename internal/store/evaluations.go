package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// StartEvaluation records that a candidate's evaluation began, with every
// stage pending. Idempotent.
func (s *Store) StartEvaluation(ctx context.Context, candidateID, bidID, solicitationID, workflowID, revision string, at time.Time) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			INSERT INTO evaluations (candidate_id, bid_id, solicitation_id, workflow_id, policy_revision, started_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (candidate_id) DO NOTHING`,
			candidateID, bidID, solicitationID, workflowID, revision, at); err != nil {
			return err
		}
		for _, st := range domain.Stages {
			if _, err := tx.Exec(ctx, `
				INSERT INTO evaluation_stages (candidate_id, stage, status, updated_at) VALUES ($1, $2, 'pending', $3)
				ON CONFLICT (candidate_id, stage) DO NOTHING`, candidateID, string(st), at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("start evaluation of %s: %w", candidateID, err)
	}
	return nil
}

// RecordStage sets the read model of one stage. Idempotent: an update older
// than what is stored is ignored, the same update twice writes the same row.
func (s *Store) RecordStage(ctx context.Context, u domain.StageUpdate) error {
	findings, err := json.Marshal(nonNil(u.Findings))
	if err != nil {
		return err
	}
	detail, err := json.Marshal(u.Detail)
	if err != nil {
		return err
	}
	if u.Detail == nil {
		detail = []byte("{}")
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO evaluation_stages (candidate_id, stage, status, findings, detail, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (candidate_id, stage) DO UPDATE SET status = $3, findings = $4, detail = $5, updated_at = $6
		WHERE evaluation_stages.updated_at <= $6`,
		u.CandidateID, string(u.Stage), string(u.Status), findings, detail, u.At)
	if err != nil {
		return fmt.Errorf("record stage %s of %s: %w", u.Stage, u.CandidateID, err)
	}
	return nil
}

// CompleteEvaluation records the outcome. Idempotent.
func (s *Store) CompleteEvaluation(ctx context.Context, candidateID string, outcome domain.Outcome, score float64, at time.Time) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE evaluations SET outcome = $2, score = $3, completed_at = $4
		WHERE candidate_id = $1 AND completed_at IS NULL`, candidateID, string(outcome), score, at)
	if err != nil {
		return fmt.Errorf("complete evaluation of %s: %w", candidateID, err)
	}
	return nil
}

// StageView is one stage as the API shows it.
type StageView struct {
	Stage     domain.Stage       `json:"stage"`
	Status    domain.StageStatus `json:"status"`
	Findings  []domain.Finding   `json:"findings"`
	Detail    map[string]any     `json:"detail,omitempty"`
	UpdatedAt time.Time          `json:"updated_at"`
}

// EvaluationView is a candidate's evaluation as the API shows it.
type EvaluationView struct {
	CandidateID    string          `json:"candidate_id"`
	CandidateName  string          `json:"candidate_name"`
	WorkflowID     string          `json:"workflow_id"`
	Outcome        *domain.Outcome `json:"outcome"`
	Score          *float64        `json:"score"`
	PolicyRevision string          `json:"policy_revision,omitempty"`
	StartedAt      time.Time       `json:"started_at"`
	CompletedAt    *time.Time      `json:"completed_at,omitempty"`
	Stages         []StageView     `json:"stages"`
}

// EvaluationsForBid lists the evaluations of every candidate in a bid, stages
// in pipeline order.
func (s *Store) EvaluationsForBid(ctx context.Context, bidID string) ([]EvaluationView, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT e.candidate_id, c.name, e.workflow_id, e.outcome, e.score, COALESCE(e.policy_revision, ''), e.started_at, e.completed_at
		FROM evaluations e JOIN candidates c ON c.id = e.candidate_id
		WHERE e.bid_id = $1 ORDER BY c.position`, bidID)
	if err != nil {
		return nil, fmt.Errorf("list evaluations of bid %s: %w", bidID, err)
	}
	evals, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (EvaluationView, error) {
		var e EvaluationView
		err := r.Scan(&e.CandidateID, &e.CandidateName, &e.WorkflowID, &e.Outcome, &e.Score, &e.PolicyRevision, &e.StartedAt, &e.CompletedAt)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list evaluations of bid %s: %w", bidID, err)
	}
	for i := range evals {
		if evals[i].Stages, err = s.stages(ctx, evals[i].CandidateID); err != nil {
			return nil, err
		}
	}
	return evals, nil
}

func (s *Store) stages(ctx context.Context, candidateID string) ([]StageView, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT stage, status, findings, detail, updated_at FROM evaluation_stages WHERE candidate_id = $1
		ORDER BY array_position(ARRAY['intake','license','policy','clarification','approval','outcome'], stage)`, candidateID)
	if err != nil {
		return nil, fmt.Errorf("read stages of %s: %w", candidateID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (StageView, error) {
		var v StageView
		var findings, detail []byte
		if err := r.Scan(&v.Stage, &v.Status, &findings, &detail, &v.UpdatedAt); err != nil {
			return v, err
		}
		if err := json.Unmarshal(findings, &v.Findings); err != nil {
			return v, err
		}
		return v, json.Unmarshal(detail, &v.Detail)
	})
}

// nonNil stores an empty list as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
