-- Projects belong to an organization; each project has deployment environments (dev, staging, prod).
-- Slugs are unique per parent, which gives seeds a composite natural key for ON CONFLICT.
CREATE TABLE IF NOT EXISTS projects (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    slug            text        NOT NULL,
    name            text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    created_by      uuid        REFERENCES users (id) ON DELETE SET NULL,
    archived_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT projects_organization_slug_key UNIQUE (organization_id, slug),
    CONSTRAINT projects_slug_format CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    CONSTRAINT projects_name_not_blank CHECK (btrim(name) <> '')
);

COMMENT ON TABLE projects IS 'A deployable application or service owned by an organization.';
COMMENT ON COLUMN projects.archived_at IS 'Archived projects are read-only and hidden from default listings.';

CREATE TABLE IF NOT EXISTS environments (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id   uuid        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    slug         text        NOT NULL,
    name         text        NOT NULL,
    tier         text        NOT NULL,
    is_protected boolean     NOT NULL DEFAULT false,
    variables    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT environments_project_slug_key UNIQUE (project_id, slug),
    CONSTRAINT environments_slug_format CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$'),
    CONSTRAINT environments_tier_check CHECK (tier IN ('development', 'staging', 'production')),
    CONSTRAINT environments_variables_is_object CHECK (jsonb_typeof(variables) = 'object')
);

COMMENT ON TABLE environments IS 'Deployment targets of a project.';
COMMENT ON COLUMN environments.is_protected IS 'Protected environments need an admin to change variables or deploy.';
COMMENT ON COLUMN environments.variables IS 'Non-secret configuration; secrets live in a vault, never here.';

-- Audit events can now be scoped to a project too. No FK: audit rows outlive projects.
ALTER TABLE audit.events ADD COLUMN IF NOT EXISTS project_id uuid;

COMMENT ON COLUMN audit.events.project_id IS 'Project the event concerns, if any (added with projects in V007).';
