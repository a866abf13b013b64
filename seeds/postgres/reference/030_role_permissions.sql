-- Reference data: which permission each system role grants. This file is the full desired state of those roles:
-- missing grants are inserted (ON CONFLICT DO NOTHING) and grants no longer listed are removed, in one statement.
WITH desired (role_key, permission_key) AS (
    -- owner: everything
    SELECT 'owner', p.key FROM permissions AS p
    UNION ALL
    -- admin: everything except deleting the organization and changing billing
    SELECT 'admin', p.key FROM permissions AS p WHERE p.key NOT IN ('org.delete', 'billing.update')
    UNION ALL
    VALUES
        ('developer', 'org.read'),
        ('developer', 'members.read'),
        ('developer', 'projects.read'),
        ('developer', 'projects.create'),
        ('developer', 'projects.update'),
        ('developer', 'environments.manage'),
        ('developer', 'api_keys.read'),
        ('developer', 'api_keys.manage'),
        ('billing',   'org.read'),
        ('billing',   'members.read'),
        ('billing',   'billing.read'),
        ('billing',   'billing.update'),
        ('viewer',    'org.read'),
        ('viewer',    'members.read'),
        ('viewer',    'projects.read')
),
resolved AS (
    SELECT r.id AS role_id, p.id AS permission_id
    FROM desired AS d
    JOIN roles AS r ON r.key = d.role_key
    JOIN permissions AS p ON p.key = d.permission_key
),
revoked AS (
    DELETE FROM role_permissions AS rp
    USING roles AS r
    WHERE r.id = rp.role_id
      AND r.key IN (SELECT role_key FROM desired)
      AND NOT EXISTS (
          SELECT 1 FROM resolved AS x
          WHERE x.role_id = rp.role_id AND x.permission_id = rp.permission_id
      )
    RETURNING rp.role_id
)
INSERT INTO role_permissions (role_id, permission_id)
SELECT role_id, permission_id FROM resolved
ON CONFLICT (role_id, permission_id) DO NOTHING;
