-- The shared glossary's names and popularity in id order, without reading the rows they belong to: the
-- start reads them all to build the matching index, and beside a million servers' entries, reading them
-- through the rows (long texts, spread over the whole file) took three times as long.
CREATE INDEX terms_shared_names ON terms (id, name, lookups) WHERE guild_id IS NULL;
