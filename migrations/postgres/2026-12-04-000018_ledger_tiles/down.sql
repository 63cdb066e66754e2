DROP TABLE ledger_tiles;
