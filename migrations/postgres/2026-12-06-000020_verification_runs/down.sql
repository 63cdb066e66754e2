DROP TABLE exhibit_last_verified;
ALTER TABLE exhibit_verifications DROP COLUMN run_id;
DROP TABLE verification_runs;
