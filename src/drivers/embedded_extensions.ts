// The extensions the PGlite package ships, each loaded only when a run needs it: PGlite can only
// create (and run) an extension whose bundle was given at start, and giving all of them costs about
// 0.2 s of a 1.3 s start (measured on 2 cores, PGlite 0.5.16). Kept apart from embedded.ts so the
// PostgreSQL driver can name them in a hint without loading PGlite.

import type { Extension } from "@electric-sql/pglite";

/** Loaders of the PGlite package's extensions, by the name CREATE EXTENSION takes. */
export const EMBEDDED_EXTENSION_LOADERS: Record<string, () => Promise<Extension>> = {
  amcheck: async () => (await import("@electric-sql/pglite/contrib/amcheck")).amcheck,
  autoinc: async () => (await import("@electric-sql/pglite/contrib/moddatetime")).moddatetime,
  bloom: async () => (await import("@electric-sql/pglite/contrib/bloom")).bloom,
  btree_gin: async () => (await import("@electric-sql/pglite/contrib/btree_gin")).btree_gin,
  btree_gist: async () => (await import("@electric-sql/pglite/contrib/btree_gist")).btree_gist,
  citext: async () => (await import("@electric-sql/pglite/contrib/citext")).citext,
  cube: async () => (await import("@electric-sql/pglite/contrib/cube")).cube,
  dict_int: async () => (await import("@electric-sql/pglite/contrib/dict_int")).dict_int,
  dict_xsyn: async () => (await import("@electric-sql/pglite/contrib/dict_xsyn")).dict_xsyn,
  earthdistance: async () =>
    (await import("@electric-sql/pglite/contrib/earthdistance")).earthdistance,
  file_fdw: async () => (await import("@electric-sql/pglite/contrib/file_fdw")).file_fdw,
  fuzzystrmatch: async () =>
    (await import("@electric-sql/pglite/contrib/fuzzystrmatch")).fuzzystrmatch,
  hstore: async () => (await import("@electric-sql/pglite/contrib/hstore")).hstore,
  insert_username: async () =>
    (await import("@electric-sql/pglite/contrib/moddatetime")).moddatetime,
  intarray: async () => (await import("@electric-sql/pglite/contrib/intarray")).intarray,
  isn: async () => (await import("@electric-sql/pglite/contrib/isn")).isn,
  lo: async () => (await import("@electric-sql/pglite/contrib/lo")).lo,
  ltree: async () => (await import("@electric-sql/pglite/contrib/ltree")).ltree,
  moddatetime: async () => (await import("@electric-sql/pglite/contrib/moddatetime")).moddatetime,
  pageinspect: async () => (await import("@electric-sql/pglite/contrib/pageinspect")).pageinspect,
  pg_buffercache: async () =>
    (await import("@electric-sql/pglite/contrib/pg_buffercache")).pg_buffercache,
  pg_freespacemap: async () =>
    (await import("@electric-sql/pglite/contrib/pg_freespacemap")).pg_freespacemap,
  pg_stat_statements: async () =>
    (await import("@electric-sql/pglite/contrib/pg_stat_statements")).pg_stat_statements,
  pg_surgery: async () => (await import("@electric-sql/pglite/contrib/pg_surgery")).pg_surgery,
  pg_trgm: async () => (await import("@electric-sql/pglite/contrib/pg_trgm")).pg_trgm,
  pg_visibility: async () =>
    (await import("@electric-sql/pglite/contrib/pg_visibility")).pg_visibility,
  pg_walinspect: async () =>
    (await import("@electric-sql/pglite/contrib/pg_walinspect")).pg_walinspect,
  pgcrypto: async () => (await import("@electric-sql/pglite/contrib/pgcrypto")).pgcrypto,
  refint: async () => (await import("@electric-sql/pglite/contrib/moddatetime")).moddatetime,
  seg: async () => (await import("@electric-sql/pglite/contrib/seg")).seg,
  tablefunc: async () => (await import("@electric-sql/pglite/contrib/tablefunc")).tablefunc,
  tcn: async () => (await import("@electric-sql/pglite/contrib/tcn")).tcn,
  tsm_system_rows: async () =>
    (await import("@electric-sql/pglite/contrib/tsm_system_rows")).tsm_system_rows,
  tsm_system_time: async () =>
    (await import("@electric-sql/pglite/contrib/tsm_system_time")).tsm_system_time,
  unaccent: async () => (await import("@electric-sql/pglite/contrib/unaccent")).unaccent,
  "uuid-ossp": async () => (await import("@electric-sql/pglite/contrib/uuid_ossp")).uuid_ossp,
};

/** The names of the extensions the embedded PostgreSQL offers (plpgsql is always there). */
export const EMBEDDED_EXTENSIONS: readonly string[] = Object.keys(EMBEDDED_EXTENSION_LOADERS);

// CREATE EXTENSION ... CASCADE also creates what an extension requires.
const REQUIRES: Record<string, string[]> = { earthdistance: ["cube"] };

// `CREATE EXTENSION [IF NOT EXISTS] name` with the name bare or double-quoted.
const CREATE_EXTENSION = /\bcreate\s+extension\s+(?:if\s+not\s+exists\s+)?(?:"([^"]+)"|([\w-]+))/gi;

/** The shipped extensions that CREATE EXTENSION statements in these texts name, with what they require. */
export function extensionsNamedIn(texts: Iterable<string>): Set<string> {
  const names = new Set<string>();
  const add = (name: string) => {
    if (!(name in EMBEDDED_EXTENSION_LOADERS) || names.has(name)) return;
    names.add(name);
    for (const r of REQUIRES[name] ?? []) add(r);
  };
  for (const text of texts) {
    // Cheap test first: most files create no extension.
    if (!/extension/i.test(text)) continue;
    for (const m of text.matchAll(CREATE_EXTENSION)) add(m[1] ?? m[2]!.toLowerCase());
  }
  return names;
}

/** The PGlite extension objects for some names, each bundle once (several names share one). */
export async function loadExtensions(names: Iterable<string>): Promise<Record<string, Extension>> {
  const out: Record<string, Extension> = {};
  for (const name of names) {
    const load = EMBEDDED_EXTENSION_LOADERS[name];
    if (!load) continue;
    const ext = await load();
    out[ext.name] = ext;
  }
  return out;
}
