// The extensions the PGlite package ships, each loaded only when a run needs it: PGlite can only
// create (and run) an extension whose bundle was given at start, and giving all of them costs about
// 0.2 s of a 1.3 s start (measured on 2 cores, PGlite 0.5.16). Kept apart from embedded.ts so the
// PostgreSQL driver can name them in a hint without loading PGlite.

import type { Extension } from "@electric-sql/pglite";

// Each extension's module in @electric-sql/pglite/contrib/ (several share the spi bundle). Its
// export has the module's name.
const MODULES: Record<string, string> = {
  amcheck: "amcheck",
  autoinc: "moddatetime",
  bloom: "bloom",
  btree_gin: "btree_gin",
  btree_gist: "btree_gist",
  citext: "citext",
  cube: "cube",
  dict_int: "dict_int",
  dict_xsyn: "dict_xsyn",
  earthdistance: "earthdistance",
  file_fdw: "file_fdw",
  fuzzystrmatch: "fuzzystrmatch",
  hstore: "hstore",
  insert_username: "moddatetime",
  intarray: "intarray",
  isn: "isn",
  lo: "lo",
  ltree: "ltree",
  moddatetime: "moddatetime",
  pageinspect: "pageinspect",
  pg_buffercache: "pg_buffercache",
  pg_freespacemap: "pg_freespacemap",
  pg_stat_statements: "pg_stat_statements",
  pg_surgery: "pg_surgery",
  pg_trgm: "pg_trgm",
  pg_visibility: "pg_visibility",
  pg_walinspect: "pg_walinspect",
  pgcrypto: "pgcrypto",
  refint: "moddatetime",
  seg: "seg",
  tablefunc: "tablefunc",
  tcn: "tcn",
  tsm_system_rows: "tsm_system_rows",
  tsm_system_time: "tsm_system_time",
  unaccent: "unaccent",
  "uuid-ossp": "uuid_ossp",
};

/** The names of the extensions the embedded PostgreSQL offers (plpgsql is always there). */
export const EMBEDDED_EXTENSIONS: readonly string[] = Object.keys(MODULES);

/** Whether PGlite ships an extension of this name. */
export function isEmbeddedExtension(name: string): boolean {
  return Object.hasOwn(MODULES, name);
}

// CREATE EXTENSION ... CASCADE also creates what an extension requires.
const REQUIRES: Record<string, string[]> = { earthdistance: ["cube"] };

// `CREATE EXTENSION [IF NOT EXISTS] name` with the name bare or double-quoted.
const CREATE_EXTENSION = /\bcreate\s+extension\s+(?:if\s+not\s+exists\s+)?(?:"([^"]+)"|([\w-]+))/gi;

/** The shipped extensions that CREATE EXTENSION statements in these texts name, with what they require. */
export function extensionsNamedIn(texts: Iterable<string>): Set<string> {
  const names = new Set<string>();
  const add = (name: string) => {
    if (!isEmbeddedExtension(name) || names.has(name)) return;
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
    const module = MODULES[name];
    if (module === undefined) continue;
    // A specifier built at run time: a literal one would put all 33 modules in the module graph
    // that Deno loads at every start, --embedded or not (about 25 ms of CPU).
    const specifier = `@electric-sql/pglite/contrib/${module}`;
    const ext = (await import(specifier))[module] as Extension;
    out[ext.name] = ext;
  }
  return out;
}
