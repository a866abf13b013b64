-- Reference data: the entity types the extraction pipeline knows. Upsert by key; unchanged rows are skipped,
-- so re-applying the file changes nothing and editing a description re-applies cleanly.
INSERT INTO entity_types (key, name, description) VALUES
    ('person',       'Person',       'A human being.'),
    ('organization', 'Organization', 'A company, institution or other group.'),
    ('document',     'Document',     'A source document, report or web page.'),
    ('concept',      'Concept',      'An abstract idea or technical term.'),
    ('location',     'Location',     'A place: city, country, address, region.'),
    ('product',      'Product',      'A product, service or software package.'),
    ('event',        'Event',        'Something that happened at a point or period in time.')
ON CONFLICT (key) DO UPDATE
SET name        = EXCLUDED.name,
    description = EXCLUDED.description
WHERE (entity_types.name, entity_types.description) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description);
