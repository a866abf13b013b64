-- Secondary indexes for retrieval and graph traversal, all CREATE INDEX IF NOT EXISTS.
-- Without pgvector there is no ANN index on chunks.embedding; similarity search is a scan of one knowledge base.

-- Graph traversal in both directions (the unique key leads with relationship_type_id).
CREATE INDEX IF NOT EXISTS relationships_source_entity_idx ON relationships (source_entity_id);
CREATE INDEX IF NOT EXISTS relationships_target_entity_idx ON relationships (target_entity_id);

-- Entity lookup by name (case-insensitive) and by attributes.
CREATE INDEX IF NOT EXISTS entities_lower_name_idx ON entities (lower(name));
CREATE INDEX IF NOT EXISTS entities_attributes_gin ON entities USING gin (attributes jsonb_path_ops);
CREATE INDEX IF NOT EXISTS entities_source_document_idx
    ON entities (source_document_id) WHERE source_document_id IS NOT NULL;

-- Ingestion queue: only documents still waiting for work.
CREATE INDEX IF NOT EXISTS documents_pending_idx
    ON documents (created_at) WHERE status IN ('pending', 'processing');
CREATE INDEX IF NOT EXISTS documents_metadata_gin ON documents USING gin (metadata jsonb_path_ops);

-- Chunks still missing an embedding, for the embedding job.
CREATE INDEX IF NOT EXISTS chunks_missing_embedding_idx ON chunks (document_id) WHERE embedding IS NULL;

-- Agents the runtime loads.
CREATE INDEX IF NOT EXISTS agents_active_idx ON agents (slug) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS agent_knowledge_bases_kb_idx ON agent_knowledge_bases (knowledge_base_id);
