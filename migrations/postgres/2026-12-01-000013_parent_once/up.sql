-- The exhibit an exhibit was taken from may be recorded after upload (an extraction from an
-- image), once: an empty parent may be filled in, a recorded one never changes. Every other
-- recorded fact stays fixed.
CREATE OR REPLACE FUNCTION custos_exhibit_facts_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'exhibits are never deleted';
    END IF;
    IF (to_jsonb(NEW) - 'sha1' - 'md5' - 'parent_id') IS DISTINCT FROM (to_jsonb(OLD) - 'sha1' - 'md5' - 'parent_id')
       OR (OLD.parent_id IS NOT NULL AND NEW.parent_id IS DISTINCT FROM OLD.parent_id)
       OR (OLD.sha1 IS NOT NULL AND NEW.sha1 IS DISTINCT FROM OLD.sha1)
       OR (OLD.md5 IS NOT NULL AND NEW.md5 IS DISTINCT FROM OLD.md5) THEN
        RAISE EXCEPTION 'an exhibit''s recorded facts are fixed';
    END IF;
    RETURN NEW;
END;
$$;
