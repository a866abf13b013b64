-- Traces: one row per request or conversation handled by an AI application. Dashboards ask
-- "the traces of project P in a time range", so the sorting key starts with project_id then ts;
-- monthly partitions keep each month's parts apart, so old months can be dropped whole
-- (ALTER TABLE traces DROP PARTITION 202401) where a newer server would use a TTL.
CREATE TABLE IF NOT EXISTS traces (
    project_id    String,
    trace_id      String,
    ts            DateTime,
    name          String,
    user_id       String DEFAULT '',
    session_id    String DEFAULT '',
    release       String DEFAULT '',
    environment   String DEFAULT 'production',
    status        Enum8('ok' = 1, 'error' = 2, 'cancelled' = 3),
    duration_ms   UInt32,
    input_tokens  UInt32 DEFAULT 0,
    output_tokens UInt32 DEFAULT 0,
    cost_usd      Float64 DEFAULT 0,
    tags          Array(String),
    metadata      String DEFAULT '{}' COMMENT 'JSON object, as text'
) ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (project_id, ts, trace_id)
SETTINGS index_granularity = 8192;
