package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// SaveRanking stores a qualified candidate's total and breakdown. Idempotent.
func (s *Store) SaveRanking(ctx context.Context, r domain.RankedCandidate) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `UPDATE evaluations SET ranking = $2 WHERE candidate_id = $1`, r.CandidateID, doc); err != nil {
		return fmt.Errorf("save ranking of %s: %w", r.CandidateID, err)
	}
	return nil
}

// Ranking lists the ranked candidates of a solicitation, best first.
func (s *Store) Ranking(ctx context.Context, solicitationID string) ([]domain.RankedCandidate, error) {
	rows, err := s.pool.Query(ctx, `SELECT ranking FROM evaluations WHERE solicitation_id = $1 AND ranking IS NOT NULL
		ORDER BY (ranking->>'rank')::int`, solicitationID)
	if err != nil {
		return nil, fmt.Errorf("read ranking of %s: %w", solicitationID, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.RankedCandidate, error) {
		var rc domain.RankedCandidate
		var doc []byte
		if err := r.Scan(&doc); err != nil {
			return rc, err
		}
		return rc, json.Unmarshal(doc, &rc)
	})
}

// InsertAward stores an officer's recommendation. Idempotent.
func (s *Store) InsertAward(ctx context.Context, a domain.Award) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO awards (id, solicitation_id, bid_id, candidate_id, status, rationale,
		recommended_by, recommended_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
		a.ID, a.SolicitationID, a.BidID, a.CandidateID, a.Status, a.Rationale, a.RecommendedBy, a.RecommendedAt)
	if err != nil {
		return fmt.Errorf("store award %s: %w", a.ID, err)
	}
	return nil
}

// SetAwardStatus moves an award along: standstill (with its end), awarded,
// rejected or cancelled. Idempotent.
func (s *Store) SetAwardStatus(ctx context.Context, id, status string, standstillUntil *time.Time, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE awards SET status = $2, standstill_until = COALESCE($3, standstill_until),
		decided_at = CASE WHEN $2 IN ('awarded', 'rejected', 'cancelled') THEN $4 ELSE decided_at END
		WHERE id = $1`, id, status, standstillUntil, at)
	if err != nil {
		return fmt.Errorf("set award %s to %s: %w", id, status, err)
	}
	return nil
}

// Awards lists a solicitation's awards, newest last.
func (s *Store) Awards(ctx context.Context, solicitationID string) ([]domain.Award, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, solicitation_id, bid_id, candidate_id, status, rationale, recommended_by,
		recommended_at, standstill_until, decided_at FROM awards WHERE solicitation_id = $1 ORDER BY recommended_at, id`, solicitationID)
	if err != nil {
		return nil, fmt.Errorf("list awards of %s: %w", solicitationID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[domain.Award])
}

// InsertProtest stores a protest. Idempotent.
func (s *Store) InsertProtest(ctx context.Context, p domain.Protest) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO protests (id, solicitation_id, award_id, vendor_org_id, filed_by, grounds, filed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
		p.ID, p.SolicitationID, p.AwardID, p.VendorOrgID, p.FiledBy, p.Grounds, p.FiledAt)
	if err != nil {
		return fmt.Errorf("store protest %s: %w", p.ID, err)
	}
	return nil
}

// DecideProtest stores the officer's written decision once.
func (s *Store) DecideProtest(ctx context.Context, id, outcome, decision, officerID string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE protests SET outcome = $2, decision = $3, decided_by = $4, decided_at = $5
		WHERE id = $1 AND decided_at IS NULL`, id, outcome, decision, officerID, at)
	if err != nil {
		return fmt.Errorf("decide protest %s: %w", id, err)
	}
	return nil
}

// Protests lists a solicitation's protests, oldest first.
func (s *Store) Protests(ctx context.Context, solicitationID string) ([]domain.Protest, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, solicitation_id, award_id, vendor_org_id, filed_by, grounds, filed_at,
		COALESCE(outcome, ''), COALESCE(decision, ''), COALESCE(decided_by, ''), decided_at
		FROM protests WHERE solicitation_id = $1 ORDER BY filed_at, id`, solicitationID)
	if err != nil {
		return nil, fmt.Errorf("list protests of %s: %w", solicitationID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[domain.Protest])
}

// InsertClarification stores a reviewer's question to a vendor. Idempotent.
func (s *Store) InsertClarification(ctx context.Context, c domain.Clarification) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO clarifications (id, candidate_id, task_id, vendor_org_id, asked_by, question,
		asked_at, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
		c.ID, c.CandidateID, c.TaskID, c.VendorOrgID, c.AskedBy, c.Question, c.AskedAt, c.DueAt)
	if err != nil {
		return fmt.Errorf("store clarification %s: %w", c.ID, err)
	}
	return nil
}

// CloseClarification records the vendor's answer, or (answer == "") that the
// deadline passed without one. Idempotent.
func (s *Store) CloseClarification(ctx context.Context, id, answer, vendorUserID string, at time.Time) error {
	q := `UPDATE clarifications SET answer = $2, answered_by = NULLIF($3, ''), answered_at = $4
		WHERE id = $1 AND answered_at IS NULL AND expired_at IS NULL`
	if answer == "" {
		q = `UPDATE clarifications SET expired_at = $4 WHERE id = $1 AND answered_at IS NULL AND expired_at IS NULL
			AND $2 = '' AND $3 = ''`
	}
	if _, err := s.pool.Exec(ctx, q, id, answer, vendorUserID, at); err != nil {
		return fmt.Errorf("close clarification %s: %w", id, err)
	}
	return nil
}

