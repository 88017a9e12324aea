-- +goose Up
-- The solicitation lifecycle: Q&A, amendments, bid revisions and withdrawals,
-- pre-checks, ranking, award with approval and standstill, protests,
-- cancellation, clarifications, escalations and conflict-of-interest
-- declarations. Everything here is appended; rows change state, never content.

ALTER TABLE solicitations
    ADD COLUMN weights                jsonb NOT NULL DEFAULT '{"openness": 0.4, "safety": 0.3, "price": 0.3}',
    ADD COLUMN standstill_days        double precision NOT NULL DEFAULT 10 CHECK (standstill_days >= 0),
    ADD COLUMN amendment_notice_days  double precision NOT NULL DEFAULT 3 CHECK (amendment_notice_days >= 0),
    ADD COLUMN openness_points        jsonb,
    ADD COLUMN enquiry_period_days    double precision CHECK (enquiry_period_days >= 0),
    ADD COLUMN status_changed_at      timestamptz,
    ADD COLUMN cancel_reason          text;

ALTER TABLE bids
    ADD COLUMN status         text NOT NULL DEFAULT 'submitted'
        CHECK (status IN ('submitted', 'needs-confirmation', 'withdrawn', 'excluded')),
    ADD COLUMN revision       int NOT NULL DEFAULT 1,
    ADD COLUMN price_amount   numeric,
    ADD COLUMN price_currency text,
    ADD COLUMN updated_at     timestamptz;

-- A revision adds candidates; the ones it replaces are kept, marked superseded.
ALTER TABLE candidates
    ADD COLUMN revision      int NOT NULL DEFAULT 1,
    ADD COLUMN superseded_at timestamptz;
ALTER TABLE candidates DROP CONSTRAINT candidates_bid_id_position_key;
ALTER TABLE candidates ADD CONSTRAINT candidates_bid_revision_position_key UNIQUE (bid_id, revision, position);

-- The automated pre-check a vendor sees on its own bid before the deadline.
CREATE TABLE prechecks (
    candidate_id    text PRIMARY KEY REFERENCES candidates (id),
    findings        jsonb NOT NULL,
    outcome         text NOT NULL CHECK (outcome IN ('pass', 'needs-review', 'fail')),
    score           double precision,
    policy_revision text NOT NULL,
    checked_at      timestamptz NOT NULL
);

CREATE TABLE questions (
    id              text PRIMARY KEY,
    solicitation_id text NOT NULL REFERENCES solicitations (id),
    vendor_org_id   text NOT NULL REFERENCES organisations (id),
    asked_by        text NOT NULL REFERENCES users (id),
    question        text NOT NULL,
    asked_at        timestamptz NOT NULL,
    answer          text,
    answered_by     text REFERENCES users (id),
    answered_at     timestamptz
);
CREATE INDEX questions_solicitation ON questions (solicitation_id, asked_at);

CREATE TABLE amendments (
    id                text PRIMARY KEY,
    solicitation_id   text NOT NULL REFERENCES solicitations (id),
    seq               int NOT NULL,
    description       text NOT NULL,
    previous_deadline timestamptz NOT NULL,
    new_deadline      timestamptz NOT NULL,
    amended_by        text NOT NULL REFERENCES users (id),
    amended_at        timestamptz NOT NULL,
    UNIQUE (solicitation_id, seq)
);

ALTER TABLE evaluations
    ADD COLUMN ranking jsonb;

ALTER TABLE evaluation_stages DROP CONSTRAINT evaluation_stages_stage_check;
ALTER TABLE evaluation_stages ADD CONSTRAINT evaluation_stages_stage_check
    CHECK (stage IN ('intake', 'license', 'policy', 'clarification', 'approval', 'outcome'));

ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check
    CHECK (kind IN ('license-resolution', 'compliance-approval', 'award-approval'));
-- Award tasks concern the whole solicitation, not one bid.
ALTER TABLE tasks ALTER COLUMN bid_id DROP NOT NULL;
ALTER TABLE tasks ALTER COLUMN candidate_id DROP NOT NULL;
ALTER TABLE tasks ALTER COLUMN vendor_org_id DROP NOT NULL;
ALTER TABLE tasks
    ADD COLUMN excluded_org_ids  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN excluded_user_ids text[] NOT NULL DEFAULT '{}',
    ADD COLUMN escalation_level  int NOT NULL DEFAULT 0,
    ADD COLUMN escalated_at      timestamptz;

