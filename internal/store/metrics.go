package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modeltender/modeltender/internal/domain"
)

// OperationalStats is what the system holds at one moment, for monitoring.
type OperationalStats struct {
	Evaluations []EvaluationCount
	OpenTasks   []OpenTaskCount
}

// EvaluationCount is how many evaluations last moved in a stage and stand at
// an outcome ("undecided" until they have one).
type EvaluationCount struct {
	Stage   domain.Stage
	Outcome string
	Count   int
}

// OpenTaskCount is how many tasks of a kind wait for a decision and since when.
type OpenTaskCount struct {
	Kind            domain.TaskKind
	Count           int
	OldestCreatedAt time.Time
}

// OperationalStats counts evaluations by current stage and outcome, and open
// tasks by kind with the oldest one's creation time. An evaluation's current
// stage is the one that moved last, pending and skipped stages aside (a
// clarification re-runs the license and policy stages after it); one whose
// stages are all pending is at intake.
func (s *Store) OperationalStats(ctx context.Context) (OperationalStats, error) {
	var st OperationalStats
	rows, err := s.pool.Query(ctx, `
		SELECT COALESCE(cur.stage, 'intake'), COALESCE(e.outcome, 'undecided'), count(*)
		FROM evaluations e
		LEFT JOIN LATERAL (
			SELECT s.stage FROM evaluation_stages s
			WHERE s.candidate_id = e.candidate_id AND s.status NOT IN ('pending', 'skipped')
			ORDER BY s.updated_at DESC,
			         array_position(ARRAY['intake','license','policy','clarification','approval','outcome'], s.stage) DESC
			LIMIT 1) cur ON true
		GROUP BY 1, 2 ORDER BY 1, 2`)
	if err != nil {
		return st, fmt.Errorf("count evaluations by stage: %w", err)
	}
	st.Evaluations, err = pgx.CollectRows(rows, pgx.RowToStructByPos[EvaluationCount])
	if err != nil {
		return st, fmt.Errorf("count evaluations by stage: %w", err)
	}
	rows, err = s.pool.Query(ctx, `
		SELECT kind, count(*), min(created_at) FROM tasks WHERE status = 'open' GROUP BY kind ORDER BY kind`)
	if err != nil {
		return st, fmt.Errorf("count open tasks: %w", err)
	}
	st.OpenTasks, err = pgx.CollectRows(rows, pgx.RowToStructByPos[OpenTaskCount])
	if err != nil {
		return st, fmt.Errorf("count open tasks: %w", err)
	}
	return st, nil
}
