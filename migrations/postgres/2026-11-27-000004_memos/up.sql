-- Charging-memo versions: immutable, each with the hash of its content and the ledger
-- checkpoint it was built against. Approvals are records of their own.

CREATE TABLE memo_versions (
    id TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    version INTEGER NOT NULL,
    author_id TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    content TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    checkpoint_size BIGINT NOT NULL,
    checkpoint_root TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    UNIQUE (incident_id, version)
);

CREATE TABLE memo_approvals (
    id TEXT PRIMARY KEY NOT NULL,
    memo_version_id TEXT NOT NULL UNIQUE REFERENCES memo_versions (id),
    approved_by TEXT NOT NULL REFERENCES users (id),
    approved_at TIMESTAMP NOT NULL,
    comment TEXT NOT NULL
);

CREATE TRIGGER memo_versions_append_only BEFORE UPDATE OR DELETE ON memo_versions
    FOR EACH ROW EXECUTE FUNCTION custos_refuse_change();
CREATE TRIGGER memo_versions_no_truncate BEFORE TRUNCATE ON memo_versions
    FOR EACH STATEMENT EXECUTE FUNCTION custos_refuse_change();
CREATE TRIGGER memo_approvals_append_only BEFORE UPDATE OR DELETE ON memo_approvals
    FOR EACH ROW EXECUTE FUNCTION custos_refuse_change();
CREATE TRIGGER memo_approvals_no_truncate BEFORE TRUNCATE ON memo_approvals
    FOR EACH STATEMENT EXECUTE FUNCTION custos_refuse_change();
