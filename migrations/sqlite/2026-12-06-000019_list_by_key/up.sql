-- The review queue is counted and read by key on the mappings alone; with the incident in the
-- index, each waiting mapping's team is checked without reading the mapping's row.
DROP INDEX mappings_status_proposed;
CREATE INDEX mappings_status_proposed ON mappings (status, proposed_at, id, proposed_by, incident_id);
-- The dashboard's exhibits with a recorded custody problem (a digest that did not match, a
-- discrepancy noted): one partial index holding just those events, which the query states in
-- the same words. It replaces an index on each condition.
DROP INDEX custody_events_digest_matched;
DROP INDEX custody_events_action;
CREATE INDEX custody_events_problems ON custody_events (exhibit_id)
    WHERE digest_matched IS FALSE OR action = 'discrepancy';
