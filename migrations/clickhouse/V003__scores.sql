-- Quality scores: evaluations of a trace or span by a human, a rule or an LLM judge, read as
-- "scores of project P by name over time". Score definitions are reference data (see the seed in
-- seeds/clickhouse/reference/): a ReplacingMergeTree on the name, so a changed seed replaces its rows
-- instead of adding copies.
CREATE TABLE IF NOT EXISTS score_definitions (
    name        String,
    data_type   Enum8('numeric' = 1, 'boolean' = 2, 'categorical' = 3),
    min_value   Nullable(Float64),
    max_value   Nullable(Float64),
    categories  Array(String),
    description String,
    updated_at  DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY name;

CREATE TABLE IF NOT EXISTS scores (
    project_id String,
    trace_id   String,
    span_id    String DEFAULT '' COMMENT 'empty when the score is about the whole trace',
    ts         DateTime,
    name       String,
    value      Float64,
    string_value String DEFAULT '' COMMENT 'the category of a categorical score',
    source     Enum8('human' = 1, 'rule' = 2, 'llm_judge' = 3),
    comment    String DEFAULT ''
) ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (project_id, name, ts, trace_id);
