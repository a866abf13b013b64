-- Model prices: what a million tokens cost per provider and model, to turn the token counts of
-- traces and spans into cost. Loaded from CSV (seeds/clickhouse/full/010_model_prices.csv), so it
-- follows the seed rule: a ReplacingMergeTree ordered by (provider, model), whose newest row per
-- model wins (updated_at, set by the server when a row is loaded), so a changed CSV replaces its
-- rows instead of adding copies. Nullable columns take the CSV's empty fields as NULL.
CREATE TABLE IF NOT EXISTS model_prices (
    provider                  String,
    model                     String,
    input_usd_per_mtok        Float64,
    output_usd_per_mtok       Float64,
    cached_input_usd_per_mtok Nullable(Float64) COMMENT 'NULL: the model has no prompt cache',
    context_window            UInt32,
    released_on               Date,
    deprecated_on             Nullable(Date) COMMENT 'NULL: still offered',
    notes                     String DEFAULT '',
    updated_at                DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (provider, model);
