-- +goose Up
-- Files a refused web form kept for the retry, so the user need not choose
-- them again: keyed by the browser session (the sha256 of its cookie, as
-- web_sessions keys it) and a random token the form carries; they expire
-- after an hour and go as soon as the form succeeds.
CREATE TABLE held_uploads (
    session_hash text NOT NULL REFERENCES web_sessions (token_hash) ON DELETE CASCADE,
    token        text NOT NULL,
    seq          integer NOT NULL,
    filename     text NOT NULL,
    content      bytea NOT NULL,
    held_at      timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (session_hash, token, seq)
);
CREATE INDEX held_uploads_expiry ON held_uploads (expires_at);

-- +goose Down
DROP TABLE held_uploads;
