-- Agents: a model plus its configuration. status is text with a CHECK rather than an enum type: a CHECK can be
-- changed by a later migration, while enum values cannot be removed and a new one is unusable in the same transaction.
-- This database gets its own copy of the updated_at helper (each database has its own migrations).
CREATE OR REPLACE FUNCTION public.set_updated_at()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION public.set_updated_at() IS 'BEFORE UPDATE trigger: sets updated_at = now() when the row changed.';

CREATE TABLE IF NOT EXISTS agents (
    id            uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    slug          text         NOT NULL,
    name          text         NOT NULL,
    description   text         NOT NULL DEFAULT '',
    model         text         NOT NULL,
    system_prompt text         NOT NULL DEFAULT '',
    temperature   numeric(3,2) NOT NULL DEFAULT 0.20,
    config        jsonb        NOT NULL DEFAULT '{}'::jsonb,
    status        text         NOT NULL DEFAULT 'draft',
    created_at    timestamptz  NOT NULL DEFAULT now(),
    updated_at    timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT agents_slug_key UNIQUE (slug),
    CONSTRAINT agents_slug_format CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    CONSTRAINT agents_model_not_blank CHECK (btrim(model) <> ''),
    CONSTRAINT agents_temperature_range CHECK (temperature BETWEEN 0 AND 2),
    CONSTRAINT agents_config_is_object CHECK (jsonb_typeof(config) = 'object'),
    CONSTRAINT agents_status_check CHECK (status IN ('draft', 'active', 'paused', 'archived'))
);

COMMENT ON TABLE agents IS 'Configured AI agents.';
COMMENT ON COLUMN agents.model IS 'Provider model identifier, e.g. gpt-4o-mini or claude-sonnet-4.';
COMMENT ON COLUMN agents.config IS 'Tool list, max_tokens, retrieval settings, ...; an object.';

DROP TRIGGER IF EXISTS set_updated_at ON agents;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON agents
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
