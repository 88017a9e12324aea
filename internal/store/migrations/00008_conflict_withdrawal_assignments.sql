-- +goose Up
-- A declared conflict of interest can be withdrawn. The row stays, so who was
-- conflicted with whom, and when, remains on record; only one declaration per
-- reviewer and organisation is active at a time.
ALTER TABLE conflicts_of_interest DROP CONSTRAINT conflicts_of_interest_pkey;
ALTER TABLE conflicts_of_interest
    ADD COLUMN id                bigserial PRIMARY KEY,
    ADD COLUMN withdrawn_at      timestamptz,
    ADD COLUMN withdrawal_reason text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX conflicts_of_interest_active ON conflicts_of_interest (reviewer_id, org_id)
    WHERE withdrawn_at IS NULL;

-- Why a task went to the officer before its SLA ran out: too few eligible
-- reviewers were left to decide it.
ALTER TABLE tasks ADD COLUMN escalation_reason text NOT NULL DEFAULT '';

-- Reviewers an officer added to a task its own pool could not decide.
CREATE TABLE task_assignments (
    task_id     text NOT NULL REFERENCES tasks (id),
    reviewer_id text NOT NULL REFERENCES users (id),
    assigned_by text NOT NULL REFERENCES users (id),
    assigned_at timestamptz NOT NULL,
    PRIMARY KEY (task_id, reviewer_id)
);

-- +goose Down
DROP TABLE task_assignments;
ALTER TABLE tasks DROP COLUMN escalation_reason;
DROP INDEX conflicts_of_interest_active;
DELETE FROM conflicts_of_interest WHERE withdrawn_at IS NOT NULL;
ALTER TABLE conflicts_of_interest DROP COLUMN id, DROP COLUMN withdrawn_at, DROP COLUMN withdrawal_reason;
ALTER TABLE conflicts_of_interest ADD PRIMARY KEY (reviewer_id, org_id);
