DROP INDEX incidents_status_number;
DROP INDEX custody_events_action;
DROP INDEX custody_events_digest_matched;
DROP INDEX mappings_status_proposed;
DROP INDEX charges_limitation_catalog;
DROP INDEX charges_limitation_order;
ALTER TABLE charges DROP COLUMN limitation_catalog;
ALTER TABLE charges DROP COLUMN limitation_deadline;
ALTER TABLE charges DROP COLUMN limitation_listed;
