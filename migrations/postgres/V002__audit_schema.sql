-- A separate schema for the append-only audit trail, plus the shared updated_at trigger function.
-- Schemas and tables use IF NOT EXISTS; the function uses CREATE OR REPLACE so a re-run redefines it identically.
CREATE SCHEMA IF NOT EXISTS audit;

COMMENT ON SCHEMA audit IS 'Append-only audit trail; rows are never updated or deleted by the application.';

CREATE TABLE IF NOT EXISTS audit.events (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid,
    actor_user_id   uuid,
    action          text        NOT NULL,
    target_type     text,
    target_id       uuid,
    ip_address      inet,
    user_agent      text,
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_action_format CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
    CONSTRAINT events_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object'),
    CONSTRAINT events_target_complete CHECK ((target_type IS NULL) = (target_id IS NULL))
);

COMMENT ON TABLE audit.events IS 'Who did what, when. No foreign keys on purpose: events outlive the rows they describe.';
COMMENT ON COLUMN audit.events.action IS 'Dotted verb such as organization.update or api_key.revoke.';
COMMENT ON COLUMN audit.events.metadata IS 'Action-specific details (before/after values, request id, ...).';

CREATE OR REPLACE FUNCTION public.set_updated_at()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    -- Only touch updated_at when something really changed, so a re-applied upsert
    -- that writes identical values leaves the timestamp alone.
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION public.set_updated_at() IS 'BEFORE UPDATE trigger: sets updated_at = now() when the row changed.';
