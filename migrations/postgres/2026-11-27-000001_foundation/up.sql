-- Foundation: users, API tokens, the incident catalog and the append-only audit trail.
-- Ids and digests are text; timestamps are naive UTC truncated to microseconds by the application.

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('investigator', 'prosecutor', 'supervisor', 'auditor', 'admin')),
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

-- One row, updated first by every write transaction: writes are serialized on both backends,
-- so incident numbers (and later the custody log) get a single total order.
CREATE TABLE write_sequencer (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO write_sequencer (id, generation) VALUES (1, 0);

CREATE TABLE incidents (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL UNIQUE,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('intake', 'investigating', 'charging_review', 'charged', 'declined', 'closed')),
    district TEXT,
    first_offense_date DATE,
    last_offense_date DATE,
    version INTEGER NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (year, seq)
);
CREATE INDEX incidents_status ON incidents (status);

CREATE TABLE incident_ai_modalities (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    modality TEXT NOT NULL,
    PRIMARY KEY (incident_id, modality)
);

CREATE TABLE victims (
    id TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('individual', 'business', 'financial_institution', 'us_government', 'other')),
    estimated_loss_cents BIGINT
);
CREATE INDEX victims_incident ON victims (incident_id);

CREATE TABLE subjects (
    id TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL
);
CREATE INDEX subjects_incident ON subjects (incident_id);

CREATE TABLE incident_members (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    added_by TEXT NOT NULL REFERENCES users (id),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (incident_id, user_id)
);
CREATE INDEX incident_members_user ON incident_members (user_id);

-- Who changed what, and when. Append-only: the triggers below refuse UPDATE and DELETE.
CREATE TABLE audit_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_id TEXT REFERENCES users (id),
    action TEXT NOT NULL,
    incident_id TEXT REFERENCES incidents (id),
    detail TEXT NOT NULL
);
CREATE INDEX audit_events_incident ON audit_events (incident_id);

CREATE FUNCTION custos_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION custos_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION custos_refuse_change();
