-- Facts known only approximately, kept as recorded (domain::approx).
-- An offense date's form beside its earliest day: NULL is an exact day (every earlier row);
-- otherwise the canonical text, such as 'about 2017' or 'about 2017-03 to 2018'.
ALTER TABLE incidents ADD COLUMN first_offense_date_form TEXT;
ALTER TABLE incidents ADD COLUMN last_offense_date_form TEXT;
-- A prosecutor's choice: individual victims are shown by their initials only.
ALTER TABLE incidents ADD COLUMN victim_names_sensitive BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE charges ADD COLUMN offense_date_form TEXT;
-- How a pleaded gain or loss relates to the true figure: NULL exact, 'at_least', 'more_than'.
ALTER TABLE charges ADD COLUMN gain_bound TEXT CHECK (gain_bound IN ('at_least', 'more_than'));
ALTER TABLE charges ADD COLUMN loss_bound TEXT CHECK (loss_bound IN ('at_least', 'more_than'));
-- Victims: the loss as a bound, the defendant's gain from the victim kept apart from the
-- victim's loss, a class of victims counted together, and notes.
ALTER TABLE victims ADD COLUMN loss_bound TEXT CHECK (loss_bound IN ('at_least', 'more_than'));
ALTER TABLE victims ADD COLUMN gain_cents BIGINT;
ALTER TABLE victims ADD COLUMN gain_bound TEXT CHECK (gain_bound IN ('at_least', 'more_than'));
ALTER TABLE victims ADD COLUMN class_size BIGINT CHECK (class_size > 0);
ALTER TABLE victims ADD COLUMN class_size_bound TEXT CHECK (class_size_bound IN ('at_least', 'more_than'));
ALTER TABLE victims ADD COLUMN notes TEXT NOT NULL DEFAULT '';
