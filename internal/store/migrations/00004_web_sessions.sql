-- +goose Up
-- Passwords for the web UI, one per user; only the bcrypt hash is stored.
CREATE TABLE user_passwords (
    user_id       text PRIMARY KEY REFERENCES users (id),
    password_hash text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Web UI sessions. Only the sha256 of the session cookie is stored, so a
-- database reader cannot take over a session.
CREATE TABLE web_sessions (
    token_hash  text PRIMARY KEY,
    user_id     text NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    ended_at    timestamptz
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

-- +goose Down
DROP TABLE web_sessions;
DROP TABLE user_passwords;
