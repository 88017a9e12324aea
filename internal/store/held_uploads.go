package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// HeldUpload is one file a refused form kept for the retry.
type HeldUpload struct {
	Name    string
	Content []byte
}

// Bounds of what one form may hold: a bid's manifests are text, a few
// files of at most a few hundred kilobytes each.
const (
	MaxHeldFiles = 20
	MaxHeldBytes = 8 << 20
)

// HoldUploads keeps files for the retry of the form the session sent with
// token, in place of any it held before; expired holds of every session go
// in the same transaction, so the table holds only live ones. More than
// MaxHeldFiles files or MaxHeldBytes in all are refused, and nothing changes.
func (s *Store) HoldUploads(ctx context.Context, sessionToken, token string, files []HeldUpload, now time.Time, ttl time.Duration) error {
	total := 0
	for _, f := range files {
		total += len(f.Content)
	}
	if len(files) > MaxHeldFiles || total > MaxHeldBytes {
		return domain.Errorf(domain.ErrInvalid, "%d files of %d KB in all are more than a form keeps (%d files, %d KB): choose them again", len(files), total>>10, MaxHeldFiles, MaxHeldBytes>>10)
	}
	session := HashToken(sessionToken)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM held_uploads WHERE expires_at <= $1 OR (session_hash = $2 AND token = $3)`, now, session, token); err != nil {
			return err
		}
		rows := make([][]any, len(files))
		for i, f := range files {
			rows[i] = []any{session, token, i, f.Name, f.Content, now, now.Add(ttl)}
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"held_uploads"},
			[]string{"session_hash", "token", "seq", "filename", "content", "held_at", "expires_at"}, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return fmt.Errorf("hold %d uploaded files: %w", len(files), err)
	}
	return nil
}

// HeldUploads are the live files the session's form with token holds, in
// the order they were chosen; none when the hold expired or never was.
func (s *Store) HeldUploads(ctx context.Context, sessionToken, token string, now time.Time) ([]HeldUpload, error) {
	rows, err := s.pool.Query(ctx, `SELECT filename, content FROM held_uploads
		WHERE session_hash = $1 AND token = $2 AND expires_at > $3 ORDER BY seq`, HashToken(sessionToken), token, now)
	if err != nil {
		return nil, fmt.Errorf("read held uploads: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (HeldUpload, error) {
		var h HeldUpload
		return h, r.Scan(&h.Name, &h.Content)
	})
	if err != nil {
		return nil, fmt.Errorf("read held uploads: %w", err)
	}
	return out, nil
}

// ReleaseUploads drops the files the session's form with token holds, once
// the form succeeded. Idempotent.
func (s *Store) ReleaseUploads(ctx context.Context, sessionToken, token string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM held_uploads WHERE session_hash = $1 AND token = $2`, HashToken(sessionToken), token); err != nil {
		return fmt.Errorf("release held uploads: %w", err)
	}
	return nil
}
