package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// AuditEvent is one entry of the append-only audit trail.
type AuditEvent struct {
	Key            string         `json:"-"` // idempotency key: a retried write is stored once
	At             time.Time      `json:"at"`
	Actor          string         `json:"actor"`
	Action         string         `json:"action"`
	SubjectType    string         `json:"subject_type"`
	SubjectID      string         `json:"subject_id"`
	SolicitationID string         `json:"solicitation_id,omitempty"`
	Detail         map[string]any `json:"detail,omitempty"`
}

// AppendAudit stores an audit event once per idempotency key.
func (s *Store) AppendAudit(ctx context.Context, e AuditEvent) error {
	return appendAudit(ctx, s.pool, e)
}

// execer is what a write needs: the pool, or a transaction when the write
// must commit together with others.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func appendAudit(ctx context.Context, db execer, e AuditEvent) error {
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return err
	}
	if e.Detail == nil {
		detail = []byte("{}")
	}
	_, err = db.Exec(ctx, `
		INSERT INTO audit_events (idempotency_key, at, actor, action, subject_type, subject_id, solicitation_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, ''), $8) ON CONFLICT (idempotency_key) DO NOTHING`,
		e.Key, e.At, e.Actor, e.Action, e.SubjectType, e.SubjectID, e.SolicitationID, detail)
	if err != nil {
		return fmt.Errorf("append audit event %s: %w", e.Key, err)
	}
	return nil
}

// AuditTrail lists the events of a solicitation (and everything in it), oldest first.
func (s *Store) AuditTrail(ctx context.Context, solicitationID string) ([]AuditEvent, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT at, actor, action, subject_type, subject_id, COALESCE(solicitation_id, ''), detail
		FROM audit_events WHERE solicitation_id = $1 OR (subject_type = 'solicitation' AND subject_id = $1)
		ORDER BY id`, solicitationID)
	if err != nil {
		return nil, fmt.Errorf("read audit trail of %s: %w", solicitationID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEvent, error) {
		var e AuditEvent
		var detail []byte
		if err := r.Scan(&e.At, &e.Actor, &e.Action, &e.SubjectType, &e.SubjectID, &e.SolicitationID, &detail); err != nil {
			return e, err
		}
		return e, json.Unmarshal(detail, &e.Detail)
	})
}

// TableCounts returns the number of rows in each table, so tests can prove a
// refused request wrote nothing.
func (s *Store) TableCounts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, t := range []string{"organisations", "users", "api_tokens", "solicitations", "bids", "candidates",
		"evaluations", "evaluation_stages", "tasks", "decisions", "audit_events"} {
		var n int64
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}

// AuditTrailAll renders every audit event, one a line, for test failure messages.
func (s *Store) AuditTrailAll(ctx context.Context) (string, error) {
	var out string
	rows, err := s.pool.Query(ctx, `SELECT action, subject_id, detail::text FROM audit_events ORDER BY id`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var a, id, d string
		if err := rows.Scan(&a, &id, &d); err != nil {
			return out, err
		}
		out += a + " " + id + " " + d + "\n"
	}
	return out, rows.Err()
}
