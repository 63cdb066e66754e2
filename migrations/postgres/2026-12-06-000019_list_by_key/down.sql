DROP INDEX custody_events_problems;
CREATE INDEX custody_events_digest_matched ON custody_events (digest_matched);
CREATE INDEX custody_events_action ON custody_events (action);
DROP STATISTICS incidents_summary_lower;
DROP STATISTICS incidents_title_lower;
DROP INDEX mappings_status_proposed;
CREATE INDEX mappings_status_proposed ON mappings (status, proposed_at, id, proposed_by);
