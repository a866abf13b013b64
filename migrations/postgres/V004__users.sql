-- People who sign in. email is citext + UNIQUE, so Admin@Acme.test and admin@acme.test are one user.
-- Also shows extending an earlier table: ADD COLUMN IF NOT EXISTS plus a foreign key added in a guarded DO block.
CREATE TABLE IF NOT EXISTS users (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email             citext      NOT NULL,
    name              text        NOT NULL,
    password_hash     text,
    email_verified_at timestamptz,
    last_login_at     timestamptz,
    is_active         boolean     NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_email_format CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
    CONSTRAINT users_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT users_password_hash_bcrypt
        CHECK (password_hash IS NULL OR password_hash ~ '^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$')
);

COMMENT ON TABLE users IS 'Accounts. A user may belong to several organizations through memberships.';
COMMENT ON COLUMN users.password_hash IS 'bcrypt hash; NULL for accounts that only sign in through SSO.';

-- organizations existed before users, so the "created by" link is added here.
ALTER TABLE organizations ADD COLUMN IF NOT EXISTS created_by uuid;

DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_constraint
        WHERE conrelid = 'organizations'::regclass
          AND conname = 'organizations_created_by_fkey'
    ) THEN
        ALTER TABLE organizations
            ADD CONSTRAINT organizations_created_by_fkey
            FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE SET NULL;
    END IF;
END
$$;

COMMENT ON COLUMN organizations.created_by IS 'User who created the organization; kept NULL if that user is deleted.';
