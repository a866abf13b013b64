-- Sample data: demo users, all with the password "change-me". SQL seeds carry a precomputed bcrypt hash;
-- a YAML seed would write `password_hash: !bcrypt change-me` and let the tool hash it at apply time.
INSERT INTO users (email, name, password_hash, email_verified_at) VALUES
    ('admin@acme.test',  'Ada Admin',     '$2b$10$B5Ykkwxm/AE1Fzu1V/iR6uEUL9CFLp6xQYYl2sVVTYSyTler8cHoe', now()),
    ('dev@acme.test',    'Dev Developer', '$2b$10$B5Ykkwxm/AE1Fzu1V/iR6uEUL9CFLp6xQYYl2sVVTYSyTler8cHoe', now()),
    ('viewer@acme.test', 'Vic Viewer',    '$2b$10$B5Ykkwxm/AE1Fzu1V/iR6uEUL9CFLp6xQYYl2sVVTYSyTler8cHoe', now())
-- On re-apply only the display name follows the seed: a password someone changed is kept.
ON CONFLICT (email) DO UPDATE
SET name = EXCLUDED.name
WHERE users.name IS DISTINCT FROM EXCLUDED.name;

-- The demo organization was created by its admin; fill the link once, never overwrite it.
UPDATE organizations
SET created_by = (SELECT id FROM users WHERE email = 'admin@acme.test')
WHERE slug = 'acme' AND created_by IS NULL;
