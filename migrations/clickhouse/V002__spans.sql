-- Spans: the steps of a trace (LLM calls, tool calls, retrievals). The trace view reads every span
-- of one trace, so the sorting key is (project_id, trace_id, start_time); partitions by month follow
-- the trace's time like the traces table, so a month of both can be dropped together.
CREATE TABLE IF NOT EXISTS spans (
    project_id     String,
    trace_id       String,
    span_id        String,
    parent_span_id String DEFAULT '' COMMENT 'empty for the root span',
    start_time     DateTime,
    end_time       DateTime,
    kind           Enum8('llm' = 1, 'tool' = 2, 'retrieval' = 3, 'chain' = 4, 'other' = 5),
    name           String,
    model          String DEFAULT '',
    input_tokens   UInt32 DEFAULT 0,
    output_tokens  UInt32 DEFAULT 0,
    status         Enum8('ok' = 1, 'error' = 2),
    error_message  String DEFAULT '',
    attributes     Nested(key String, value String)
) ENGINE = MergeTree
PARTITION BY toYYYYMM(start_time)
ORDER BY (project_id, trace_id, start_time, span_id);
