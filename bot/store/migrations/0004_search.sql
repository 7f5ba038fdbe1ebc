-- Full-text search over term names, aliases, definitions and explanations (/search).
--
-- term_search is an FTS5 index with external content: it stores only the index, and reads the text
-- back from `terms` for snippet() and highlight(). An external-content index must be told the exact
-- text it indexed whenever a row changes or goes, so everything it indexes lives on the terms row
-- itself (OLD.* in a trigger is then exactly what was indexed): aliases are joined into
-- terms.alias_text, one per line, which the triggers on term_names keep current.
-- Rebuilding `terms` in a later migration drops these triggers: recreate them and run 'rebuild'.
ALTER TABLE terms ADD COLUMN alias_text TEXT NOT NULL DEFAULT '';

-- Backfill the aliases of the terms already here; the 'rebuild' below indexes them.
UPDATE terms SET alias_text = coalesce((
    SELECT group_concat(text, char(10)) FROM (
        SELECT text FROM term_names WHERE term_id = terms.id AND is_alias = 1 ORDER BY position
    )
), '');

-- porter: "models", "modelling" and "model" match each other; remove_diacritics: "naive" finds "naïve".
CREATE VIRTUAL TABLE term_search USING fts5 (
    name, alias_text, definition, description,
    content = 'terms', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO term_search (term_search) VALUES ('rebuild');

CREATE TRIGGER term_search_insert AFTER INSERT ON terms BEGIN
    INSERT INTO term_search (rowid, name, alias_text, definition, description)
    VALUES (NEW.id, NEW.name, NEW.alias_text, NEW.definition, NEW.description);
END;

CREATE TRIGGER term_search_delete AFTER DELETE ON terms BEGIN
    INSERT INTO term_search (term_search, rowid, name, alias_text, definition, description)
    VALUES ('delete', OLD.id, OLD.name, OLD.alias_text, OLD.definition, OLD.description);
END;

-- Only text changes touch the index: counting a lookup (UPDATE lookups) must stay cheap.
CREATE TRIGGER term_search_update AFTER UPDATE OF name, alias_text, definition, description ON terms
WHEN OLD.name IS NOT NEW.name OR OLD.alias_text IS NOT NEW.alias_text
  OR OLD.definition IS NOT NEW.definition OR OLD.description IS NOT NEW.description
BEGIN
    INSERT INTO term_search (term_search, rowid, name, alias_text, definition, description)
    VALUES ('delete', OLD.id, OLD.name, OLD.alias_text, OLD.definition, OLD.description);
    INSERT INTO term_search (rowid, name, alias_text, definition, description)
    VALUES (NEW.id, NEW.name, NEW.alias_text, NEW.definition, NEW.description);
END;

-- When a term is deleted its names cascade after its row is gone, so these updates then find no row.
CREATE TRIGGER term_search_alias_insert AFTER INSERT ON term_names WHEN NEW.is_alias = 1 BEGIN
    UPDATE terms SET alias_text = coalesce((
        SELECT group_concat(text, char(10)) FROM (
            SELECT text FROM term_names WHERE term_id = NEW.term_id AND is_alias = 1 ORDER BY position
        )
    ), '') WHERE id = NEW.term_id;
END;

CREATE TRIGGER term_search_alias_delete AFTER DELETE ON term_names WHEN OLD.is_alias = 1 BEGIN
    UPDATE terms SET alias_text = coalesce((
        SELECT group_concat(text, char(10)) FROM (
            SELECT text FROM term_names WHERE term_id = OLD.term_id AND is_alias = 1 ORDER BY position
        )
    ), '') WHERE id = OLD.term_id;
END;

-- An update may move a name between terms or between name and alias: refresh both sides.
CREATE TRIGGER term_search_alias_update AFTER UPDATE ON term_names
WHEN OLD.is_alias = 1 OR NEW.is_alias = 1
BEGIN
    UPDATE terms SET alias_text = coalesce((
        SELECT group_concat(text, char(10)) FROM (
            SELECT text FROM term_names WHERE term_id = terms.id AND is_alias = 1 ORDER BY position
        )
    ), '') WHERE id IN (OLD.term_id, NEW.term_id);
END;

-- /random category:… and its autocomplete read categories without scanning every term.
CREATE INDEX terms_by_category ON terms (category COLLATE NOCASE);
