-- +goose Up
-- Every policy bundle revision a solicitation may be frozen under, with its
-- files (policies.Bundle: Rego, data, license texts), so the rules that
-- judge its candidates can be loaded again by content hash whatever bundle
-- a worker started with. Content-addressed: a revision's files never change,
-- and rows are never updated or deleted.
CREATE TABLE policy_bundles (
    revision  text PRIMARY KEY,
    stored_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE policy_bundle_files (
    revision text NOT NULL REFERENCES policy_bundles (revision),
    path     text NOT NULL,
    content  bytea NOT NULL,
    PRIMARY KEY (revision, path)
);

-- +goose Down
DROP TABLE policy_bundle_files;
DROP TABLE policy_bundles;
