-- +goose Up
-- A reviewer's decision on one clause of one license text, for one class of
-- use. Append-only: a later decision is a new row, and the license review
-- offers the most recent ones on the next bid with the same text.
CREATE TABLE license_resolutions (
    license_hash    text NOT NULL,
    clause          text NOT NULL,
    use_case_class  text NOT NULL,
    license_id      text NOT NULL,
    task_id         text NOT NULL,
    candidate_id    text NOT NULL,
    solicitation_id text NOT NULL,
    reviewer_id     text NOT NULL,
    verdict         text NOT NULL,
    reason_code     text NOT NULL,
    comment         text NOT NULL DEFAULT '',
    decided_at      timestamptz NOT NULL,
    PRIMARY KEY (task_id, reviewer_id, license_hash, clause)
);
CREATE INDEX license_resolutions_by_key ON license_resolutions (license_hash, clause, use_case_class, decided_at DESC);

-- +goose Down
DROP TABLE license_resolutions;
