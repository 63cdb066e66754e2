-- The statute-catalog version each accepted mapping is known to hold under: set when it is
-- accepted and when the start-up check has compared it with a new catalog, so a start with
-- an unchanged catalog reads none of them. Empty: not yet compared with any catalog.
ALTER TABLE mappings ADD COLUMN catalog_checked TEXT NOT NULL DEFAULT '';
CREATE INDEX mappings_status_catalog_checked ON mappings (status, catalog_checked);
