ALTER TABLE charges DROP COLUMN predicate_charge_id;
