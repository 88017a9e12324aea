-- +goose Up
-- Bid lists are paged by keyset on (submitted_at, id) within a
-- solicitation; this index serves a page from any depth in the same time.
-- It also serves every lookup the narrower index did.
CREATE INDEX bids_solicitation_submitted ON bids (solicitation_id, submitted_at, id);
DROP INDEX bids_solicitation;

-- +goose Down
CREATE INDEX bids_solicitation ON bids (solicitation_id);
DROP INDEX bids_solicitation_submitted;
