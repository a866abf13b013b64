-- Reference data: relationship types with the entity types they connect, resolved by key through joins
-- (runs after 010_entity_types.sql because seeds run in name order). A NULL type means "any".
INSERT INTO relationship_types (key, name, description, source_type_id, target_type_id, is_directed)
SELECT v.key, v.name, v.description, s.id, t.id, v.is_directed
FROM (VALUES
        ('works_for',  'works for',  'A person is employed by an organization.',       'person',       'organization', true),
        ('founded',    'founded',    'A person founded an organization.',              'person',       'organization', true),
        ('authored',   'authored',   'A person wrote a document.',                     'person',       'document',     true),
        ('mentions',   'mentions',   'A document mentions an entity of any type.',     'document',     NULL,           true),
        ('located_in', 'located in', 'An organization or event takes place somewhere.', NULL,          'location',     true),
        ('produces',   'produces',   'An organization makes a product.',               'organization', 'product',      true),
        ('part_of',    'part of',    'A concept is a narrower part of another.',       'concept',      'concept',      true),
        ('related_to', 'related to', 'A generic, undirected association.',             NULL,           NULL,           false)
     ) AS v (key, name, description, source_key, target_key, is_directed)
LEFT JOIN entity_types AS s ON s.key = v.source_key
LEFT JOIN entity_types AS t ON t.key = v.target_key
ON CONFLICT (key) DO UPDATE
SET name           = EXCLUDED.name,
    description    = EXCLUDED.description,
    source_type_id = EXCLUDED.source_type_id,
    target_type_id = EXCLUDED.target_type_id,
    is_directed    = EXCLUDED.is_directed
WHERE (relationship_types.name, relationship_types.description, relationship_types.source_type_id,
       relationship_types.target_type_id, relationship_types.is_directed)
      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.source_type_id,
                        EXCLUDED.target_type_id, EXCLUDED.is_directed);
