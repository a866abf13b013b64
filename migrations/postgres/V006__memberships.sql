-- Links users to organizations with a role. role references roles(key), the natural key,
-- so seeds (SQL or YAML) can write role = 'owner' without looking up ids.
CREATE TABLE IF NOT EXISTS memberships (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            text        NOT NULL REFERENCES roles (key) ON UPDATE CASCADE ON DELETE RESTRICT,
    status          text        NOT NULL DEFAULT 'active',
    invited_by      uuid        REFERENCES users (id) ON DELETE SET NULL,
    accepted_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT memberships_organization_user_key UNIQUE (organization_id, user_id),
    CONSTRAINT memberships_status_check CHECK (status IN ('invited', 'active', 'suspended')),
    CONSTRAINT memberships_active_accepted CHECK (status <> 'active' OR accepted_at IS NOT NULL)
);

COMMENT ON TABLE memberships IS 'A user''s role in an organization; one row per (organization, user).';
COMMENT ON COLUMN memberships.role IS 'roles.key; deleting a role that is still in use is refused (RESTRICT).';
