-- The gross gain and gross loss of a count's offense, as pleaded for the § 3571(d) alternative
-- fine (twice the gain or loss; a jury must find it). In cents; empty when not pleaded.
ALTER TABLE charges ADD COLUMN gain_cents BIGINT;
ALTER TABLE charges ADD COLUMN loss_cents BIGINT;
