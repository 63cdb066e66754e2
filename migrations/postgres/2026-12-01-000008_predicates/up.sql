-- A § 1028A count names the count of its predicate felony.
ALTER TABLE charges ADD COLUMN predicate_charge_id TEXT REFERENCES charges (id);
