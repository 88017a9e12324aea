-- +goose Up
-- The identities a vendor organisation signs its models with (OpenSSF Model
-- Signing): a public key, a certificate root with an optional expected
-- subject alternative name, or a keyless Sigstore identity and OIDC issuer.
-- Revoked identities stay on record, marked, so a past check can be read
-- against the identities in force when it ran.
CREATE TABLE signing_identities (
    id                text PRIMARY KEY,
    org_id            text NOT NULL REFERENCES organisations (id),
    label             text NOT NULL,
    method            text NOT NULL CHECK (method IN ('key', 'certificate', 'sigstore')),
    public_key        text NOT NULL DEFAULT '',
    certificate_chain text NOT NULL DEFAULT '',
    identity          text NOT NULL DEFAULT '',
    issuer            text NOT NULL DEFAULT '',
    fingerprint       text NOT NULL DEFAULT '',
    created_by        text NOT NULL REFERENCES users (id),
    created_at        timestamptz NOT NULL,
    revoked_by        text REFERENCES users (id),
    revoked_at        timestamptz
);
-- One identity in force per label in an organisation, so a reviewer can tell them apart.
CREATE UNIQUE INDEX signing_identities_label ON signing_identities (org_id, label) WHERE revoked_at IS NULL;
CREATE INDEX signing_identities_org ON signing_identities (org_id, created_at, id);

-- +goose Down
DROP TABLE signing_identities;
