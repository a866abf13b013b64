-- Retrieval data: knowledge bases hold documents, documents are split into chunks with embeddings.
-- Embeddings are real[] so this runs on any PostgreSQL (and PGlite); with pgvector installed you would use vector(n).
CREATE TABLE IF NOT EXISTS knowledge_bases (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    slug            text        NOT NULL,
    name            text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    embedding_model text        NOT NULL,
    embedding_dim   integer     NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT knowledge_bases_slug_key UNIQUE (slug),
    CONSTRAINT knowledge_bases_slug_format CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    CONSTRAINT knowledge_bases_embedding_dim_range CHECK (embedding_dim BETWEEN 1 AND 16000)
);

COMMENT ON TABLE knowledge_bases IS 'A searchable corpus; all its chunks use one embedding model and dimension.';

CREATE TABLE IF NOT EXISTS agent_knowledge_bases (
    agent_id          uuid        NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    knowledge_base_id uuid        NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agent_knowledge_bases_pkey PRIMARY KEY (agent_id, knowledge_base_id)
);

COMMENT ON TABLE agent_knowledge_bases IS 'Which knowledge bases an agent may retrieve from.';

CREATE TABLE IF NOT EXISTS documents (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    knowledge_base_id uuid        NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    source_uri        text        NOT NULL,
    title             text        NOT NULL DEFAULT '',
    mime_type         text        NOT NULL DEFAULT 'text/plain',
    content_sha256    bytea,
    status            text        NOT NULL DEFAULT 'pending',
    error             text,
    metadata          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT documents_knowledge_base_source_key UNIQUE (knowledge_base_id, source_uri),
    CONSTRAINT documents_status_check CHECK (status IN ('pending', 'processing', 'ready', 'failed')),
    CONSTRAINT documents_failed_has_error CHECK (status <> 'failed' OR error IS NOT NULL),
    CONSTRAINT documents_content_sha256_length CHECK (content_sha256 IS NULL OR octet_length(content_sha256) = 32),
    CONSTRAINT documents_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object')
);

COMMENT ON TABLE documents IS 'Source documents; re-ingested when content_sha256 changes.';
COMMENT ON COLUMN documents.content_sha256 IS 'digest(content, ''sha256'') of the ingested text.';

CREATE TABLE IF NOT EXISTS chunks (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    document_id uuid        NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    chunk_index integer     NOT NULL,
    content     text        NOT NULL,
    token_count integer     NOT NULL DEFAULT 0,
    embedding   real[],
    metadata    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT chunks_document_index_key UNIQUE (document_id, chunk_index),
    CONSTRAINT chunks_chunk_index_nonnegative CHECK (chunk_index >= 0),
    CONSTRAINT chunks_token_count_nonnegative CHECK (token_count >= 0),
    CONSTRAINT chunks_embedding_is_vector CHECK (embedding IS NULL OR array_ndims(embedding) = 1),
    CONSTRAINT chunks_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object')
);

COMMENT ON TABLE chunks IS 'Retrieval units of a document, in order.';
COMMENT ON COLUMN chunks.embedding IS 'Embedding as a plain real[] (length = knowledge_bases.embedding_dim). '
    'Where pgvector is installed this would be vector(n) with an HNSW index; NULL until the embedding job runs.';

DROP TRIGGER IF EXISTS set_updated_at ON knowledge_bases;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON knowledge_bases
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

DROP TRIGGER IF EXISTS set_updated_at ON documents;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON documents
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
