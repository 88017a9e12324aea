-- +goose Up
CREATE TABLE organisations (
    id         text PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    kind       text NOT NULL CHECK (kind IN ('agency', 'vendor')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id         text PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    role       text NOT NULL CHECK (role IN ('officer', 'vendor', 'reviewer', 'auditor', 'admin')),
    org_id     text REFERENCES organisations (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Only the sha256 of a token is stored; the token itself is shown once.
CREATE TABLE api_tokens (
    token_hash   text PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

CREATE TABLE solicitations (
    id                     text PRIMARY KEY,
    agency_org_id          text NOT NULL REFERENCES organisations (id),
    title                  text NOT NULL,
    description            text NOT NULL DEFAULT '',
    risk_tier              text NOT NULL CHECK (risk_tier IN ('standard', 'high-impact')),
    deadline               timestamptz NOT NULL,
    expected_monthly_users bigint NOT NULL CHECK (expected_monthly_users >= 0),
    minimum_openness_class text CHECK (minimum_openness_class IN ('I', 'II', 'III')),
    status                 text NOT NULL,
    policy_revision        text,
    created_by             text NOT NULL REFERENCES users (id),
    created_at             timestamptz NOT NULL DEFAULT now(),
    published_at           timestamptz,
    closed_at              timestamptz,
    evaluated_at           timestamptz
);

CREATE TABLE bids (
    id              text PRIMARY KEY,
    solicitation_id text NOT NULL REFERENCES solicitations (id),
    vendor_org_id   text NOT NULL REFERENCES organisations (id),
    submitted_by    text NOT NULL REFERENCES users (id),
    submitted_at    timestamptz NOT NULL
);
CREATE INDEX bids_solicitation ON bids (solicitation_id);

CREATE TABLE candidates (
    id              text PRIMARY KEY,
    bid_id          text NOT NULL REFERENCES bids (id),
    position        int NOT NULL,
    name            text NOT NULL,
    manifest        jsonb NOT NULL,
    manifest_hash   text NOT NULL,
    weights_license text NOT NULL,
    weights_digest  text,
    UNIQUE (bid_id, position)
);

CREATE TABLE evaluations (
    candidate_id    text PRIMARY KEY REFERENCES candidates (id),
    bid_id          text NOT NULL REFERENCES bids (id),
    solicitation_id text NOT NULL REFERENCES solicitations (id),
    workflow_id     text NOT NULL UNIQUE,
    outcome         text CHECK (outcome IN ('qualified', 'disqualified')),
    score           double precision,
    policy_revision text,
    started_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz
);

-- The read model of each stage; its history is in audit_events.
CREATE TABLE evaluation_stages (
    candidate_id text NOT NULL REFERENCES evaluations (candidate_id),
    stage        text NOT NULL CHECK (stage IN ('intake', 'license', 'policy', 'approval', 'outcome')),
    status       text NOT NULL,
    findings     jsonb NOT NULL DEFAULT '[]',
    detail       jsonb NOT NULL DEFAULT '{}',
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (candidate_id, stage)
);

CREATE TABLE tasks (
    id                 text PRIMARY KEY,
    kind               text NOT NULL CHECK (kind IN ('license-resolution', 'compliance-approval')),
    status             text NOT NULL CHECK (status IN ('open', 'decided', 'superseded')),
    solicitation_id    text NOT NULL REFERENCES solicitations (id),
    bid_id             text NOT NULL REFERENCES bids (id),
    candidate_id       text NOT NULL REFERENCES candidates (id),
    vendor_org_id      text NOT NULL REFERENCES organisations (id),
    workflow_id        text NOT NULL,
    title              text NOT NULL,
    findings           jsonb NOT NULL DEFAULT '[]',
    findings_hash      text NOT NULL,
    approvals_required int NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL,
    due_at             timestamptz,
    closed_at          timestamptz
);
CREATE INDEX tasks_open ON tasks (status, created_at);

-- Append-only: one row per reviewer per task.
CREATE TABLE decisions (
    task_id       text NOT NULL REFERENCES tasks (id),
    reviewer_id   text NOT NULL REFERENCES users (id),
    verdict       text NOT NULL CHECK (verdict IN ('approve', 'reject')),
    reason_code   text NOT NULL,
    comment       text NOT NULL DEFAULT '',
    findings_hash text NOT NULL,
    decided_at    timestamptz NOT NULL,
    PRIMARY KEY (task_id, reviewer_id)
);

-- Append-only audit trail. idempotency_key makes a retried activity write once.
CREATE TABLE audit_events (
    id              bigserial PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    at              timestamptz NOT NULL,
    actor           text NOT NULL,
    action          text NOT NULL,
    subject_type    text NOT NULL,
    subject_id      text NOT NULL,
    solicitation_id text,
    detail          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_subject ON audit_events (subject_type, subject_id);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE decisions;
DROP TABLE tasks;
DROP TABLE evaluation_stages;
DROP TABLE evaluations;
DROP TABLE candidates;
DROP TABLE bids;
DROP TABLE solicitations;
DROP TABLE api_tokens;
DROP TABLE users;
DROP TABLE organisations;