// Clarifications lists the clarification requests on a bid's candidates.
func (s *Store) Clarifications(ctx context.Context, bidID string) ([]domain.Clarification, error) {
	rows, err := s.pool.Query(ctx, `SELECT cl.id, cl.candidate_id, cl.task_id, cl.vendor_org_id, cl.asked_by, cl.question,
		cl.asked_at, cl.due_at, COALESCE(cl.answer, ''), COALESCE(cl.answered_by, ''), cl.answered_at, cl.expired_at
		FROM clarifications cl JOIN candidates c ON c.id = cl.candidate_id WHERE c.bid_id = $1 ORDER BY cl.asked_at`, bidID)
	if err != nil {
		return nil, fmt.Errorf("list clarifications of %s: %w", bidID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[domain.Clarification])
}

// Clarification reads one clarification request.
func (s *Store) Clarification(ctx context.Context, id string) (domain.Clarification, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, candidate_id, task_id, vendor_org_id, asked_by, question, asked_at, due_at,
		COALESCE(answer, ''), COALESCE(answered_by, ''), answered_at, expired_at FROM clarifications WHERE id = $1`, id)
	if err != nil {
		return domain.Clarification{}, fmt.Errorf("read clarification %s: %w", id, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[domain.Clarification])
	if err != nil {
		return c, notFound(err, "no clarification %s", id)
	}
	return c, nil
}

// SaveNotice stores a published open-contracting release. Idempotent.
func (s *Store) SaveNotice(ctx context.Context, solicitationID, releaseID string, doc []byte, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO notices (release_id, solicitation_id, document, published_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (release_id) DO NOTHING`, releaseID, solicitationID, doc, at)
	if err != nil {
		return fmt.Errorf("save notice %s: %w", releaseID, err)
	}
	return nil
}

// LatestNotice returns the newest published release package of a solicitation.
func (s *Store) LatestNotice(ctx context.Context, solicitationID string) ([]byte, error) {
	var doc []byte
	err := s.pool.QueryRow(ctx, `SELECT document FROM notices WHERE solicitation_id = $1
		ORDER BY published_at DESC LIMIT 1`, solicitationID).Scan(&doc)
	if err != nil {
		return nil, notFound(err, "solicitation %s has no published notice yet: a notice is published when the award stands", solicitationID)
	}
	return doc, nil
}

// Organisation reads one organisation.
func (s *Store) Organisation(ctx context.Context, id string) (domain.Organisation, error) {
	var o domain.Organisation
	err := s.pool.QueryRow(ctx, `SELECT id, name, kind FROM organisations WHERE id = $1`, id).Scan(&o.ID, &o.Name, &o.Kind)
	if err != nil {
		return o, notFound(err, "no organisation %s", id)
	}
	return o, nil
}

// AmendManifest stores the manifest a vendor amended in answer to a
// clarification. Idempotent.
func (s *Store) AmendManifest(ctx context.Context, candidateID, clarificationID string, m domain.Manifest, hash string, at time.Time) error {
	doc, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO candidate_amendments (candidate_id, clarification_id, manifest, manifest_hash, amended_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, candidateID, clarificationID, doc, hash, at)
	if err != nil {
		return fmt.Errorf("amend manifest of %s: %w", candidateID, err)
	}
	return nil
}

// CurrentManifest is the manifest an evaluation runs on: the latest amended
// one, else the submitted one.
func (s *Store) CurrentManifest(ctx context.Context, candidateID string) (domain.Manifest, string, error) {
	var doc []byte
	var hash string
	err := s.pool.QueryRow(ctx, `SELECT manifest, manifest_hash FROM candidate_amendments WHERE candidate_id = $1
		ORDER BY amended_at DESC LIMIT 1`, candidateID).Scan(&doc, &hash)
	if err == pgx.ErrNoRows {
		c, err := s.Candidate(ctx, candidateID)
		return c.Manifest, c.ManifestHash, err
	}
	if err != nil {
		return domain.Manifest{}, "", fmt.Errorf("read manifest of %s: %w", candidateID, err)
	}
	var m domain.Manifest
	return m, hash, json.Unmarshal(doc, &m)
}

// Progress is where a solicitation stands beyond its status: how many bids
// are in (and how many of them are one organisation's), its latest award and
// how many protests wait for a decision.
type Progress struct {
	Bids            int
	OwnBids         int
	Award           string // status of the latest award; "" when none was recommended
	StandstillUntil *time.Time
	OpenProtests    int
}

// SolicitationProgress gives the progress of every solicitation, by id, in
// one query for the dashboard; OwnBids counts orgID's bids ("" for none).
// Withdrawn bids do not count.
func (s *Store) SolicitationProgress(ctx context.Context, orgID string) (map[string]Progress, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT s.id, bc.bids, bc.own, COALESCE(la.status, ''), la.standstill_until,
		       (SELECT count(*) FROM protests p WHERE p.solicitation_id = s.id AND p.outcome IS NULL)
		FROM solicitations s
		CROSS JOIN LATERAL (SELECT count(*) AS bids, count(*) FILTER (WHERE b.vendor_org_id = $1) AS own
		                    FROM bids b WHERE b.solicitation_id = s.id AND b.status <> 'withdrawn') bc
		LEFT JOIN LATERAL (SELECT status, standstill_until FROM awards a WHERE a.solicitation_id = s.id
		                   ORDER BY recommended_at DESC, id DESC LIMIT 1) la ON true`, orgID)
	if err != nil {
		return nil, fmt.Errorf("read solicitation progress: %w", err)
	}
	defer rows.Close()
	out := map[string]Progress{}
	for rows.Next() {
		var id string
		var p Progress
		if err := rows.Scan(&id, &p.Bids, &p.OwnBids, &p.Award, &p.StandstillUntil, &p.OpenProtests); err != nil {
			return nil, fmt.Errorf("read solicitation progress: %w", err)
		}
		out[id] = p
	}
	return out, rows.Err()
}
