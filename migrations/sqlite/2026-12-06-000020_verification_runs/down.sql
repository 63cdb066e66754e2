DROP TABLE exhibit_last_verified;
ALTER TABLE exhibit_verifications DROP COLUMN run_id;
DROP TRIGGER verification_runs_no_delete;
DROP TRIGGER verification_runs_no_update;
DROP TABLE verification_runs;
