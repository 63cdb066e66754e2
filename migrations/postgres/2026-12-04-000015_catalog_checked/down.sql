DROP INDEX mappings_status_catalog_checked;
ALTER TABLE mappings DROP COLUMN catalog_checked;
