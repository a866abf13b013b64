// A schema snapshot of a PostgreSQL database as plain, comparable data: every user object by kind
// and qualified name with its properties as text, and every table's content as a row count and an
// order-independent hash. Read through one `query` function, so it works on postgres.js (a server,
// or PGlite behind its socket) and on PGlite in process alike. Two databases built by the same
// files give equal snapshots; diff.ts words the difference between two that are not.

import {
  CATALOG_FINGERPRINT_SQL,
  catalogSql,
  contentFingerprintSql,
  contentSql,
  SNAPSHOT_SETTINGS_SQL,
} from "./snapshot_sql.ts";

/** Runs one SQL statement on the database's one session and returns its rows. */
export type Query = (sql: string) => Promise<readonly Record<string, unknown>[]>;

/** What kind of object a snapshot entry is; `rows` is a table's content. */
export type ObjectKind =
  | "schema"
  | "extension"
  | "table"
  | "view"
  | "materialized view"
  | "foreign table"
  | "sequence"
  | "column"
  | "constraint"
  | "index"
  | "trigger"
  | "rule"
  | "policy"
  | "function"
  | "procedure"
  | "aggregate"
  | "type"
  | "enum"
  | "domain"
  | "range"
  | "base type"
  | "statistics"
  | "event trigger"
  | "rows";

/** One object: its kind, its qualified name (identifiers quoted where needed) and its properties. */
export interface SnapshotObject {
  kind: ObjectKind;
  name: string;
  /** Property → value; a property at its default (no comment, nullable, ...) is absent. */
  props: Readonly<Record<string, string>>;
}

/** A database's objects by key (`<kind> <name>`), sorted by key. */
export interface Snapshot {
  objects: Readonly<Record<string, SnapshotObject>>;
}

/** What a snapshot leaves out and reads. */
export interface SnapshotOptions {
  /** Tables (in any schema) left out with their columns, indexes and sequences. */
  exclude?: readonly string[];
  /** Read every table's row count and hash (default true). */
  content?: boolean;
}

/** The tracking table, which every snapshot leaves out: the run writes it, not the files. */
export const TRACKING_TABLES: readonly string[] = ["_schema_migrations"];

const KINDS = new Set<string>([
  "schema",
  "extension",
  "table",
  "view",
  "materialized view",
  "foreign table",
  "sequence",
  "column",
  "constraint",
  "index",
  "trigger",
  "rule",
  "policy",
  "function",
  "procedure",
  "aggregate",
  "type",
  "enum",
  "domain",
  "range",
  "base type",
  "statistics",
  "event trigger",
  "rows",
]);

/** The key of an object in a snapshot. */
export function objectKey(kind: ObjectKind, name: string): string {
  return `${kind} ${name}`;
}

/** A snapshot of some objects, keyed and sorted (a later object of the same key wins). */
export function snapshotOf(objects: Iterable<SnapshotObject>): Snapshot {
  const all = [...objects].map((o) => [objectKey(o.kind, o.name), o] as const);
  all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { objects: Object.fromEntries(all) };
}

/** Maps the catalog query's JSON (catalogSql()) to objects; throws on a shape it does not know. */
export function parseCatalog(json: string): SnapshotObject[] {
  const rows = JSON.parse(json) as unknown;
  if (!Array.isArray(rows)) throw new Error("the catalog snapshot is not a JSON array");
  return rows.map((row) => {
    const { k, n, p } = row as { k?: unknown; n?: unknown; p?: unknown };
    if (typeof k !== "string" || !KINDS.has(k) || typeof n !== "string") {
      throw new Error(`unexpected catalog snapshot row ${JSON.stringify(row)}`);
    }
    const props: Record<string, string> = {};
    for (const [key, value] of Object.entries((p ?? {}) as Record<string, unknown>)) {
      if (value === null || value === undefined || value === "") continue;
      props[key] = String(value);
    }
    return { kind: k as ObjectKind, name: n, props };
  });
}

/** Maps the content query's rows (contentSql()) to `rows` objects. */
export function contentObjects(rows: readonly Record<string, unknown>[]): SnapshotObject[] {
  return rows.map((r) => ({
    kind: "rows",
    name: String(r.t),
    props: { rows: String(r.n), hash: String(r.h) },
  }));
}

/** The tables whose rows a snapshot reads: ordinary tables and partitions, not foreign tables. */
export function contentTables(objects: Iterable<SnapshotObject>): string[] {
  const out: string[] = [];
  for (const o of objects) {
    if (o.kind === "table" && o.props["partitioned by"] === undefined) out.push(o.name);
  }
  return out;
}

/** Runs fn in a read-only transaction under the snapshot's settings, and always ends it. */
async function reading<T>(query: Query, fn: () => Promise<T>): Promise<T> {
  await query("begin transaction isolation level repeatable read read only");
  try {
    await query(SNAPSHOT_SETTINGS_SQL);
    const out = await fn();
    await query("commit");
    return out;
  } catch (err) {
    await query("rollback").catch(() => {});
    throw err;
  }
}

/** Reads the snapshot of the database behind `query` (between files: no transaction may be open). */
export async function takeSnapshot(query: Query, opts: SnapshotOptions = {}): Promise<Snapshot> {
  return await reading(query, async () => {
    const [row] = await query(catalogSql(opts.exclude ?? TRACKING_TABLES));
    const objects = parseCatalog(String(row?.snapshot ?? "[]"));
    if (opts.content === false) return snapshotOf(objects);
    const content = contentObjects(await query(contentSql(contentTables(objects))));
    return snapshotOf([...objects, ...content]);
  });
}

// SQLSTATEs of a table or schema that no longer exists.
const GONE = new Set(["42P01", "3F000"]);

/**
 * A cheap value that changes whenever the snapshot may have changed: the catalogs' row versions,
 * and the row versions of `tables` (the content tables of the last snapshot). Null when one of the
 * tables is gone, which the catalog part alone already tells.
 */
export async function takeFingerprint(
  query: Query,
  tables: readonly string[],
): Promise<string | null> {
  const [catalog] = await query(CATALOG_FINGERPRINT_SQL);
  try {
    const [content] = await query(contentFingerprintSql(tables));
    return `${catalog?.fingerprint}/${content?.fingerprint}`;
  } catch (err) {
    if (GONE.has(String((err as { code?: unknown }).code))) return null;
    throw err;
  }
}

/**
 * The server's next transaction ID: it moves only when some transaction wrote something (a
 * catalog row, a table row, a row lock), and no read moves it. Of use as the first fingerprint
 * where nothing else writes: a scratch PGlite, with a second pass that writes no tracking rows
 * (each would move it); there it is ten times cheaper than takeFingerprint() with a few hundred
 * tables. On a shared server every session's writes move it: still sound, never of use.
 */
export async function takeWriteMark(query: Query): Promise<string> {
  const [row] = await query("select txid_snapshot_xmax(txid_current_snapshot())::text as mark");
  return String(row?.mark);
}
