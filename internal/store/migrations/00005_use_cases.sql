-- +goose Up
-- The classes of intended use a solicitation declares
-- (policies/data/use_cases.json); license use restrictions are weighed
-- against them.
ALTER TABLE solicitations ADD COLUMN use_cases text[] NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE solicitations DROP COLUMN use_cases;
