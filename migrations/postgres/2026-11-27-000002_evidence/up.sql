-- Evidence and its chain of custody, and the Merkle ledger over custody events and audit records.

CREATE TABLE exhibits (
    id TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    number TEXT NOT NULL UNIQUE,
    seq INTEGER NOT NULL,
    parent_id TEXT REFERENCES exhibits (id),
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    source TEXT NOT NULL,
    acquisition_method TEXT NOT NULL,
    acquisition_tool TEXT NOT NULL,
    acquired_by TEXT NOT NULL,
    acquired_at TIMESTAMP NOT NULL,
    acquisition_location TEXT NOT NULL,
    legal_authority TEXT NOT NULL,
    file_name TEXT,
    media_type TEXT,
    size_bytes BIGINT,
    sha256 TEXT,
    sha1 TEXT,
    md5 TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (incident_id, seq)
);
CREATE INDEX exhibits_sha256 ON exhibits (sha256);

-- Append-only: every hand-over and touch of an exhibit.
CREATE TABLE custody_events (
    id TEXT PRIMARY KEY NOT NULL,
    exhibit_id TEXT NOT NULL REFERENCES exhibits (id),
    seq INTEGER NOT NULL,
    action TEXT NOT NULL,
    actor_id TEXT REFERENCES users (id),
    actor TEXT NOT NULL,
    from_custodian TEXT,
    to_custodian TEXT,
    occurred_at TIMESTAMP NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    location TEXT,
    purpose TEXT,
    authority TEXT,
    seal_number TEXT,
    seal_condition TEXT,
    digest_observed TEXT,
    digest_matched BOOLEAN,
    notes TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    event_hash TEXT NOT NULL,
    ledger_index BIGINT NOT NULL UNIQUE,
    UNIQUE (exhibit_id, seq)
);

-- The leaves of the RFC 6962 log, in order, as the exact canonical bytes that were hashed.
CREATE TABLE ledger_leaves (
    idx BIGINT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    leaf TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);

-- Signed checkpoints (C2SP signed notes), one per tree size.
CREATE TABLE ledger_checkpoints (
    tree_size BIGINT PRIMARY KEY NOT NULL,
    root_hash TEXT NOT NULL,
    signed_note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TRIGGER custody_events_append_only BEFORE UPDATE OR DELETE ON custody_events
    FOR EACH ROW EXECUTE FUNCTION custos_refuse_change();
CREATE TRIGGER custody_events_no_truncate BEFORE TRUNCATE ON custody_events
    FOR EACH STATEMENT EXECUTE FUNCTION custos_refuse_change();
CREATE TRIGGER ledger_leaves_append_only BEFORE UPDATE OR DELETE ON ledger_leaves
    FOR EACH ROW EXECUTE FUNCTION custos_refuse_change();
CREATE TRIGGER ledger_leaves_no_truncate BEFORE TRUNCATE ON ledger_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION custos_refuse_change();
CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE ON ledger_checkpoints
    FOR EACH ROW EXECUTE FUNCTION custos_refuse_change();
CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION custos_refuse_change();

-- An exhibit's recorded facts never change; only the background pass fills in SHA-1 and MD5, once.
CREATE FUNCTION custos_exhibit_facts_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'exhibits are never deleted';
    END IF;
    IF (to_jsonb(NEW) - 'sha1' - 'md5') IS DISTINCT FROM (to_jsonb(OLD) - 'sha1' - 'md5')
       OR (OLD.sha1 IS NOT NULL AND NEW.sha1 IS DISTINCT FROM OLD.sha1)
       OR (OLD.md5 IS NOT NULL AND NEW.md5 IS DISTINCT FROM OLD.md5) THEN
        RAISE EXCEPTION 'an exhibit''s recorded facts are fixed';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER exhibits_facts_fixed BEFORE UPDATE OR DELETE ON exhibits
    FOR EACH ROW EXECUTE FUNCTION custos_exhibit_facts_fixed();
CREATE TRIGGER exhibits_no_truncate BEFORE TRUNCATE ON exhibits
    FOR EACH STATEMENT EXECUTE FUNCTION custos_refuse_change();
