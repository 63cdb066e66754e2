DROP INDEX mappings_status_proposed;
CREATE INDEX mappings_status_proposed ON mappings (status, proposed_at, id, proposed_by);
