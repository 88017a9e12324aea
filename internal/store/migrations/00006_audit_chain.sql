-- +goose Up
-- A tamper-evident audit trail. Every audit row is chained to the row before
-- it on its chain (one per solicitation, one global chain '' for the rest) by
-- seq, prev_hash and hash: the SHA-256 of the row's RFC 8785 (JCS) canonical
-- JSON form, computed by the application (internal/store/audit.go, which
-- documents the form). audit_chain_heads records each chain's last row, so a
-- deleted tail is noticed too. Triggers make both tables append-only.

ALTER TABLE audit_events
    ADD COLUMN chain text GENERATED ALWAYS AS
        (COALESCE(solicitation_id, CASE WHEN subject_type = 'solicitation' THEN subject_id END, '')) STORED,
    ADD COLUMN seq bigint,
    ADD COLUMN prev_hash text,
    ADD COLUMN hash text;

CREATE TABLE audit_chain_heads (
    chain text PRIMARY KEY,
    seq   bigint NOT NULL CHECK (seq > 0),
    hash  text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);

-- Rows written before this migration are chained here, in id order, with the
-- same canonical form the application hashes. The JCS functions live in
-- pg_temp: the application hashes every later row itself, so they are not kept.

-- The UTF-16 code units of s: RFC 8785 sorts object keys by them, which
-- differs from code point order for characters above U+FFFF.
-- +goose StatementBegin
CREATE FUNCTION pg_temp.jcs_utf16(s text) RETURNS int[] LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(array_agg(u ORDER BY i, j), '{}')
    FROM unnest(string_to_array(s, NULL)) WITH ORDINALITY AS c(ch, i),
         LATERAL (VALUES
             (1, CASE WHEN ascii(ch) > 65535 THEN 55296 + ((ascii(ch) - 65536) >> 10) ELSE ascii(ch) END),
             (2, CASE WHEN ascii(ch) > 65535 THEN 56320 + ((ascii(ch) - 65536) & 1023) END)) AS v(j, u)
    WHERE u IS NOT NULL
$$;
-- +goose StatementEnd

