-- +goose Up
-- The policy packs a solicitation applies and its Open Source AI
-- Definition terms, chosen in the draft and frozen at publication.
-- Solicitations drafted before this keep an empty list: the policy then
-- applies the defaults for their tier, as it did when they were published.
ALTER TABLE solicitations
	ADD COLUMN packs text[] NOT NULL DEFAULT '{}',
	ADD COLUMN large_language_model boolean NOT NULL DEFAULT false,
	ADD COLUMN require_osaid boolean NOT NULL DEFAULT false,
	ADD COLUMN osaid_preference_points integer NOT NULL DEFAULT 0
		CHECK (osaid_preference_points BETWEEN 0 AND 100);

-- +goose Down
ALTER TABLE solicitations DROP COLUMN packs, DROP COLUMN large_language_model,
	DROP COLUMN require_osaid, DROP COLUMN osaid_preference_points;
