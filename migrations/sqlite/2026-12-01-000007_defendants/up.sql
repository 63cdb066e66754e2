-- The people of an incident as charging sees them: charged defendants, unindicted
-- co-conspirators (named in documents by a placeholder such as CC-1) and uncharged subjects.
CREATE TABLE people (
    id TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('defendant', 'co_conspirator', 'subject')),
    placeholder TEXT,
    aliases TEXT NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (incident_id, placeholder)
);
CREATE INDEX people_incident ON people (incident_id);

-- Who each count charges.
CREATE TABLE charge_defendants (
    charge_id TEXT NOT NULL REFERENCES charges (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    PRIMARY KEY (charge_id, person_id)
);

-- Carry existing cases forward without guessing: every recorded subject becomes a person;
-- where an incident has exactly one subject, that person is the defendant of its counts.
-- Counts of incidents with several subjects, or none, keep no defendant: they show
-- "defendant not chosen" until a prosecutor chooses.
INSERT INTO people (id, incident_id, name, role, placeholder, aliases, created_by, created_at)
SELECT
    lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-a' || substr(h, 18, 3) || '-' || substr(h, 21, 12)),
    incident_id,
    name,
    CASE WHEN (SELECT count(*) FROM subjects s2 WHERE s2.incident_id = s.incident_id) = 1 THEN 'defendant' ELSE 'subject' END,
    NULL,
    '',
    NULL,
    CURRENT_TIMESTAMP
FROM (SELECT hex(randomblob(16)) AS h, incident_id, name FROM subjects) AS s;

INSERT INTO charge_defendants (charge_id, person_id)
SELECT c.id, p.id
FROM charges c
JOIN people p ON p.incident_id = c.incident_id AND p.role = 'defendant'
WHERE (SELECT count(*) FROM people p2 WHERE p2.incident_id = c.incident_id AND p2.role = 'defendant') = 1;
