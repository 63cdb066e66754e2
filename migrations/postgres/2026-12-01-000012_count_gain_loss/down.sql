ALTER TABLE charges DROP COLUMN loss_cents;
ALTER TABLE charges DROP COLUMN gain_cents;
