-- Where each count stands in the office's list of nearest limitation deadlines, so that list
-- is read from an index rather than computed over every count: 0 not listed (charged,
-- dropped, no limit or no rule), 1 listed first (a period applies but the offense date is
-- not recorded), 2 listed by its deadline. Computed from the statute catalog named in
-- limitation_catalog; a start under another catalog computes it again. Empty: not yet
-- computed, so every existing count is computed on the first start.
ALTER TABLE charges ADD COLUMN limitation_listed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE charges ADD COLUMN limitation_deadline DATE;
ALTER TABLE charges ADD COLUMN limitation_catalog TEXT NOT NULL DEFAULT '';
-- Counts with the same deadline are listed in the order they were added.
CREATE INDEX charges_limitation_order ON charges (limitation_listed, limitation_deadline, created_at, id);
CREATE INDEX charges_limitation_catalog ON charges (limitation_catalog);
-- The review queue is worked oldest proposal first; the proposer is in the index so the
-- queue's count (everything waiting but one's own proposals) reads the index alone.
CREATE INDEX mappings_status_proposed ON mappings (status, proposed_at, id, proposed_by);
-- The dashboard's exhibits with a recorded custody problem: a digest that did not match, or a
-- discrepancy noted. Two indexes, so either condition is found without reading every event.
CREATE INDEX custody_events_digest_matched ON custody_events (digest_matched);
CREATE INDEX custody_events_action ON custody_events (action);
-- An incident list narrowed by status is read in number order within the status, so a page
-- stops after its rows instead of sorting every incident of that status.
CREATE INDEX incidents_status_number ON incidents (status, year, seq);
-- The background keeper's work list, the files still without SHA-1 and MD5, oldest first: found
-- by this index instead of a read of every exhibit on each pass.
CREATE INDEX exhibits_awaiting_legacy ON exhibits (sha1, created_at);
