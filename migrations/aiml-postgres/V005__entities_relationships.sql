-- Graph nodes and edges. A CHECK cannot look at another table, so the rule "an edge's endpoints match its
-- relationship type" is a trigger: CREATE OR REPLACE FUNCTION, then DROP TRIGGER IF EXISTS + CREATE TRIGGER.
CREATE TABLE IF NOT EXISTS entities (
    id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    entity_type_id     uuid        NOT NULL REFERENCES entity_types (id) ON DELETE RESTRICT,
    key                text        NOT NULL,
    name               text        NOT NULL,
    attributes         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    source_document_id uuid        REFERENCES documents (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT entities_type_key_key UNIQUE (entity_type_id, key),
    CONSTRAINT entities_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT entities_attributes_is_object CHECK (jsonb_typeof(attributes) = 'object')
);

COMMENT ON TABLE entities IS 'Graph nodes extracted from documents or entered by hand.';
COMMENT ON COLUMN entities.key IS 'Stable natural key within the type (e.g. a normalized name or an external id).';

CREATE TABLE IF NOT EXISTS relationships (
    id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    relationship_type_id uuid        NOT NULL REFERENCES relationship_types (id) ON DELETE RESTRICT,
    source_entity_id     uuid        NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    target_entity_id     uuid        NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    weight               real        NOT NULL DEFAULT 1.0,
    properties           jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT relationships_type_source_target_key UNIQUE (relationship_type_id, source_entity_id, target_entity_id),
    CONSTRAINT relationships_no_self_loop CHECK (source_entity_id <> target_entity_id),
    CONSTRAINT relationships_weight_range CHECK (weight >= 0 AND weight <= 1),
    CONSTRAINT relationships_properties_is_object CHECK (jsonb_typeof(properties) = 'object')
);

COMMENT ON TABLE relationships IS 'Graph edges; one edge per (type, source, target).';

CREATE OR REPLACE FUNCTION public.check_relationship_endpoint_types()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    rt           relationship_types%ROWTYPE;
    source_type  uuid;
    target_type  uuid;
BEGIN
    SELECT * INTO rt FROM relationship_types WHERE id = NEW.relationship_type_id;
    SELECT entity_type_id INTO source_type FROM entities WHERE id = NEW.source_entity_id;
    SELECT entity_type_id INTO target_type FROM entities WHERE id = NEW.target_entity_id;

    IF rt.source_type_id IS NOT NULL AND source_type IS DISTINCT FROM rt.source_type_id THEN
        RAISE EXCEPTION 'relationship type % does not allow this source entity type', rt.key
            USING ERRCODE = 'check_violation';
    END IF;
    IF rt.target_type_id IS NOT NULL AND target_type IS DISTINCT FROM rt.target_type_id THEN
        RAISE EXCEPTION 'relationship type % does not allow this target entity type', rt.key
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION public.check_relationship_endpoint_types()
    IS 'Rejects an edge whose endpoints do not have the types its relationship type requires.';

DROP TRIGGER IF EXISTS check_endpoint_types ON relationships;
CREATE TRIGGER check_endpoint_types
    BEFORE INSERT OR UPDATE OF relationship_type_id, source_entity_id, target_entity_id ON relationships
    FOR EACH ROW EXECUTE FUNCTION check_relationship_endpoint_types();

DROP TRIGGER IF EXISTS set_updated_at ON entities;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON entities
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

DROP TRIGGER IF EXISTS set_updated_at ON relationships;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON relationships
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
