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

CREATE TRIGGER custody_events_no_update BEFORE UPDATE ON custody_events
BEGIN
    SELECT RAISE(ABORT, 'custody_events is append-only');
END;
CREATE TRIGGER custody_events_no_delete BEFORE DELETE ON custody_events
BEGIN
    SELECT RAISE(ABORT, 'custody_events is append-only');
END;
CREATE TRIGGER ledger_leaves_no_update BEFORE UPDATE ON ledger_leaves
BEGIN
    SELECT RAISE(ABORT, 'ledger_leaves is append-only');
END;
CREATE TRIGGER ledger_leaves_no_delete BEFORE DELETE ON ledger_leaves
BEGIN
    SELECT RAISE(ABORT, 'ledger_leaves is append-only');
END;
CREATE TRIGGER ledger_checkpoints_no_update BEFORE UPDATE ON ledger_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'ledger_checkpoints is append-only');
END;
CREATE TRIGGER ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'ledger_checkpoints is append-only');
END;
-- An exhibit's recorded facts never change; only the background pass fills in SHA-1 and MD5, once.
CREATE TRIGGER exhibits_facts_fixed BEFORE UPDATE ON exhibits
WHEN NEW.id IS NOT OLD.id OR NEW.incident_id IS NOT OLD.incident_id OR NEW.number IS NOT OLD.number
  OR NEW.seq IS NOT OLD.seq OR NEW.parent_id IS NOT OLD.parent_id OR NEW.kind IS NOT OLD.kind
  OR NEW.description IS NOT OLD.description OR NEW.source IS NOT OLD.source
  OR NEW.acquisition_method IS NOT OLD.acquisition_method OR NEW.acquisition_tool IS NOT OLD.acquisition_tool
  OR NEW.acquired_by IS NOT OLD.acquired_by OR NEW.acquired_at IS NOT OLD.acquired_at
  OR NEW.acquisition_location IS NOT OLD.acquisition_location OR NEW.legal_authority IS NOT OLD.legal_authority
  OR NEW.file_name IS NOT OLD.file_name OR NEW.media_type IS NOT OLD.media_type
  OR NEW.size_bytes IS NOT OLD.size_bytes OR NEW.sha256 IS NOT OLD.sha256
  OR NEW.created_by IS NOT OLD.created_by OR NEW.created_at IS NOT OLD.created_at
  OR (OLD.sha1 IS NOT NULL AND NEW.sha1 IS NOT OLD.sha1) OR (OLD.md5 IS NOT NULL AND NEW.md5 IS NOT OLD.md5)
BEGIN
    SELECT RAISE(ABORT, 'an exhibit''s recorded facts are fixed');
END;
CREATE TRIGGER exhibits_no_delete BEFORE DELETE ON exhibits
BEGIN
    SELECT RAISE(ABORT, 'exhibits are never deleted');
END;
