-- PostgreSQL's version of migration 0009 (bot/store/migrations/0009_shared_terms_covering.sql): the shared
-- glossary's names and popularity in id order, read at start without the rows they belong to.
CREATE INDEX terms_shared_names ON terms (id) INCLUDE (name, lookups) WHERE guild_id IS NULL;
