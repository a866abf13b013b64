-- The knowledge-graph vocabulary: entity types and the relationship types allowed between them.
-- Keys are stable text natural keys so reference seeds can upsert them and refer to each other by key.
CREATE TABLE IF NOT EXISTS entity_types (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    key         text        NOT NULL,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT entity_types_key_key UNIQUE (key),
    CONSTRAINT entity_types_key_format CHECK (key ~ '^[a-z][a-z0-9_]*$')
);

COMMENT ON TABLE entity_types IS 'Kinds of graph nodes (person, organization, document, ...).';

CREATE TABLE IF NOT EXISTS relationship_types (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    key            text        NOT NULL,
    name           text        NOT NULL,
    description    text        NOT NULL DEFAULT '',
    source_type_id uuid        REFERENCES entity_types (id) ON DELETE RESTRICT,
    target_type_id uuid        REFERENCES entity_types (id) ON DELETE RESTRICT,
    is_directed    boolean     NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT relationship_types_key_key UNIQUE (key),
    CONSTRAINT relationship_types_key_format CHECK (key ~ '^[a-z][a-z0-9_]*$')
);

COMMENT ON TABLE relationship_types IS 'Kinds of graph edges and which entity types they may connect.';
COMMENT ON COLUMN relationship_types.source_type_id IS 'Required type of the source entity; NULL means any type.';
COMMENT ON COLUMN relationship_types.target_type_id IS 'Required type of the target entity; NULL means any type.';

DROP TRIGGER IF EXISTS set_updated_at ON entity_types;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON entity_types
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

DROP TRIGGER IF EXISTS set_updated_at ON relationship_types;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON relationship_types
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
