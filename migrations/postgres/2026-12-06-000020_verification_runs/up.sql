-- Each verification run, once: when it read the records, when it finished, what it covered
-- (every exhibit, one incident's, or one exhibit) and how many exhibits it checked and found
-- impaired. An exhibit's own result is recorded only when it differs from its last, so that
-- nightly runs for decades add a row a run, not a row an exhibit a run.
CREATE TABLE verification_runs (
    id TEXT PRIMARY KEY NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    incident_id TEXT REFERENCES incidents (id),
    exhibit_id TEXT REFERENCES exhibits (id),
    exhibits INTEGER NOT NULL,
    failed INTEGER NOT NULL
);
CREATE TRIGGER verification_runs_append_only BEFORE UPDATE OR DELETE ON verification_runs
    FOR EACH ROW EXECUTE FUNCTION custos_refuse_change();
CREATE TRIGGER verification_runs_no_truncate BEFORE TRUNCATE ON verification_runs
    FOR EACH STATEMENT EXECUTE FUNCTION custos_refuse_change();
-- The run that found each recorded result (none for results recorded before runs were).
ALTER TABLE exhibit_verifications ADD COLUMN run_id TEXT REFERENCES verification_runs (id);
-- When each exhibit was last verified, and by which run: the one row a run changes per
-- exhibit; its result is its latest row in exhibit_verifications.
CREATE TABLE exhibit_last_verified (
    exhibit_id TEXT PRIMARY KEY NOT NULL REFERENCES exhibits (id),
    verified_at TIMESTAMP NOT NULL,
    run_id TEXT REFERENCES verification_runs (id)
);
INSERT INTO exhibit_last_verified (exhibit_id, verified_at)
    SELECT exhibit_id, MAX(verified_at) FROM exhibit_verifications GROUP BY exhibit_id;
