package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// SavePolicyBundle stores the files of the policy bundle with the given
// revision (policies.Bundle.Revision and Files). Idempotent: a revision is a
// content hash, so a revision already stored keeps its files.
func (s *Store) SavePolicyBundle(ctx context.Context, revision string, files map[string][]byte) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO policy_bundles (revision) VALUES ($1) ON CONFLICT (revision) DO NOTHING`, revision)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		rows := make([][]any, 0, len(files))
		for path, content := range files {
			rows = append(rows, []any{revision, path, content})
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"policy_bundle_files"}, []string{"revision", "path", "content"}, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return fmt.Errorf("store policy bundle %s: %w", revision, err)
	}
	return nil
}

// PolicyBundle returns the files stored under revision, by path, as they
// were saved: check them against the revision before trusting them
// (policies.OpenBundle). A revision never stored is domain.ErrNotFound.
func (s *Store) PolicyBundle(ctx context.Context, revision string) (map[string][]byte, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT f.path, f.content FROM policy_bundles b
		LEFT JOIN policy_bundle_files f ON f.revision = b.revision
		WHERE b.revision = $1`, revision)
	if err != nil {
		return nil, fmt.Errorf("read policy bundle %s: %w", revision, err)
	}
	defer rows.Close()
	var files map[string][]byte
	for rows.Next() {
		var path *string
		var content []byte
		if err := rows.Scan(&path, &content); err != nil {
			return nil, fmt.Errorf("read policy bundle %s: %w", revision, err)
		}
		if files == nil {
			// The bundle's row exists, with or without files.
			files = map[string][]byte{}
		}
		if path != nil {
			files[*path] = content
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read policy bundle %s: %w", revision, err)
	}
	if files == nil {
		return nil, domain.Errorf(domain.ErrNotFound, "no policy bundle with revision %s is stored", revision)
	}
	return files, nil
}
