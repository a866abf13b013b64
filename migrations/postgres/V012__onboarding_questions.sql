-- Onboarding: the questions a new organization answers (reference data, seeded from
-- seeds/postgres/reference/020_onboarding_questions.yaml) and its answers, one per question.
-- Choice questions carry their options as a JSON array; tags group questions in the UI.
CREATE TABLE IF NOT EXISTS onboarding_questions (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    key         text        NOT NULL,
    prompt      text        NOT NULL,
    help_text   text        NOT NULL DEFAULT '',
    kind        text        NOT NULL,
    options     jsonb       NOT NULL DEFAULT '[]'::jsonb,
    position    smallint    NOT NULL DEFAULT 0,
    is_required boolean     NOT NULL DEFAULT false,
    tags        text[]      NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT onboarding_questions_key_key UNIQUE (key),
    CONSTRAINT onboarding_questions_key_format CHECK (key ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT onboarding_questions_kind_check
        CHECK (kind IN ('text', 'single_choice', 'multi_choice', 'boolean')),
    CONSTRAINT onboarding_questions_options_is_array CHECK (jsonb_typeof(options) = 'array'),
    CONSTRAINT onboarding_questions_choices_have_options
        CHECK (kind NOT IN ('single_choice', 'multi_choice') OR jsonb_array_length(options) > 0)
);

COMMENT ON TABLE onboarding_questions IS 'Questions asked when an organization is set up; system data from reference seeds.';
COMMENT ON COLUMN onboarding_questions.options IS 'For choice questions: [{"value": ..., "label": ...}, ...] in display order.';

CREATE TABLE IF NOT EXISTS onboarding_answers (
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    question_id     uuid        NOT NULL REFERENCES onboarding_questions (id) ON DELETE CASCADE,
    answer          jsonb       NOT NULL,
    answered_by     uuid        REFERENCES users (id) ON DELETE SET NULL,
    answered_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT onboarding_answers_pkey PRIMARY KEY (organization_id, question_id)
);

COMMENT ON TABLE onboarding_answers IS 'An organization''s answer to each onboarding question (a JSON value: text, choice(s) or boolean).';

CREATE INDEX IF NOT EXISTS onboarding_answers_question_id_idx ON onboarding_answers (question_id);

DROP TRIGGER IF EXISTS set_updated_at ON onboarding_questions;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON onboarding_questions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
