-- Tenants. The natural key (slug) is UNIQUE so seeds can upsert with ON CONFLICT (slug).
-- Named constraints make later catalog checks (DO blocks) and error messages predictable.
CREATE TABLE IF NOT EXISTS organizations (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    slug          text        NOT NULL,
    name          text        NOT NULL,
    plan          text        NOT NULL DEFAULT 'free',
    billing_email citext,
    settings      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    deleted_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT organizations_slug_key UNIQUE (slug),
    CONSTRAINT organizations_slug_format CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    CONSTRAINT organizations_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT organizations_plan_check CHECK (plan IN ('free', 'pro', 'enterprise')),
    CONSTRAINT organizations_settings_is_object CHECK (jsonb_typeof(settings) = 'object')
);

COMMENT ON TABLE organizations IS 'Tenants: every project, membership and API key belongs to one organization.';
COMMENT ON COLUMN organizations.slug IS 'URL-safe natural key, lower case, unique.';
COMMENT ON COLUMN organizations.deleted_at IS 'Soft delete: set instead of deleting, purged by a background job.';
