-- Sample data (--seed=sample): the demo organization "acme". Keyed by slug, never by a hard-coded uuid,
-- so it works on any database and re-applies as an upsert.
INSERT INTO organizations (slug, name, plan, billing_email, settings) VALUES
    ('acme', 'Acme Corp', 'pro', 'billing@acme.test', '{"region": "eu-west-1", "sso": false}')
ON CONFLICT (slug) DO UPDATE
SET name          = EXCLUDED.name,
    plan          = EXCLUDED.plan,
    billing_email = EXCLUDED.billing_email,
    settings      = EXCLUDED.settings,
    deleted_at    = NULL
WHERE (organizations.name, organizations.plan, organizations.billing_email, organizations.settings, organizations.deleted_at)
      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.plan, EXCLUDED.billing_email, EXCLUDED.settings, NULL::timestamptz);
