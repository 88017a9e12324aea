-- +goose Up
-- The lineage of a candidate at its pre-check: each base model it derives
-- from, the base's license and how the candidate's license compares, so the
-- vendor sees the inherited duties before the deadline.
ALTER TABLE prechecks ADD COLUMN lineage jsonb;

-- +goose Down
ALTER TABLE prechecks DROP COLUMN lineage;
