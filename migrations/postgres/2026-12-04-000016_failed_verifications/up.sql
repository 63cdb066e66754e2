-- The dashboard's "latest verification failed": the failed rows are found by this index and
-- each is checked to be its exhibit's latest by exhibit_verifications_exhibit.
CREATE INDEX exhibit_verifications_failed ON exhibit_verifications (intact, exhibit_id);
