// What running a file needs of the ClickHouse driver, shared by the statement runner, the resume
// logic and the CSV loader.

import { UnreachableError } from "../../core/errors.ts";
import type { TrackedFile } from "../../core/types.ts";
import type { ClusterOptions } from "./cluster.ts";
import type { ClickHouseHttp } from "./http.ts";
import type { LeaseLock } from "./lock.ts";
import type { Tracking } from "./tracking.ts";
import type { ClickHouseTarget } from "./url.ts";

/** One connected ClickHouse database, as the code that runs files sees it. */
export interface ChSession {
  /** db-migrate's name of the database, for messages. */
  readonly name: string;
  readonly target: ClickHouseTarget;
  readonly http: ClickHouseHttp;
  readonly tracking: Tracking;
  readonly lock: LeaseLock;
  /** The cluster the database lives on, or null for a single server. */
  readonly cluster: ClusterOptions | null;
}

/** Stops before a statement when this run no longer holds the lease (it ran out or was taken). */
export function checkLease(s: ChSession, file: TrackedFile): void {
  const lost = s.lock.lost();
  if (lost !== null) {
    throw new UnreachableError(
      "LOCK_TIMEOUT",
      s.name,
      `lost the migration lock of "${s.name}" while applying "${file.script}": ${lost}`,
      "run again once the other run has finished; the file resumes where it stopped",
    );
  }
}

/** Builds a file's tracking rows: its progress after `done` statements, or its failure. */
export function rowBuilder(
  s: ChSession,
  file: TrackedFile,
  total: number,
  hashes: string[],
  started: number,
) {
  return (done: number, error: string | null, content = "") => ({
    version: file.version,
    description: file.description,
    script: file.script,
    checksum: file.checksum,
    kind: file.kind,
    appliedAt: "now" as const,
    appliedBy: s.target.username,
    statementsTotal: total,
    deleted: false,
    executionMs: performance.now() - started,
    success: error === null,
    content,
    error,
    statementsDone: done,
    statementHashes: hashes.slice(0, done),
    queryId: "",
    provenance: "applied" as string,
  });
}
