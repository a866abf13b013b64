-- Full data set: 20 organizations, 500 people and a works_for edge from each person, made with generate_series.
-- Keys are derived from the series number, so re-applying upserts the same rows instead of adding new ones.
INSERT INTO entities (entity_type_id, key, name, attributes)
SELECT et.id, format('gen-org-%s', lpad(n::text, 3, '0')), format('Generated Org %s', n),
       jsonb_build_object('employees', n * 25)
FROM entity_types AS et
CROSS JOIN generate_series(1, 20) AS n
WHERE et.key = 'organization'
ON CONFLICT (entity_type_id, key) DO UPDATE
SET name       = EXCLUDED.name,
    attributes = EXCLUDED.attributes
WHERE (entities.name, entities.attributes) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.attributes);

INSERT INTO entities (entity_type_id, key, name, attributes)
SELECT et.id, format('gen-person-%s', lpad(n::text, 4, '0')), format('Person %s', n),
       jsonb_build_object('seniority', (ARRAY['junior', 'mid', 'senior', 'principal'])[1 + n % 4])
FROM entity_types AS et
CROSS JOIN generate_series(1, 500) AS n
WHERE et.key = 'person'
ON CONFLICT (entity_type_id, key) DO UPDATE
SET name       = EXCLUDED.name,
    attributes = EXCLUDED.attributes
WHERE (entities.name, entities.attributes) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.attributes);

-- Person n works for organization 1 + n % 20.
INSERT INTO relationships (relationship_type_id, source_entity_id, target_entity_id, weight)
SELECT rt.id, p.id, o.id, 1.0
FROM generate_series(1, 500) AS n
JOIN relationship_types AS rt ON rt.key = 'works_for'
JOIN entity_types AS pt ON pt.key = 'person'
JOIN entity_types AS ot ON ot.key = 'organization'
JOIN entities AS p ON p.entity_type_id = pt.id AND p.key = format('gen-person-%s', lpad(n::text, 4, '0'))
JOIN entities AS o ON o.entity_type_id = ot.id AND o.key = format('gen-org-%s', lpad((1 + n % 20)::text, 3, '0'))
ON CONFLICT (relationship_type_id, source_entity_id, target_entity_id) DO NOTHING;
