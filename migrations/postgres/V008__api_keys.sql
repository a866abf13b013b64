-- Machine credentials. Only a SHA-256 digest of the secret is stored (pgcrypto digest()), plus a short
-- public prefix to identify the key in logs and UIs; expiry and revocation are timestamps, never deletes.
CREATE TABLE IF NOT EXISTS api_keys (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    project_id      uuid        REFERENCES projects (id) ON DELETE CASCADE,
    created_by      uuid        REFERENCES users (id) ON DELETE SET NULL,
    name            text        NOT NULL,
    prefix          text        NOT NULL,
    key_hash        bytea       NOT NULL,
    scopes          text[]      NOT NULL DEFAULT '{}',
    last_used_at    timestamptz,
    expires_at      timestamptz,
    revoked_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT api_keys_prefix_key UNIQUE (prefix),
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
    CONSTRAINT api_keys_prefix_format CHECK (prefix ~ '^dbm_(live|test)_[a-z0-9]{8}$'),
    CONSTRAINT api_keys_key_hash_sha256 CHECK (octet_length(key_hash) = 32),
    CONSTRAINT api_keys_expires_after_created CHECK (expires_at IS NULL OR expires_at > created_at),
    CONSTRAINT api_keys_revoked_after_created CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);

COMMENT ON TABLE api_keys IS 'API keys; a key is valid while revoked_at IS NULL and (expires_at IS NULL OR expires_at > now()).';
COMMENT ON COLUMN api_keys.prefix IS 'First characters of the secret, shown to users (dbm_live_ab12cd34).';
COMMENT ON COLUMN api_keys.key_hash IS 'digest(secret, ''sha256''); the secret itself is shown once and never stored.';
COMMENT ON COLUMN api_keys.scopes IS 'permissions.key values the key may use; a subset of its creator''s.';
