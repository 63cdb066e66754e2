DROP TABLE ledger_checkpoints;
DROP TABLE ledger_leaves;
DROP TABLE custody_events;
DROP TABLE exhibits;
DROP FUNCTION custos_exhibit_facts_fixed();