-- A reviewer's questions to a vendor about a candidate, and the answers.
CREATE TABLE clarifications (
    id             text PRIMARY KEY,
    candidate_id   text NOT NULL REFERENCES candidates (id),
    task_id        text NOT NULL REFERENCES tasks (id),
    vendor_org_id  text NOT NULL REFERENCES organisations (id),
    asked_by       text NOT NULL REFERENCES users (id),
    question       text NOT NULL,
    asked_at       timestamptz NOT NULL,
    due_at         timestamptz NOT NULL,
    answer         text,
    answered_by    text REFERENCES users (id),
    answered_at    timestamptz,
    expired_at     timestamptz
);

-- A manifest a vendor amended in answer to a clarification; the latest one
-- is what the evaluation re-runs on. The submitted manifest is never changed.
CREATE TABLE candidate_amendments (
    candidate_id     text NOT NULL REFERENCES candidates (id),
    clarification_id text NOT NULL REFERENCES clarifications (id),
    manifest         jsonb NOT NULL,
    manifest_hash    text NOT NULL,
    amended_at       timestamptz NOT NULL,
    PRIMARY KEY (candidate_id, clarification_id)
);

CREATE TABLE conflicts_of_interest (
    reviewer_id text NOT NULL REFERENCES users (id),
    org_id      text NOT NULL REFERENCES organisations (id),
    reason      text NOT NULL,
    declared_at timestamptz NOT NULL,
    PRIMARY KEY (reviewer_id, org_id)
);

CREATE TABLE awards (
    id               text PRIMARY KEY,
    solicitation_id  text NOT NULL REFERENCES solicitations (id),
    bid_id           text NOT NULL REFERENCES bids (id),
    candidate_id     text NOT NULL REFERENCES candidates (id),
    status           text NOT NULL CHECK (status IN ('pending-approval', 'standstill', 'awarded', 'rejected', 'cancelled')),
    rationale        text NOT NULL,
    recommended_by   text NOT NULL REFERENCES users (id),
    recommended_at   timestamptz NOT NULL,
    standstill_until timestamptz,
    decided_at       timestamptz
);

CREATE TABLE protests (
    id              text PRIMARY KEY,
    solicitation_id text NOT NULL REFERENCES solicitations (id),
    award_id        text NOT NULL REFERENCES awards (id),
    vendor_org_id   text NOT NULL REFERENCES organisations (id),
    filed_by        text NOT NULL REFERENCES users (id),
    grounds         text NOT NULL,
    filed_at        timestamptz NOT NULL,
    outcome         text CHECK (outcome IN ('upheld', 'dismissed')),
    decision        text,
    decided_by      text REFERENCES users (id),
    decided_at      timestamptz
);

-- Published open-contracting releases, one per publication.
CREATE TABLE notices (
    release_id      text PRIMARY KEY,
    solicitation_id text NOT NULL REFERENCES solicitations (id),
    document        jsonb NOT NULL,
    published_at    timestamptz NOT NULL
);

-- +goose Down
DROP TABLE notices;
DROP TABLE protests;
DROP TABLE awards;
DROP TABLE conflicts_of_interest;
DROP TABLE candidate_amendments;
DROP TABLE clarifications;
ALTER TABLE tasks DROP COLUMN excluded_org_ids, DROP COLUMN excluded_user_ids,
    DROP COLUMN escalation_level, DROP COLUMN escalated_at;
ALTER TABLE evaluations DROP COLUMN ranking;
DROP TABLE amendments;
DROP TABLE questions;
DROP TABLE prechecks;
ALTER TABLE candidates DROP CONSTRAINT candidates_bid_revision_position_key;
ALTER TABLE candidates DROP COLUMN revision, DROP COLUMN superseded_at;
ALTER TABLE candidates ADD CONSTRAINT candidates_bid_id_position_key UNIQUE (bid_id, position);
ALTER TABLE bids DROP COLUMN status, DROP COLUMN revision, DROP COLUMN price_amount,
    DROP COLUMN price_currency, DROP COLUMN updated_at;
ALTER TABLE solicitations DROP COLUMN weights, DROP COLUMN standstill_days,
    DROP COLUMN amendment_notice_days, DROP COLUMN status_changed_at, DROP COLUMN cancel_reason, DROP COLUMN openness_points,
    DROP COLUMN enquiry_period_days;
