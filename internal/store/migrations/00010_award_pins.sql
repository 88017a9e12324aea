-- +goose Up
-- An award pins what was evaluated: the digest of the candidate's manifest
-- (the amended one when a clarification changed it, as the evaluation ran
-- on it), the weights digest and the weights' file digests that manifest
-- declares. A trigger takes them when the award is stored, so no code path
-- can store an award without them, and another refuses to change them.
ALTER TABLE awards
    ADD COLUMN manifest_hash    text,
    ADD COLUMN weights_digest   text,
    ADD COLUMN artifact_digests jsonb;

-- +goose StatementBegin
CREATE FUNCTION award_pin() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT v.manifest_hash, NULLIF(v.manifest -> 'weights' ->> 'digest', ''),
           COALESCE(v.manifest -> 'weights' -> 'files', '{}'::jsonb)
      INTO NEW.manifest_hash, NEW.weights_digest, NEW.artifact_digests
      FROM (SELECT manifest, manifest_hash, amended_at AS at FROM candidate_amendments WHERE candidate_id = NEW.candidate_id
            UNION ALL
            SELECT manifest, manifest_hash, '-infinity'::timestamptz FROM candidates WHERE id = NEW.candidate_id) v
     ORDER BY v.at DESC LIMIT 1;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER award_pin BEFORE INSERT ON awards FOR EACH ROW EXECUTE FUNCTION award_pin();

-- Awards stored before this migration are pinned to their candidate's
-- current manifest now.
UPDATE awards a SET manifest_hash = p.manifest_hash, weights_digest = p.weights_digest, artifact_digests = p.artifact_digests
  FROM (SELECT aw.id, v.manifest_hash, NULLIF(v.manifest -> 'weights' ->> 'digest', '') AS weights_digest,
               COALESCE(v.manifest -> 'weights' -> 'files', '{}'::jsonb) AS artifact_digests
          FROM awards aw CROSS JOIN LATERAL (
               SELECT manifest, manifest_hash, amended_at AS at FROM candidate_amendments WHERE candidate_id = aw.candidate_id
               UNION ALL
               SELECT manifest, manifest_hash, '-infinity'::timestamptz FROM candidates WHERE id = aw.candidate_id
               ORDER BY 3 DESC LIMIT 1) v) p
 WHERE a.id = p.id;

-- +goose StatementBegin
CREATE FUNCTION award_pin_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.manifest_hash IS DISTINCT FROM OLD.manifest_hash OR NEW.weights_digest IS DISTINCT FROM OLD.weights_digest
       OR NEW.artifact_digests IS DISTINCT FROM OLD.artifact_digests THEN
        RAISE EXCEPTION 'award %: the manifest and artifact digests an award pins cannot change', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER award_pin_fixed BEFORE UPDATE ON awards FOR EACH ROW EXECUTE FUNCTION award_pin_fixed();

-- A delivery that does not match its award opens a task for the officer.
ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check
    CHECK (kind IN ('license-resolution', 'compliance-approval', 'award-approval', 'delivery-mismatch'));

-- An amendment may adopt the policy revision the service runs in place of
-- the one frozen at publication; it records which.
ALTER TABLE amendments ADD COLUMN adopted_revision text;

-- +goose Down
ALTER TABLE amendments DROP COLUMN adopted_revision;
DELETE FROM tasks WHERE kind = 'delivery-mismatch';
ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check
    CHECK (kind IN ('license-resolution', 'compliance-approval', 'award-approval'));
DROP TRIGGER award_pin_fixed ON awards;
DROP FUNCTION award_pin_fixed();
DROP TRIGGER award_pin ON awards;
DROP FUNCTION award_pin();
ALTER TABLE awards DROP COLUMN manifest_hash, DROP COLUMN weights_digest, DROP COLUMN artifact_digests;
