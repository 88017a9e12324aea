package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// scanPin reads the pin columns of an award (migration 00010 sets them when
// the award is stored).
func scanPin(hash, weights *string, files []byte) (*domain.AwardPin, error) {
	if hash == nil {
		return nil, nil
	}
	p := &domain.AwardPin{ManifestHash: *hash, Files: map[string]string{}}
	if weights != nil {
		p.WeightsDigest = *weights
	}
	if len(files) > 0 {
		if err := json.Unmarshal(files, &p.Files); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// AwardPins returns the pins of a solicitation's awards by award id.
func (s *Store) AwardPins(ctx context.Context, solicitationID string) (map[string]*domain.AwardPin, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, manifest_hash, weights_digest, artifact_digests FROM awards WHERE solicitation_id = $1`, solicitationID)
	if err != nil {
		return nil, fmt.Errorf("read award pins of %s: %w", solicitationID, err)
	}
	defer rows.Close()
	out := map[string]*domain.AwardPin{}
	for rows.Next() {
		var id string
		var hash, weights *string
		var files []byte
		if err := rows.Scan(&id, &hash, &weights, &files); err != nil {
			return nil, fmt.Errorf("read award pins of %s: %w", solicitationID, err)
		}
		if out[id], err = scanPin(hash, weights, files); err != nil {
			return nil, fmt.Errorf("read pin of award %s: %w", id, err)
		}
	}
	return out, rows.Err()
}

// Award reads one award with its pin.
func (s *Store) Award(ctx context.Context, id string) (domain.Award, error) {
	var a domain.Award
	var hash, weights *string
	var files []byte
	err := s.pool.QueryRow(ctx, `SELECT id, solicitation_id, bid_id, candidate_id, status, rationale, recommended_by,
		recommended_at, standstill_until, decided_at, manifest_hash, weights_digest, artifact_digests FROM awards WHERE id = $1`, id).
		Scan(&a.ID, &a.SolicitationID, &a.BidID, &a.CandidateID, &a.Status, &a.Rationale, &a.RecommendedBy,
			&a.RecommendedAt, &a.StandstillUntil, &a.DecidedAt, &hash, &weights, &files)
	if err == pgx.ErrNoRows {
		return a, domain.Errorf(domain.ErrNotFound, "no award %s", id)
	}
	if err != nil {
		return a, fmt.Errorf("read award %s: %w", id, err)
	}
	a.Pin, err = scanPin(hash, weights, files)
	return a, err
}

// RecordDeliveryCheck records an officer's delivery check of an award with
// its audit event, in one transaction: a mismatch opens its task, a match
// (mismatch nil) marks the award's open delivery-mismatch tasks decided.
// Idempotent: the task and the event are keyed.
func (s *Store) RecordDeliveryCheck(ctx context.Context, awardID string, mismatch *domain.Task, at time.Time, event AuditEvent) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if mismatch != nil {
			if err := insertTask(ctx, tx, *mismatch); err != nil {
				return err
			}
		} else if _, err := tx.Exec(ctx, `UPDATE tasks SET status = 'decided', closed_at = $2
			WHERE kind = 'delivery-mismatch' AND status = 'open' AND starts_with(id, 'tsk-delivery-' || $1 || '-')`, awardID, at); err != nil {
			return fmt.Errorf("close delivery tasks of award %s: %w", awardID, err)
		}
		return appendAudit(ctx, tx, event)
	})
}
