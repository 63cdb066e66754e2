-- When the indictment or information charging a count was filed: the count's limitation clock
-- stops. Recorded once, never overwritten.
ALTER TABLE charges ADD COLUMN charged_on DATE;
ALTER TABLE charges ADD COLUMN charging_instrument TEXT CHECK (charging_instrument IN ('indictment', 'information'));
