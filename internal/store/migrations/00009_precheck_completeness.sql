-- +goose Up
-- The completeness score of a candidate at its pre-check: what the
-- evaluation will need that its manifest does not state, with fixes.
ALTER TABLE prechecks ADD COLUMN completeness jsonb;

-- +goose Down
ALTER TABLE prechecks DROP COLUMN completeness;
