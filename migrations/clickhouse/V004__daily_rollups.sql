-- Daily roll-ups for the overview page: a SummingMergeTree fed by materialized views as traces and
-- scores arrive, plus a plain view that formats them. Several statements in one file, each sent on
-- its own; strings below hold ';' and '--' on purpose, and they stay inside their statements.
CREATE TABLE IF NOT EXISTS daily_trace_stats (
    project_id    String,
    day           Date,
    environment   String,
    traces        UInt64,
    errors        UInt64,
    input_tokens  UInt64,
    output_tokens UInt64,
    cost_usd      Float64
) ENGINE = SummingMergeTree((traces, errors, input_tokens, output_tokens, cost_usd))
PARTITION BY toYYYYMM(day)
ORDER BY (project_id, day, environment);

-- TO <table> keeps the data in a table of its own, so the view can be dropped and recreated
-- without losing what it already aggregated.
CREATE MATERIALIZED VIEW IF NOT EXISTS daily_trace_stats_mv TO daily_trace_stats AS
SELECT
    project_id,
    toDate(ts) AS day,
    environment,
    count() AS traces,
    countIf(status = 'error') AS errors,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cost_usd) AS cost_usd
FROM traces
GROUP BY project_id, day, environment;

CREATE TABLE IF NOT EXISTS daily_score_stats (
    project_id String,
    day        Date,
    name       String,
    scores     UInt64,
    value_sum  Float64
) ENGINE = SummingMergeTree((scores, value_sum))
PARTITION BY toYYYYMM(day)
ORDER BY (project_id, day, name);

CREATE MATERIALIZED VIEW IF NOT EXISTS daily_score_stats_mv TO daily_score_stats AS
SELECT project_id, toDate(ts) AS day, name, count() AS scores, sum(value) AS value_sum
FROM scores
GROUP BY project_id, day, name;

-- Read side: rows of a SummingMergeTree are summed only when parts merge, so the view sums again.
-- The label joins tags with '; ' and shows '--' for a day without errors.
CREATE VIEW IF NOT EXISTS daily_overview AS
SELECT
    project_id,
    day,
    sum(traces) AS trace_count,
    sum(errors) AS error_count,
    if(error_count = 0, '--', toString(round(100 * error_count / trace_count, 1))) AS error_pct,
    arrayStringConcat(groupUniqArray(environment), '; ') AS environments,
    sum(cost_usd) AS total_cost_usd
FROM daily_trace_stats
GROUP BY project_id, day;
