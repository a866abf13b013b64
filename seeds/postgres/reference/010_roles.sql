-- Reference data: the system roles every installation needs. Upsert by natural key (key), so editing a
-- name or description here and re-running updates the row; the WHERE clause skips rows that are already equal.
INSERT INTO roles (key, name, description, rank, is_system) VALUES
    ('owner',     'Owner',     'Full control of the organization, including deleting it and managing billing.', 100, true),
    ('admin',     'Admin',     'Manages members, projects and API keys; cannot delete the organization or change billing.', 80, true),
    ('developer', 'Developer', 'Creates and updates projects, environments and API keys.', 50, true),
    ('billing',   'Billing',   'Views and updates billing details and invoices.', 30, true),
    ('viewer',    'Viewer',    'Read-only access to the organization and its projects.', 10, true)
ON CONFLICT (key) DO UPDATE
SET name        = EXCLUDED.name,
    description = EXCLUDED.description,
    rank        = EXCLUDED.rank,
    is_system   = EXCLUDED.is_system
WHERE (roles.name, roles.description, roles.rank, roles.is_system)
      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.rank, EXCLUDED.is_system);
