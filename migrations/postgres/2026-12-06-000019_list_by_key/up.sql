-- The review queue is counted and read by key on the mappings alone; with the incident in the
-- index, each waiting mapping's team is checked without reading the mapping's row.
DROP INDEX mappings_status_proposed;
CREATE INDEX mappings_status_proposed ON mappings (status, proposed_at, id, proposed_by, incident_id);
-- Statistics on the lowered title and summary the incident list's text filter matches, so that
-- the planner can tell a word most incidents hold (walk the list's order, stop at a page) from
-- a rare one (read every row that holds it, then sort); without them it guesses a handful of
-- matches, and reads and sorts the whole office for a common word.
CREATE STATISTICS incidents_title_lower ON (lower(title)) FROM incidents;
CREATE STATISTICS incidents_summary_lower ON (lower(summary)) FROM incidents;
