-- Charges under consideration, evidence-to-element mappings and their reviews, exhibit tags.

-- Free classification of an exhibit (e.g. "phishing", "infostealer"), used to suggest elements.
CREATE TABLE exhibit_tags (
    exhibit_id TEXT NOT NULL REFERENCES exhibits (id),
    tag TEXT NOT NULL,
    added_by TEXT NOT NULL REFERENCES users (id),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (exhibit_id, tag)
);

-- A candidate count: one offense of the catalog, concerning one victim, wire or means of
-- identification. Dropped counts stay, with the reason.
CREATE TABLE charges (
    id TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    seq INTEGER NOT NULL,
    offense_id TEXT NOT NULL,
    object_offense_id TEXT,
    concerns TEXT NOT NULL,
    offense_date DATE,
    affects_financial_institution BOOLEAN NOT NULL,
    penalty_facts TEXT NOT NULL,
    status TEXT NOT NULL,
    drop_reason TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (incident_id, seq)
);
CREATE INDEX charges_incident ON charges (incident_id);

-- An exhibit (optionally a pin cite inside it) offered as proof of one element of one charge.
CREATE TABLE mappings (
    id TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    charge_id TEXT NOT NULL REFERENCES charges (id),
    element_id TEXT NOT NULL,
    exhibit_id TEXT NOT NULL REFERENCES exhibits (id),
    pin_kind TEXT,
    pin_cite TEXT,
    rationale TEXT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT,
    proposed_by TEXT NOT NULL REFERENCES users (id),
    proposed_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX mappings_incident ON mappings (incident_id);
CREATE INDEX mappings_exhibit ON mappings (exhibit_id);

-- Append-only: every decision on a mapping, with what the reviewer saw. A mapping sent back
-- to review by the system (custody failure, changed element) is a row with no reviewer.
CREATE TABLE mapping_reviews (
    id TEXT PRIMARY KEY NOT NULL,
    mapping_id TEXT NOT NULL REFERENCES mappings (id),
    seq INTEGER NOT NULL,
    reviewer_id TEXT REFERENCES users (id),
    decision TEXT NOT NULL,
    comment TEXT NOT NULL,
    exhibit_sha256 TEXT,
    catalog_version TEXT NOT NULL,
    element_fingerprint TEXT NOT NULL,
    reviewed_at TIMESTAMP NOT NULL,
    UNIQUE (mapping_id, seq)
);

CREATE TRIGGER mapping_reviews_append_only BEFORE UPDATE OR DELETE ON mapping_reviews
    FOR EACH ROW EXECUTE FUNCTION custos_refuse_change();
CREATE TRIGGER mapping_reviews_no_truncate BEFORE TRUNCATE ON mapping_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION custos_refuse_change();
