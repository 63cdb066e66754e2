-- The result of each verification of an exhibit (file re-hashed, chain and ledger checked),
-- so that failures stay visible after the page that showed them is closed.
CREATE TABLE exhibit_verifications (
    id TEXT PRIMARY KEY NOT NULL,
    exhibit_id TEXT NOT NULL REFERENCES exhibits (id),
    verified_at TIMESTAMP NOT NULL,
    intact BOOLEAN NOT NULL,
    problems INTEGER NOT NULL,
    first_problem TEXT
);
CREATE INDEX exhibit_verifications_exhibit ON exhibit_verifications (exhibit_id, verified_at);

CREATE TRIGGER exhibit_verifications_append_only BEFORE UPDATE OR DELETE ON exhibit_verifications
    FOR EACH ROW EXECUTE FUNCTION custos_refuse_change();
CREATE TRIGGER exhibit_verifications_no_truncate BEFORE TRUNCATE ON exhibit_verifications
    FOR EACH STATEMENT EXECUTE FUNCTION custos_refuse_change();
