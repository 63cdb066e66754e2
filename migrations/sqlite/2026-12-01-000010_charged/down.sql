ALTER TABLE charges DROP COLUMN charging_instrument;
ALTER TABLE charges DROP COLUMN charged_on;
