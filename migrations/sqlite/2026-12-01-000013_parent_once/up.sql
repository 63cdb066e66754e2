-- The exhibit an exhibit was taken from may be recorded after upload (an extraction from an
-- image), once: an empty parent may be filled in, a recorded one never changes. Every other
-- recorded fact stays fixed.
DROP TRIGGER exhibits_facts_fixed;
CREATE TRIGGER exhibits_facts_fixed BEFORE UPDATE ON exhibits
WHEN NEW.id IS NOT OLD.id OR NEW.incident_id IS NOT OLD.incident_id OR NEW.number IS NOT OLD.number
  OR NEW.seq IS NOT OLD.seq OR NEW.kind IS NOT OLD.kind
  OR NEW.description IS NOT OLD.description OR NEW.source IS NOT OLD.source
  OR NEW.acquisition_method IS NOT OLD.acquisition_method OR NEW.acquisition_tool IS NOT OLD.acquisition_tool
  OR NEW.acquired_by IS NOT OLD.acquired_by OR NEW.acquired_at IS NOT OLD.acquired_at
  OR NEW.acquisition_location IS NOT OLD.acquisition_location OR NEW.legal_authority IS NOT OLD.legal_authority
  OR NEW.file_name IS NOT OLD.file_name OR NEW.media_type IS NOT OLD.media_type
  OR NEW.size_bytes IS NOT OLD.size_bytes OR NEW.sha256 IS NOT OLD.sha256
  OR NEW.created_by IS NOT OLD.created_by OR NEW.created_at IS NOT OLD.created_at
  OR (OLD.parent_id IS NOT NULL AND NEW.parent_id IS NOT OLD.parent_id)
  OR (OLD.sha1 IS NOT NULL AND NEW.sha1 IS NOT OLD.sha1) OR (OLD.md5 IS NOT NULL AND NEW.md5 IS NOT OLD.md5)
BEGIN
    SELECT RAISE(ABORT, 'an exhibit''s recorded facts are fixed');
END;
