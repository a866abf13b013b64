-- Sample data: memberships of the demo users, two projects, and dev/staging/prod environments for each.
-- Rows are found by natural keys (slug, email) through joins, and every insert is ON CONFLICT on a unique key.
INSERT INTO memberships (organization_id, user_id, role, status, accepted_at)
SELECT o.id, u.id, m.role, 'active', now()
FROM (VALUES
        ('admin@acme.test',  'owner'),
        ('dev@acme.test',    'developer'),
        ('viewer@acme.test', 'viewer')
     ) AS m (email, role)
JOIN users AS u ON u.email = m.email
JOIN organizations AS o ON o.slug = 'acme'
ON CONFLICT (organization_id, user_id) DO UPDATE
SET role = EXCLUDED.role
WHERE memberships.role IS DISTINCT FROM EXCLUDED.role;

INSERT INTO projects (organization_id, slug, name, description, created_by)
SELECT o.id, p.slug, p.name, p.description, (SELECT id FROM users WHERE email = 'admin@acme.test')
FROM (VALUES
        ('web-app',       'Web App',       'Customer-facing web application.'),
        ('data-pipeline', 'Data Pipeline', 'Nightly ETL into the warehouse.')
     ) AS p (slug, name, description)
JOIN organizations AS o ON o.slug = 'acme'
ON CONFLICT (organization_id, slug) DO UPDATE
SET name        = EXCLUDED.name,
    description = EXCLUDED.description
WHERE (projects.name, projects.description) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description);

INSERT INTO environments (project_id, slug, name, tier, is_protected, variables)
SELECT p.id, e.slug, e.name, e.tier, e.is_protected, jsonb_build_object('LOG_LEVEL', e.log_level)
FROM projects AS p
JOIN organizations AS o ON o.id = p.organization_id AND o.slug = 'acme'
CROSS JOIN (VALUES
        ('dev',     'Development', 'development', false, 'debug'),
        ('staging', 'Staging',     'staging',     false, 'info'),
        ('prod',    'Production',  'production',  true,  'warn')
     ) AS e (slug, name, tier, is_protected, log_level)
WHERE p.slug IN ('web-app', 'data-pipeline')
ON CONFLICT (project_id, slug) DO UPDATE
SET name         = EXCLUDED.name,
    tier         = EXCLUDED.tier,
    is_protected = EXCLUDED.is_protected,
    variables    = EXCLUDED.variables
WHERE (environments.name, environments.tier, environments.is_protected, environments.variables)
      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.tier, EXCLUDED.is_protected, EXCLUDED.variables);
