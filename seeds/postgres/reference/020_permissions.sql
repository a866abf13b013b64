-- Reference data: the permission catalogue, named <resource>.<action>. Upsert by key; a changed description
-- re-applies cleanly, an unchanged row is left untouched (no new row version, updated_at kept).
INSERT INTO permissions (key, description) VALUES
    ('org.read',            'View organization settings.'),
    ('org.update',          'Change organization name and settings.'),
    ('org.delete',          'Delete the organization and all its data.'),
    ('members.read',        'List members and their roles.'),
    ('members.invite',      'Invite new members.'),
    ('members.update',      'Change a member''s role.'),
    ('members.remove',      'Remove a member from the organization.'),
    ('projects.read',       'View projects and environments.'),
    ('projects.create',     'Create projects.'),
    ('projects.update',     'Rename, describe or archive projects.'),
    ('projects.delete',     'Delete projects.'),
    ('environments.manage', 'Create environments and edit their variables.'),
    ('api_keys.read',       'List API keys (prefix, scopes, last use).'),
    ('api_keys.manage',     'Create and revoke API keys.'),
    ('billing.read',        'View plan, invoices and usage.'),
    ('billing.update',      'Change plan and payment details.'),
    ('audit.read',          'Read the audit log.')
ON CONFLICT (key) DO UPDATE
SET description = EXCLUDED.description
WHERE permissions.description IS DISTINCT FROM EXCLUDED.description;
