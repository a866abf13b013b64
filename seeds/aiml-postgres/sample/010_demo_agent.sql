-- Sample data: a demo support agent with a knowledge base, one document split into chunks, and a few graph facts.
-- Everything is found by natural key (slug, source_uri, type + key); embeddings stay NULL for the embedding job.
INSERT INTO agents (slug, name, description, model, system_prompt, temperature, config, status) VALUES
    ('support-assistant', 'Support Assistant', 'Answers product questions from the docs knowledge base.',
     'gpt-4o-mini', 'You are a concise support assistant. Cite the documents you use.', 0.20,
     '{"max_tokens": 1024, "tools": ["search_docs"], "retrieval": {"top_k": 5}}', 'active')
ON CONFLICT (slug) DO UPDATE
SET name          = EXCLUDED.name,
    description   = EXCLUDED.description,
    model         = EXCLUDED.model,
    system_prompt = EXCLUDED.system_prompt,
    temperature   = EXCLUDED.temperature,
    config        = EXCLUDED.config,
    status        = EXCLUDED.status
WHERE (agents.name, agents.description, agents.model, agents.system_prompt, agents.temperature, agents.config, agents.status)
      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.model, EXCLUDED.system_prompt,
                        EXCLUDED.temperature, EXCLUDED.config, EXCLUDED.status);

INSERT INTO knowledge_bases (slug, name, description, embedding_model, embedding_dim) VALUES
    ('product-docs', 'Product documentation', 'User guide and FAQ.', 'text-embedding-3-small', 1536)
ON CONFLICT (slug) DO UPDATE
SET name            = EXCLUDED.name,
    description     = EXCLUDED.description,
    embedding_model = EXCLUDED.embedding_model,
    embedding_dim   = EXCLUDED.embedding_dim
WHERE (knowledge_bases.name, knowledge_bases.description, knowledge_bases.embedding_model, knowledge_bases.embedding_dim)
      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.embedding_model, EXCLUDED.embedding_dim);

INSERT INTO agent_knowledge_bases (agent_id, knowledge_base_id)
SELECT a.id, kb.id
FROM agents AS a, knowledge_bases AS kb
WHERE a.slug = 'support-assistant' AND kb.slug = 'product-docs'
ON CONFLICT DO NOTHING;

INSERT INTO documents (knowledge_base_id, source_uri, title, mime_type, content_sha256, status)
SELECT kb.id, 'docs://getting-started.md', 'Getting started', 'text/markdown',
       digest('Install the CLI. Create a project. Deploy to staging, then to production.', 'sha256'), 'ready'
FROM knowledge_bases AS kb
WHERE kb.slug = 'product-docs'
ON CONFLICT (knowledge_base_id, source_uri) DO UPDATE
SET title          = EXCLUDED.title,
    mime_type      = EXCLUDED.mime_type,
    content_sha256 = EXCLUDED.content_sha256,
    status         = EXCLUDED.status
WHERE (documents.title, documents.mime_type, documents.content_sha256, documents.status)
      IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.mime_type, EXCLUDED.content_sha256, EXCLUDED.status);

INSERT INTO chunks (document_id, chunk_index, content, token_count)
SELECT d.id, c.chunk_index, c.content, c.token_count
FROM documents AS d
JOIN knowledge_bases AS kb ON kb.id = d.knowledge_base_id AND kb.slug = 'product-docs'
CROSS JOIN (VALUES
        (0, 'Install the CLI.', 4),
        (1, 'Create a project.', 4),
        (2, 'Deploy to staging, then to production.', 8)
     ) AS c (chunk_index, content, token_count)
WHERE d.source_uri = 'docs://getting-started.md'
ON CONFLICT (document_id, chunk_index) DO UPDATE
SET content     = EXCLUDED.content,
    token_count = EXCLUDED.token_count,
    embedding   = NULL
WHERE (chunks.content, chunks.token_count) IS DISTINCT FROM (EXCLUDED.content, EXCLUDED.token_count);

INSERT INTO entities (entity_type_id, key, name, attributes)
SELECT et.id, v.key, v.name, v.attributes::jsonb
FROM (VALUES
        ('organization', 'acme-corp',     'Acme Corp',     '{"website": "https://acme.test"}'),
        ('person',       'ada-lovelace',  'Ada Lovelace',  '{"title": "CTO"}'),
        ('product',      'acme-cli',      'Acme CLI',      '{}'),
        ('document',     'getting-started', 'Getting started', '{"source_uri": "docs://getting-started.md"}')
     ) AS v (type_key, key, name, attributes)
JOIN entity_types AS et ON et.key = v.type_key
ON CONFLICT (entity_type_id, key) DO UPDATE
SET name       = EXCLUDED.name,
    attributes = EXCLUDED.attributes
WHERE (entities.name, entities.attributes) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.attributes);

INSERT INTO relationships (relationship_type_id, source_entity_id, target_entity_id)
SELECT rt.id, s.id, t.id
FROM (VALUES
        ('works_for', 'person',       'ada-lovelace',    'organization', 'acme-corp'),
        ('produces',  'organization', 'acme-corp',       'product',      'acme-cli'),
        ('mentions',  'document',     'getting-started', 'product',      'acme-cli')
     ) AS v (rel_key, source_type, source_key, target_type, target_key)
JOIN relationship_types AS rt ON rt.key = v.rel_key
JOIN entity_types AS st ON st.key = v.source_type
JOIN entities AS s ON s.entity_type_id = st.id AND s.key = v.source_key
JOIN entity_types AS tt ON tt.key = v.target_type
JOIN entities AS t ON t.entity_type_id = tt.id AND t.key = v.target_key
ON CONFLICT (relationship_type_id, source_entity_id, target_entity_id) DO NOTHING;
