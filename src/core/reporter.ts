// What the core tells as it works: events, not lines. How they look (columns, JSON objects) is the
// business of src/report/, which implements this interface.

import type { Step } from "./types.ts";

/** Where the core reports a run's progress. */
export interface Reporter {
  /** A notice or warning for the operator (`waiting for the migration lock …`). */
  notice(text: string): void;
  /** One file's outcome. */
  step(step: Step): void;
  /** A database with nothing to apply. */
  upToDate(database: string, skipped: number): void;
  /** The files the run will print a step for, once known and before the first step. */
  files(scripts: readonly string[]): void;
}
