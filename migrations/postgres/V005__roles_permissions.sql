-- Role-based access control: roles and permissions have text natural keys (owner, projects.create)
-- that reference seeds upsert by; role_permissions is the many-to-many link.
CREATE TABLE IF NOT EXISTS roles (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    key         text        NOT NULL,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    rank        smallint    NOT NULL DEFAULT 0,
    is_system   boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT roles_key_key UNIQUE (key),
    CONSTRAINT roles_key_format CHECK (key ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT roles_rank_range CHECK (rank BETWEEN 0 AND 1000)
);

COMMENT ON TABLE roles IS 'Roles a member can hold in an organization. System roles come from seeds/postgres/reference.';
COMMENT ON COLUMN roles.rank IS 'Higher rank can manage members of lower rank (owner 100 > viewer 10).';

CREATE TABLE IF NOT EXISTS permissions (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    key         text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT permissions_key_key UNIQUE (key),
    CONSTRAINT permissions_key_format CHECK (key ~ '^[a-z_]+\.[a-z_]+$')
);

COMMENT ON TABLE permissions IS 'Fine-grained capabilities, named <resource>.<action>.';

CREATE TABLE IF NOT EXISTS role_permissions (
    role_id       uuid        NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission_id uuid        NOT NULL REFERENCES permissions (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT role_permissions_pkey PRIMARY KEY (role_id, permission_id)
);

COMMENT ON TABLE role_permissions IS 'Which permissions each role grants.';
