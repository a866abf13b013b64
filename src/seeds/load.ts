// The entry the core uses for YAML and CSV seeds: parse a tracked file (and a CSV's sidecar) into a
// DataSeed before anything is applied, and describe it for --dry-run without showing any value.

import { decodeText } from "../core/read.ts";
import { ConfigError } from "../core/errors.ts";
import type { TrackedFile } from "../core/types.ts";
import { parseCsvSeed } from "./csv.ts";
import type { DataSeed } from "./types.ts";
import { parseYamlSeed } from "./yaml.ts";

/** The sidecar of a CSV file: `NNN_<table>.yaml` (or `.yml`) beside it, or null. */
async function readSidecar(
  csvPath: string,
  database: string,
): Promise<{ path: string; text: string } | null> {
  const stem = csvPath.replace(/\.csv$/i, "");
  for (const ext of [".yaml", ".yml"]) {
    const path = stem + ext;
    try {
      return { path, text: decodeText(await Deno.readFile(path), path, database) };
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      if (err instanceof Deno.errors.NotFound) continue;
      throw new ConfigError("UNREADABLE_FILE", `cannot read "${path}" of "${database}": ${err}`, {
        database,
        position: { file: path },
      });
    }
  }
  return null;
}

/** Parses a YAML or CSV seed file; any mistake is a ConfigError with file, line and column. */
export async function parseDataSeed(
  file: TrackedFile,
  database: string,
  maxYamlMb?: number,
): Promise<DataSeed> {
  if (file.format === "csv") {
    return await parseCsvSeed({
      path: file.path,
      database,
      sidecar: await readSidecar(file.path, database),
    });
  }
  if (file.format === "yaml") {
    return await parseYamlSeed({
      path: file.path,
      database,
      text: file.text,
      ...(maxYamlMb === undefined ? {} : { documentLimitMb: maxYamlMb }),
    });
  }
  throw new Error(`"${file.script}" is not a data seed`);
}

const rows = (n: number) => `${n} ${n === 1 ? "row" : "rows"}`;

/** `organizations 1 row, users 3 rows`: the tables a seed writes and how many rows, no values. */
export function describeDataSeed(seed: DataSeed): string {
  if (seed.format === "csv") {
    return `${seed.table} ${rows(seed.records)} (CSV${
      seed.key ? `, key ${seed.key.columns.join(", ")}` : ""
    })`;
  }
  if (seed.tables.length === 0) return "no tables";
  return seed.tables.map((t) => `${t.name} ${rows(t.count)}`).join(", ");
}
