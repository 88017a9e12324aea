package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// ManifestVersion is one manifest a candidate's evaluation may have run on:
// the submitted one, or one amended in answer to a clarification.
type ManifestVersion struct {
	Manifest domain.Manifest
	Hash     string    // the digest stored with it at submission or amendment
	At       time.Time // when it was submitted or amended
	// ClarificationID is the clarification it answered; "" for the submitted one.
	ClarificationID string
}

// EvaluationRecord is everything stored about one candidate's evaluation
// that a replay needs: the evaluation, its stages, its solicitation and
// every manifest version, oldest first.
type EvaluationRecord struct {
	Evaluation   EvaluationView
	BidID        string
	Solicitation domain.Solicitation
	Manifests    []ManifestVersion
}

// EvaluationRecord reads a recorded evaluation by what an auditor is shown
// of it: the candidate id (the subject of its audit events), its workflow id,
// or the id of one of its review tasks.
func (s *Store) EvaluationRecord(ctx context.Context, id string) (EvaluationRecord, error) {
	var r EvaluationRecord
	e := &r.Evaluation
	var solicitationID string
	err := s.pool.QueryRow(ctx, `
		SELECT e.candidate_id, c.name, e.workflow_id, e.outcome, e.score, COALESCE(e.policy_revision, ''),
		       e.started_at, e.completed_at, e.bid_id, e.solicitation_id
		FROM evaluations e JOIN candidates c ON c.id = e.candidate_id
		WHERE e.candidate_id = $1 OR e.workflow_id = $1
		   OR e.candidate_id = (SELECT candidate_id FROM tasks WHERE id = $1)
		LIMIT 1`, id).
		Scan(&e.CandidateID, &e.CandidateName, &e.WorkflowID, &e.Outcome, &e.Score, &e.PolicyRevision,
			&e.StartedAt, &e.CompletedAt, &r.BidID, &solicitationID)
	if err != nil {
		return r, notFound(err, "no evaluation %s: give a candidate id, an evaluation workflow id or a review task id", id)
	}
	if e.Stages, err = s.stages(ctx, e.CandidateID); err != nil {
		return r, err
	}
	if r.Solicitation, err = s.Solicitation(ctx, solicitationID); err != nil {
		return r, err
	}
	r.Manifests, err = s.manifestVersions(ctx, e.CandidateID)
	return r, err
}

// manifestVersions lists the submitted manifest and every amendment of a
// candidate, oldest first.
func (s *Store) manifestVersions(ctx context.Context, candidateID string) ([]ManifestVersion, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT c.manifest, c.manifest_hash, b.updated_at, '' AS clarification_id, 0 AS ord
		FROM candidates c JOIN bids b ON b.id = c.bid_id WHERE c.id = $1
		UNION ALL
		SELECT manifest, manifest_hash, amended_at, clarification_id, 1
		FROM candidate_amendments WHERE candidate_id = $1
		ORDER BY ord, 3`, candidateID)
	if err != nil {
		return nil, fmt.Errorf("read manifests of %s: %w", candidateID, err)
	}
	versions, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ManifestVersion, error) {
		var v ManifestVersion
		var doc []byte
		var ord int
		if err := r.Scan(&doc, &v.Hash, &v.At, &v.ClarificationID, &ord); err != nil {
			return v, err
		}
		return v, json.Unmarshal(doc, &v.Manifest)
	})
	if err != nil {
		return nil, fmt.Errorf("read manifests of %s: %w", candidateID, err)
	}
	return versions, nil
}
