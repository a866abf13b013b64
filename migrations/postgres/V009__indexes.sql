-- Secondary indexes for the common queries, all CREATE INDEX IF NOT EXISTS (inside the file's transaction).
-- Unique constraints already index the natural keys; these cover FK lookups, partial "live rows" and GIN searches.

-- Foreign keys whose referencing side is not the leading column of another index.
CREATE INDEX IF NOT EXISTS memberships_user_id_idx ON memberships (user_id);
CREATE INDEX IF NOT EXISTS memberships_role_idx ON memberships (role);
CREATE INDEX IF NOT EXISTS role_permissions_permission_id_idx ON role_permissions (permission_id);
CREATE INDEX IF NOT EXISTS projects_created_by_idx ON projects (created_by) WHERE created_by IS NOT NULL;
CREATE INDEX IF NOT EXISTS api_keys_organization_id_idx ON api_keys (organization_id);
CREATE INDEX IF NOT EXISTS api_keys_project_id_idx ON api_keys (project_id) WHERE project_id IS NOT NULL;

-- Partial indexes: listings only ever show live rows.
CREATE INDEX IF NOT EXISTS organizations_live_created_at_idx
    ON organizations (created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS projects_live_organization_idx
    ON projects (organization_id, name) WHERE archived_at IS NULL;
CREATE INDEX IF NOT EXISTS api_keys_active_expires_at_idx
    ON api_keys (expires_at) WHERE revoked_at IS NULL;
CREATE INDEX IF NOT EXISTS users_active_last_login_idx
    ON users (last_login_at DESC) WHERE is_active;

-- GIN indexes for containment queries (settings @> '{"sso": true}', 'projects.read' = ANY(scopes)).
CREATE INDEX IF NOT EXISTS organizations_settings_gin ON organizations USING gin (settings jsonb_path_ops);
CREATE INDEX IF NOT EXISTS api_keys_scopes_gin ON api_keys USING gin (scopes);
CREATE INDEX IF NOT EXISTS events_metadata_gin ON audit.events USING gin (metadata jsonb_path_ops);

-- Audit trail per tenant and per target, newest first.
CREATE INDEX IF NOT EXISTS events_organization_created_at_idx
    ON audit.events (organization_id, created_at DESC);
CREATE INDEX IF NOT EXISTS events_target_idx
    ON audit.events (target_type, target_id) WHERE target_id IS NOT NULL;
