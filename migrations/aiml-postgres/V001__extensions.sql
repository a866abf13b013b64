-- Extensions for the AI/ML database (a separate database with its own migrations and tracking table).
-- pgcrypto provides digest() for document content hashes; pgvector is deliberately not required (see V003).
CREATE EXTENSION IF NOT EXISTS pgcrypto;
