-- The merge cannot be undone exactly (old E1 and E2 are one element now): moves the later
-- elements back only.
UPDATE mappings SET element_id = CASE element_id
    WHEN 'CFAA-A2-E3' THEN 'CFAA-A2-E4'
    WHEN 'CFAA-A2-E2' THEN 'CFAA-A2-E3'
    WHEN 'CFAA-A5B-E2' THEN 'CFAA-A5B-E3'
    ELSE element_id END
WHERE element_id IN ('CFAA-A2-E2', 'CFAA-A2-E3', 'CFAA-A5B-E2');
