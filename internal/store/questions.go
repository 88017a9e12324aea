package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// InsertQuestion stores a vendor's question. Idempotent.
func (s *Store) InsertQuestion(ctx context.Context, q domain.Question) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO questions (id, solicitation_id, vendor_org_id, asked_by, question, asked_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
		q.ID, q.SolicitationID, q.VendorOrgID, q.AskedBy, q.Question, q.AskedAt)
	if err != nil {
		return fmt.Errorf("store question %s: %w", q.ID, err)
	}
	return nil
}

// AnswerQuestion stores the officer's answer once.
func (s *Store) AnswerQuestion(ctx context.Context, id, answer, officerID string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE questions SET answer = $2, answered_by = $3, answered_at = $4
		WHERE id = $1 AND answered_at IS NULL`, id, answer, officerID, at)
	if err != nil {
		return fmt.Errorf("answer question %s: %w", id, err)
	}
	return nil
}

// Questions lists a solicitation's questions, oldest first. Who asked stays
// in the database; callers publish questions anonymised.
func (s *Store) Questions(ctx context.Context, solicitationID string) ([]domain.Question, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, solicitation_id, vendor_org_id, asked_by, question, asked_at,
		COALESCE(answer, ''), COALESCE(answered_by, ''), answered_at FROM questions WHERE solicitation_id = $1
		ORDER BY asked_at, id`, solicitationID)
	if err != nil {
		return nil, fmt.Errorf("list questions of %s: %w", solicitationID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[domain.Question])
}
