-- PostgreSQL's version of migration 0004 (bot/store/migrations/0004_search.sql): full-text search over
-- names, aliases, definitions and explanations.
--
-- terms.search is a tsvector computed from the row (a generated column, so it can never fall behind) with
-- a GIN index; the words are weighted A (name) to D (explanation), as SQLite's bm25 weights them, stemmed
-- by the english configuration ("models" finds "model", as FTS5's porter does) and without accents
-- ("naive" finds "naïve", as remove_diacritics). Aliases are joined into terms.alias_text, one per line,
-- which triggers on term_names keep current; the import writer turns them off for its own transaction
-- (SET LOCAL glossary.bulk_write = 'on') and writes alias_text itself, as on SQLite.
CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is only STABLE (its dictionary could change); a generated column needs IMMUTABLE.
CREATE FUNCTION search_text(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$SELECT public.unaccent('public.unaccent', $1)$$;

ALTER TABLE terms ADD COLUMN alias_text TEXT NOT NULL DEFAULT '';

UPDATE terms SET alias_text = coalesce((
    SELECT string_agg(text, E'\n' ORDER BY position) FROM term_names WHERE term_id = terms.id AND is_alias = 1
), '');

ALTER TABLE terms ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', search_text(name)), 'A')
    || setweight(to_tsvector('english', search_text(alias_text)), 'B')
    || setweight(to_tsvector('english', search_text(definition)), 'C')
    || setweight(to_tsvector('english', search_text(description)), 'D')
) STORED;
CREATE INDEX terms_search ON terms USING gin (search);

-- Every word of a query must match: tsquery_and over the words' queries.
CREATE AGGREGATE tsquery_and_all (tsquery) (sfunc = tsquery_and, stype = tsquery);

CREATE FUNCTION refresh_alias_text(term bigint) RETURNS void LANGUAGE sql AS $$
    UPDATE terms SET alias_text = coalesce((
        SELECT string_agg(text, E'\n' ORDER BY position) FROM term_names WHERE term_id = term AND is_alias = 1
    ), '') WHERE id = term;
$$;

-- When a term is deleted its names cascade after its row is gone, so these updates then find no row.
CREATE FUNCTION term_names_alias_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('glossary.bulk_write', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.is_alias = 1 THEN
        PERFORM refresh_alias_text(OLD.term_id);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.is_alias = 1
       AND (TG_OP = 'INSERT' OR OLD.is_alias = 0 OR NEW.term_id <> OLD.term_id OR NEW.text <> OLD.text
            OR NEW.position <> OLD.position) THEN
        PERFORM refresh_alias_text(NEW.term_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER term_search_alias AFTER INSERT OR UPDATE OR DELETE ON term_names
    FOR EACH ROW EXECUTE FUNCTION term_names_alias_text();

CREATE INDEX terms_by_category ON terms ((category COLLATE nocase));
