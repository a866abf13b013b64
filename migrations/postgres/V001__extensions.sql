-- Extensions first, so later files can rely on them; IF NOT EXISTS makes a re-run a no-op.
-- gen_random_uuid() is core since PostgreSQL 13; pgcrypto adds digest()/crypt(), citext case-insensitive e-mails.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS citext;
