// A ClickHouse file before anything runs: the tokenizer's checks for a SQL file, a CSV seed parsed,
// and a YAML seed refused (ClickHouse has no upsert to apply its rows with).

import { ConfigError } from "../../core/errors.ts";
import type { TrackedFile } from "../../core/types.ts";
import type { CsvSeed } from "../../seeds/types.ts";
import { checkSqlFile } from "../../sql/checks.ts";
import { readDataSeed } from "../../seeds/data_seed.ts";
import type { PrepareContext, PreparedFile } from "../driver.ts";

/** How a ClickHouse file runs: a SQL file statement by statement, or a CSV seed. */
export type ChBody = { sql: true } | { seed: CsvSeed };

/** Checks and prepares one ClickHouse migration or seed; throws a ConfigError (exit 2). */
export async function prepareClickHouse(
  file: TrackedFile,
  ctx: PrepareContext,
): Promise<PreparedFile> {
  if (file.format === "sql") {
    const n = checkSqlFile(file, "clickhouse", ctx.database);
    const body: ChBody = { sql: true };
    const summary = `${n} ${n === 1 ? "statement" : "statements"}`;
    return { file, summary, qualifiers: [], notices: [], body };
  }
  if (file.format !== "csv") {
    throw new ConfigError(
      "INVALID_SEED",
      `seed "${file.path}" of "${ctx.database}": ${file.format.toUpperCase()} seeds are not ` +
        "supported on ClickHouse, which has no upsert to apply their rows with",
      {
        database: ctx.database,
        position: { file: file.path },
        hint: "write the rows as a .sql seed (INSERT into a ReplacingMergeTree table) or a .csv " +
          "seed (NNN_<table>.csv with a header row)",
      },
    );
  }
  const { seed, summary } = await readDataSeed(file, ctx.database, ctx.maxYamlMb);
  const body: ChBody = { seed: seed as CsvSeed };
  return { file, summary, qualifiers: [], notices: [], body };
}
