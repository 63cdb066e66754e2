DROP TRIGGER ledger_tiles_no_delete;
DROP TRIGGER ledger_tiles_no_update;
DROP TABLE ledger_tiles;
