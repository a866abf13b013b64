// Small helpers shared by the end-to-end tests, on top of tests/helpers.ts (which makes the
// databases, the projects and runs the CLI). Not a test file itself: deno test skips `_util.ts`.
import { makeProject, pgQuery } from "../helpers.ts";

/** The first line of text that mentions needle (for a progress or status row), or "". */
export function lineWith(text: string, needle: string): string {
  return text.split("\n").find((l) => l.includes(needle)) ?? "";
}

/** SHA-256 of text as 64 lower-case hex digits. */
export async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether a table (optionally schema-qualified) exists in the database at url. */
export async function tableExists(url: string, table: string): Promise<boolean> {
  const [row] = await pgQuery(url, "SELECT to_regclass($1) IS NOT NULL AS present", [table]);
  return row?.present === true;
}

/** Whether the database has a tracking table in any schema. */
export async function hasTrackingTable(url: string): Promise<boolean> {
  const rows = await pgQuery(
    url,
    "SELECT 1 FROM pg_class WHERE relname = '_schema_migrations' AND relkind IN ('r', 'p')",
  );
  return rows.length > 0;
}

/** One tracking row, as tests compare them. */
export interface TrackingRow {
  version: number | null;
  script: string;
  checksum: string;
  kind: string;
  success: boolean;
}

/** The rows of _schema_migrations, ordered by kind then script. */
export async function trackingRows(url: string): Promise<TrackingRow[]> {
  const rows = await pgQuery(
    url,
    `SELECT version::int AS version, script, checksum, kind, success
       FROM _schema_migrations ORDER BY kind, script`,
  );
  return rows.map((r) => ({
    version: r.version === null ? null : Number(r.version),
    script: String(r.script),
    checksum: String(r.checksum),
    kind: String(r.kind),
    success: r.success === true,
  }));
}

/** Creates a temp project from files, runs fn in it and removes it afterwards. */
export async function withProject<T>(
  files: Record<string, string>,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const project = await makeProject(files);
  try {
    return await fn(project.dir);
  } finally {
    await project.cleanup();
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound once, then closed). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** The summary counts of a text-mode summary line (`3 applied, 1 skipped, 0 failed ...`). */
export function summaryCounts(line: string): { applied: number; skipped: number; failed: number } {
  const m = /^(\d+) applied, (\d+) skipped, (\d+) failed/.exec(line);
  if (!m) throw new Error(`not a summary line: ${JSON.stringify(line)}`);
  return { applied: Number(m[1]), skipped: Number(m[2]), failed: Number(m[3]) };
}
