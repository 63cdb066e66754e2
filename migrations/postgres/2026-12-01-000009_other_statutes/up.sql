-- Offenses outside the built-in catalog ("other statute" counts), entered by a prosecutor for
-- one incident. Counts charge them by code (charges.offense_id = 'OTHER-1'); their elements
-- are 'OTHER-1-E1'... Entered once and never edited: a review fingerprints the element text.
CREATE TABLE other_statutes (
    id TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    code TEXT NOT NULL,
    citation TEXT NOT NULL,
    title TEXT NOT NULL,
    max_years INTEGER,
    max_life BOOLEAN NOT NULL,
    min_years INTEGER NOT NULL,
    entered_by TEXT NOT NULL REFERENCES users (id),
    entered_at TIMESTAMP NOT NULL,
    UNIQUE (incident_id, code),
    CHECK ((max_years IS NULL) = max_life)
);

CREATE TABLE other_statute_elements (
    other_statute_id TEXT NOT NULL REFERENCES other_statutes (id),
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (other_statute_id, position)
);
