-- The review queue is counted and read by key on the mappings alone; with the incident in the
-- index, each waiting mapping's team is checked without reading the mapping's row.
DROP INDEX mappings_status_proposed;
CREATE INDEX mappings_status_proposed ON mappings (status, proposed_at, id, proposed_by, incident_id);
