-- The user's answer to a possible duplicate: kept apart (they are two people). A pair kept apart
-- is not proposed again, also when a later import finds the shared key once more; a pair merged
-- is gone with the merged-away customer.
ALTER TABLE possible_duplicates ADD COLUMN kept_apart_at TEXT;
