// YAML and CSV seeds before anything runs, for every kind that loads them: parsed and checked by
// src/seeds/ (loaded only when a data seed will run), and refused when they hold nothing.

import type { TrackedFile } from "../core/types.ts";
import type { DataSeed } from "./types.ts";
import { emptyFileError } from "../sql/checks.ts";

/** Whether a parsed YAML seed writes nothing: an empty document, or one without tables. */
export function isEmptyDataSeed(seed: DataSeed): boolean {
  return seed.format === "yaml" && seed.tables.length === 0;
}

/**
 * Parses a data seed (a ConfigError, exit 2, for any mistake) and says what it writes, no values.
 * `maxYamlMb` is --max-yaml-size (default: the environment's, else 2).
 */
export async function readDataSeed(
  file: TrackedFile,
  database: string,
  maxYamlMb?: number,
): Promise<{ seed: DataSeed; summary: string }> {
  // The seed modules (and through them yaml and bcryptjs) load only when a data seed runs.
  const { describeDataSeed, parseDataSeed } = await import("./load.ts");
  const seed = await parseDataSeed(file, database, maxYamlMb);
  if (isEmptyDataSeed(seed)) throw emptyFileError(file, database);
  return { seed, summary: describeDataSeed(seed) };
}