-- A JSON number as RFC 8785 writes it: the shortest digits that round-trip
-- the IEEE double (PostgreSQL's float8 output), laid out as ECMAScript's
-- Number.prototype.toString does.
-- +goose StatementBegin
CREATE FUNCTION pg_temp.jcs_number(n numeric) RETURNS text LANGUAGE plpgsql IMMUTABLE
SET extra_float_digits = 1 AS $$
DECLARE
    m      text[] := regexp_match((n::float8)::text, '^(-?)([0-9]+)(?:\.([0-9]+))?(?:e([-+][0-9]+))?$');
    digits text := m[2] || COALESCE(m[3], '');
    point  int := length(m[2]) + COALESCE(m[4]::int, 0);
    k      int;
BEGIN
    WHILE left(digits, 1) = '0' LOOP
        digits := substr(digits, 2);
        point := point - 1;
    END LOOP;
    digits := rtrim(digits, '0');
    k := length(digits);
    IF k = 0 THEN
        RETURN '0';
    ELSIF k <= point AND point <= 21 THEN
        RETURN m[1] || digits || repeat('0', point - k);
    ELSIF 0 < point AND point <= 21 THEN
        RETURN m[1] || left(digits, point) || '.' || substr(digits, point + 1);
    ELSIF -6 < point AND point <= 0 THEN
        RETURN m[1] || '0.' || repeat('0', -point) || digits;
    END IF;
    RETURN m[1] || left(digits, 1) || CASE WHEN k > 1 THEN '.' || substr(digits, 2) ELSE '' END
        || 'e' || CASE WHEN point - 1 >= 0 THEN '+' ELSE '-' END || abs(point - 1)::text;
END
$$;
-- +goose StatementEnd

-- A jsonb value in RFC 8785 canonical form. Strings and literals print as JCS
-- wants already (jsonb escapes only ", \ and control characters).
-- +goose StatementBegin
CREATE FUNCTION pg_temp.jcs(v jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    CASE jsonb_typeof(v)
    WHEN 'object' THEN
        RETURN '{' || COALESCE((SELECT string_agg(to_jsonb(key)::text || ':' || pg_temp.jcs(value), ','
                                                  ORDER BY pg_temp.jcs_utf16(key))
                                FROM jsonb_each(v)), '') || '}';
    WHEN 'array' THEN
        RETURN '[' || COALESCE((SELECT string_agg(pg_temp.jcs(e), ',' ORDER BY i)
                                FROM jsonb_array_elements(v) WITH ORDINALITY AS a(e, i)), '') || ']';
    WHEN 'number' THEN
        RETURN pg_temp.jcs_number(v::text::numeric);
    ELSE
        RETURN v::text;
    END CASE;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
DECLARE
    r       record;
    cur_chain text;
    n       bigint;
    prev    text;
    h       text;
BEGIN
    FOR r IN SELECT * FROM audit_events ORDER BY chain, id LOOP
        IF cur_chain IS DISTINCT FROM r.chain THEN
            cur_chain := r.chain;
            n := 0;
            prev := repeat('0', 64);
        END IF;
        n := n + 1;
        -- Keys in code-unit order, as RFC 8785 sorts them.
        h := encode(sha256(convert_to(
            '{"action":' || to_jsonb(r.action)::text
            || ',"actor":' || to_jsonb(r.actor)::text
            || ',"at":"' || to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '"'
            || ',"detail":' || pg_temp.jcs(r.detail)
            || ',"idempotency_key":' || to_jsonb(r.idempotency_key)::text
            || ',"prev_hash":"' || prev || '"'
            || ',"seq":' || n::text
            || ',"solicitation_id":' || COALESCE(to_jsonb(r.solicitation_id)::text, 'null')
            || ',"subject_id":' || to_jsonb(r.subject_id)::text
            || ',"subject_type":' || to_jsonb(r.subject_type)::text
            || '}', 'UTF8')), 'hex');
        UPDATE audit_events SET seq = n, prev_hash = prev, hash = h WHERE id = r.id;
        prev := h;
    END LOOP;
END
$$;
-- +goose StatementEnd

INSERT INTO audit_chain_heads (chain, seq, hash)
SELECT DISTINCT ON (chain) chain, seq, hash FROM audit_events ORDER BY chain, seq DESC;

DROP FUNCTION pg_temp.jcs(jsonb);
DROP FUNCTION pg_temp.jcs_number(numeric);
DROP FUNCTION pg_temp.jcs_utf16(text);

ALTER TABLE audit_events
    ALTER COLUMN seq SET NOT NULL,
    ALTER COLUMN prev_hash SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL,
    ADD CONSTRAINT audit_events_seq_check CHECK (seq > 0),
    ADD CONSTRAINT audit_events_hash_check CHECK (hash ~ '^[0-9a-f]{64}$' AND prev_hash ~ '^[0-9a-f]{64}$'),
    ADD CONSTRAINT audit_events_chain_seq_key UNIQUE (chain, seq);

-- An appended row must extend its chain's head; the head then moves to it.
-- AFTER INSERT, so a retried append that ON CONFLICT skips moves nothing.
-- +goose StatementBegin
CREATE FUNCTION audit_chain_extend() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head_seq  bigint := 0;
    head_hash text := repeat('0', 64);
BEGIN
    SELECT seq, hash INTO head_seq, head_hash FROM audit_chain_heads WHERE chain = NEW.chain FOR UPDATE;
    IF NOT FOUND THEN
        head_seq := 0;
        head_hash := repeat('0', 64);
    END IF;
    IF NEW.seq <> head_seq + 1 OR NEW.prev_hash <> head_hash THEN
        RAISE EXCEPTION 'audit event % (seq %) does not extend chain "%" at its head (seq %)',
            NEW.idempotency_key, NEW.seq, NEW.chain, head_seq
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'append audit events through the store, which locks the chain head';
    END IF;
    IF head_seq = 0 THEN
        INSERT INTO audit_chain_heads (chain, seq, hash) VALUES (NEW.chain, NEW.seq, NEW.hash);
    ELSE
        UPDATE audit_chain_heads SET seq = NEW.seq, hash = NEW.hash WHERE chain = NEW.chain;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_extend_chain AFTER INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_chain_extend();

-- +goose StatementBegin
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % refused: the audit trail is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'record a correcting audit event instead of changing or removing one';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- A head is written only by audit_chain_extend (trigger depth 2), never by a
-- statement of its own, and never deleted.
-- +goose StatementBegin
CREATE FUNCTION audit_chain_heads_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') AND pg_trigger_depth() > 1 THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% on audit_chain_heads refused: a chain head moves only when an audit event is appended', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'append an audit event through the store; the chain head follows it';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_chain_heads_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_chain_heads
    FOR EACH ROW EXECUTE FUNCTION audit_chain_heads_guard();
CREATE TRIGGER audit_chain_heads_no_truncate BEFORE TRUNCATE ON audit_chain_heads
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_heads_guard();

-- +goose Down
DROP TABLE audit_chain_heads;
DROP TRIGGER audit_events_extend_chain ON audit_events;
DROP TRIGGER audit_events_append_only ON audit_events;
DROP TRIGGER audit_events_no_truncate ON audit_events;
DROP FUNCTION audit_chain_extend();
DROP FUNCTION audit_refuse_change();
DROP FUNCTION audit_chain_heads_guard();
ALTER TABLE audit_events
    DROP COLUMN chain,
    DROP COLUMN seq,
    DROP COLUMN prev_hash,
    DROP COLUMN hash;
