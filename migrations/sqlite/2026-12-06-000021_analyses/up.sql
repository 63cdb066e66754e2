-- Analyses of an exhibit's file (an agent run parsed into a timeline, content credentials
-- read), append-only. Each is bound to the SHA-256 of the bytes it ran on, records the tool
-- and its version, and is entered in the chain of custody as an `analyzed` event, whose
-- ledger leaf carries the result's SHA-256.
CREATE TABLE analyses (
    id TEXT PRIMARY KEY NOT NULL,
    exhibit_id TEXT NOT NULL REFERENCES exhibits (id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    tool TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    exhibit_sha256 TEXT NOT NULL,
    result TEXT NOT NULL,
    result_sha256 TEXT NOT NULL,
    -- The result cut to what the exhibit page and the memo read (a large timeline's first
    -- steps); `custos verify` holds it to the result.
    preview TEXT NOT NULL,
    summary TEXT NOT NULL,
    custody_event_id TEXT NOT NULL REFERENCES custody_events (id),
    recorded_by TEXT REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL,
    UNIQUE (exhibit_id, seq)
);
CREATE INDEX analyses_by_kind ON analyses (exhibit_id, kind, seq);
CREATE TRIGGER analyses_no_update BEFORE UPDATE ON analyses
BEGIN
    SELECT RAISE(ABORT, 'analyses is append-only');
END;
CREATE TRIGGER analyses_no_delete BEFORE DELETE ON analyses
BEGIN
    SELECT RAISE(ABORT, 'analyses is append-only');
END;
