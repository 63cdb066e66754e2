CREATE OR REPLACE FUNCTION custos_exhibit_facts_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'exhibits are never deleted';
    END IF;
    IF (to_jsonb(NEW) - 'sha1' - 'md5') IS DISTINCT FROM (to_jsonb(OLD) - 'sha1' - 'md5')
       OR (OLD.sha1 IS NOT NULL AND NEW.sha1 IS DISTINCT FROM OLD.sha1)
       OR (OLD.md5 IS NOT NULL AND NEW.md5 IS DISTINCT FROM OLD.md5) THEN
        RAISE EXCEPTION 'an exhibit''s recorded facts are fixed';
    END IF;
    RETURN NEW;
END;
$$;
