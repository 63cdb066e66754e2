-- Catalog 2026.12.01-6 follows the reference's revision: in § 1030(a)(2) and (a)(5)(B) the
-- intent attaches to the unauthorized access, so two elements became one and the rest moved
-- up (reference §2.4: (a)(2) old E1+E2 -> E1, E3 -> E2, E4 -> E3; (a)(5)(B) old E1+E2 -> E1,
-- E3 -> E2). Mappings follow their element; accepted ones go back to review at start-up,
-- since the element's text (its fingerprint) changed.
UPDATE mappings SET element_id = CASE element_id
    WHEN 'CFAA-A2-E2' THEN 'CFAA-A2-E1'
    WHEN 'CFAA-A2-E3' THEN 'CFAA-A2-E2'
    WHEN 'CFAA-A2-E4' THEN 'CFAA-A2-E3'
    WHEN 'CFAA-A5B-E2' THEN 'CFAA-A5B-E1'
    WHEN 'CFAA-A5B-E3' THEN 'CFAA-A5B-E2'
    ELSE element_id END
WHERE element_id IN ('CFAA-A2-E2', 'CFAA-A2-E3', 'CFAA-A2-E4', 'CFAA-A5B-E2', 'CFAA-A5B-E3');
