// Which databases a run covers, what kind each is and where its URL comes from, settled once and
// validated before any database is touched.

import { ConfigError } from "./core/errors.ts";
import { listDatabaseFolders, noDatabaseError } from "./core/discover.ts";
import { redactUrl, registerUrlSecrets } from "./core/redact.ts";
import { lineColumn } from "./sql/position.ts";
import type { DatabaseConfig, DbKind } from "./core/types.ts";
import { parseTenantsEntry, resolveTenants, type TenantsEntry } from "./tenants/config.ts";

/** Options that decide the databases of a run. */
export interface ConfigInput {
  migrationsDir: string;
  seedsDir: string;
  configFile: string | null;
  /** True when the config file was named on the command line (then it must exist). */
  configFileExplicit: boolean;
  only: string[];
  embedded: boolean;
  env: (name: string) => string | undefined;
  readTextFile: (path: string) => Promise<string>;
  /** Says what the config file leaves out (a folder it does not list). */
  notice?: (text: string) => void;
  /**
   * Where validate collects the problems of each database's URL: given, a database whose URL is
   * bad is kept without one and the problem added here; not given, the first problem is thrown.
   */
  problems?: ConfigError[];
  /** A database whose folder the command creates (import): it counts as a folder already. */
  creating?: string;
}

/** `aiml-postgres` → `AIML_POSTGRES_URL`. */
export function urlVariable(database: string): string {
  return `${database.toUpperCase().replace(/[-.]/g, "_")}_URL`;
}

/** The kind a URL names, or null for a scheme we do not know. */
export function kindOfUrl(url: string): DbKind | null {
  const scheme = url.slice(0, url.indexOf(":")).toLowerCase();
  if (scheme === "postgres" || scheme === "postgresql") return "postgres";
  if (scheme === "http" || scheme === "https" || scheme === "clickhouse") return "clickhouse";
  return null;
}

/** The kind of a database without a URL, guessed from its folder name. */
export function kindOfName(database: string): DbKind {
  return database.toLowerCase().includes("clickhouse") ? "clickhouse" : "postgres";
}

interface FileEntry {
  name: string;
  kind?: DbKind;
  url?: string;
  /** A ClickHouse cluster's keys (`cluster`, `cluster_path`, ...), as written. */
  cluster?: Record<string, string>;
  /** A tenant group: `tenants: {from, query, url, schema?, id?}`. */
  tenants?: TenantsEntry;
  /** Where the entry is in the file, for messages. */
  line?: number;
}

/** Parses db-migrate.yaml: `databases:` as a list (run order) or a map of name → {kind, url}. */
export async function parseConfigFile(text: string, file: string): Promise<FileEntry[]> {
  const { parseDocument } = await import("yaml");
  const doc = parseDocument(text, { prettyErrors: false });
  const where = (pos: number | undefined): { line?: number; column?: number } =>
    pos === undefined ? {} : lineColumn(text, pos);
  const first = doc.errors[0];
  if (first) {
    const p = where(first.pos[0]);
    throw new ConfigError(
      "CONFIG",
      `invalid YAML in "${file}" at line ${p.line}, column ${p.column}: ${first.message}`,
      { position: { file, ...p } },
    );
  }
  const root = doc.toJS() as unknown;
  const fail = (msg: string): never => {
    throw new ConfigError("CONFIG", `"${file}": ${msg}`, { position: { file } });
  };
  if (root === null || root === undefined) return [];
  if (typeof root !== "object" || Array.isArray(root)) fail("expected a mapping with `databases`");
  const dbs = (root as Record<string, unknown>).databases;
  if (dbs === undefined) return [];
  // The line of each entry (a list item, or a key of the mapping), for messages about it.
  const node = doc.get("databases", true) as
    | { items?: { range?: number[]; key?: { range?: number[] } }[] }
    | undefined;
  const lineOf = (i: number) => {
    const item = node?.items?.[i];
    return where(item?.range?.[0] ?? item?.key?.range?.[0]).line;
  };
  const raw: [string, unknown][] = Array.isArray(dbs)
    ? dbs.map((d, i) => {
      if (typeof d === "string") return [d, {}];
      if (!d || typeof d !== "object" || typeof (d as { name?: unknown }).name !== "string") {
        return fail(`databases[${i}] needs a name`);
      }
      return [(d as { name: string }).name, d];
    })
    : typeof dbs === "object" && dbs !== null
    ? Object.entries(dbs as Record<string, unknown>)
    : fail("`databases` must be a list or a mapping");
  const seen = new Set<string>();
  return raw.map(([name, v], i) => {
    const line = lineOf(i);
    if (seen.has(name)) {
      throw new ConfigError(
        "CONFIG",
        `"${file}"${line ? ` line ${line}` : ""}: database "${name}" is listed twice`,
        { position: { file, ...(line ? { line } : {}) } },
      );
    }
    seen.add(name);
    const entry: FileEntry = { name, ...(line ? { line } : {}) };
    const o = (v ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (CLUSTER_KEYS.includes(key)) {
        const value = o[key];
        if (typeof value !== "string" && typeof value !== "number") {
          fail(`database "${name}": ${key} must be a string`);
        }
        entry.cluster = { ...entry.cluster, [key]: String(value) };
      } else if (!["name", "kind", "url", "tenants"].includes(key)) {
        fail(`unknown key "${key}" for database "${name}"`);
      }
    }
    if (o.kind !== undefined) {
      if (o.kind !== "postgres" && o.kind !== "clickhouse") {
        fail(`database "${name}": kind must be postgres or clickhouse, not "${String(o.kind)}"`);
      }
      entry.kind = o.kind as DbKind;
    }
    if (o.url !== undefined) {
      if (typeof o.url !== "string") fail(`database "${name}": url must be a string`);
      entry.url = o.url as string;
    }
    if (o.tenants !== undefined) entry.tenants = parseTenantsEntry(o, name, fail);
    return entry;
  });
}

// A ClickHouse database's cluster (README: ClickHouse clusters); checked by the driver, which
// merges them with the URL's parameters of the same names.
const CLUSTER_KEYS = ["cluster", "cluster_path", "cluster_replica", "cluster_timeout"];

/** Replaces `${VAR}` in a configured URL with the environment's value. */
function interpolate(url: string, env: ConfigInput["env"], name: string, file: string): string {
  return url.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, v: string) => {
    const value = env(v);
    if (value === undefined) {
      throw new ConfigError(
        "MISSING_URL",
        `the url of database "${name}" in "${file}" uses \${${v}}, which is not set`,
        { database: name, hint: `set ${v}` },
      );
    }
    return value;
  });
}

async function urlFromEnv(
  name: string,
  input: ConfigInput,
): Promise<{ url: string; source: string } | null> {
  const candidates = [urlVariable(name)];
  if (name === "postgres") candidates.push("DATABASE_URL");
  for (const variable of candidates) {
    const direct = input.env(variable);
    if (direct !== undefined && direct.trim() !== "") {
      return { url: direct.trim(), source: variable };
    }
    const filePath = input.env(`${variable}_FILE`);
    if (filePath !== undefined && filePath !== "") {
      let text: string;
      try {
        text = await input.readTextFile(filePath);
      } catch (err) {
        throw new ConfigError(
          "MISSING_URL",
          `cannot read ${variable}_FILE "${filePath}" for database "${name}": ${
            (err as Error).message
          }`,
          { database: name, hint: "mount the secret at that path or fix the variable" },
        );
      }
      const url = text.trim();
      if (url === "") {
        throw new ConfigError(
          "MISSING_URL",
          `${variable}_FILE "${filePath}" for database "${name}" is empty`,
          { database: name },
        );
      }
      return { url, source: `${variable}_FILE` };
    }
  }
  return null;
}

/** Resolves the databases of a run: folders, config file, URLs and kinds, in run order. */
export async function resolveDatabases(input: ConfigInput): Promise<DatabaseConfig[]> {
  const folders = listDatabaseFolders(input.migrationsDir);
  if (input.creating !== undefined && !folders.includes(input.creating)) {
    folders.push(input.creating);
    folders.sort();
  }
  let fileEntries: FileEntry[] = [];
  if (input.configFile) {
    let text: string | null = null;
    try {
      text = await input.readTextFile(input.configFile);
    } catch (err) {
      if (input.configFileExplicit || !(err instanceof Deno.errors.NotFound)) {
        throw new ConfigError(
          "CONFIG",
          `cannot read the config file "${input.configFile}": ${(err as Error).message}`,
        );
      }
    }
    if (text !== null) fileEntries = await parseConfigFile(text, input.configFile);
  }
  const configured = new Map(fileEntries.map((e) => [e.name, e]));
  // A config file that lists databases names the set a run covers, as a Compose file names its
  // services: a folder it leaves out is not run (and needs no URL), with a notice so that a new
  // folder someone forgot to list does not go unnoticed.
  const listed = fileEntries.length > 0;
  const names = listed ? fileEntries.map((e) => e.name) : folders;
  // A mistyped --migrations path must not pass as a run with nothing to do.
  if (names.length === 0) throw noDatabaseError(input.migrationsDir);
  if (listed) {
    const file = input.configFile!;
    for (const e of fileEntries) {
      if (folders.includes(e.name) || isDirectory(`${input.seedsDir}/${e.name}`)) continue;
      throw new ConfigError(
        "CONFIG",
        `database "${e.name}", listed in "${file}"${
          e.line ? ` at line ${e.line}` : ""
        }, has no folder "${input.migrationsDir}/${e.name}" (nor "${input.seedsDir}/${e.name}")`,
        {
          database: e.name,
          position: { file, ...(e.line ? { line: e.line } : {}) },
          hint: `create the folder, or fix the name (folders: ${folders.join(", ") || "none"})`,
        },
      );
    }
    const unlisted = folders.filter((f) => !configured.has(f));
    if (unlisted.length > 0 && input.only.length === 0) {
      input.notice?.(
        `note: ${unlisted.map((f) => `"${input.migrationsDir}/${f}"`).join(", ")} ${
          unlisted.length === 1 ? "is" : "are"
        } not listed in "${file}": not run`,
      );
    }
  }

  for (const name of input.only) {
    if (names.includes(name)) continue;
    if (listed && folders.includes(name)) {
      throw new ConfigError(
        "UNKNOWN_DATABASE",
        `--database=${name} names a folder that "${input.configFile}" does not list`,
        {
          database: name,
          hint: `add "${name}" to the databases in "${input.configFile}" (listed: ${
            names.join(", ")
          })`,
        },
      );
    }
    throw new ConfigError(
      "UNKNOWN_DATABASE",
      `--database=${name} names no database: there is no folder "${input.migrationsDir}/${name}"${
        listed ? ` and no entry in "${input.configFile}"` : ""
      }`,
      { database: name, hint: `known databases: ${names.join(", ") || "none"}` },
    );
  }
  const selected = input.only.length ? names.filter((n) => input.only.includes(n)) : names;

  // One database's config; a tenant group's control database is resolved even when left out.
  const resolveAny = (name: string): Promise<DatabaseConfig> => {
    const entry = configured.get(name);
    if (!entry?.tenants) return resolveOne(name, entry, listed, input);
    const isPlain = (from: string) => configured.has(from) && !configured.get(from)!.tenants;
    return resolveTenants(name, entry.tenants, {
      file: input.configFile!,
      env: input.env,
      control: async (from) =>
        isPlain(from) ? await resolveOne(from, configured.get(from), listed, input) : null,
      base: {
        migrationsDir: `${input.migrationsDir}/${name}`,
        seedsDir: `${input.seedsDir}/${name}`,
        listedIn: input.configFile!,
        urlVariable: urlVariable(name),
      },
      kindOfUrl,
      kind: entry.kind,
    });
  };
  const out: DatabaseConfig[] = [];
  for (const name of selected) {
    const entry = configured.get(name);
    try {
      out.push(await resolveAny(name));
    } catch (err) {
      if (!input.problems || !(err instanceof ConfigError)) throw err;
      input.problems.push(err);
      out.push({
        name,
        kind: entry?.kind ?? kindOfName(name),
        ...(listed ? { listedIn: input.configFile! } : {}),
        url: null,
        urlSource: null,
        urlVariable: urlVariable(name),
        migrationsDir: `${input.migrationsDir}/${name}`,
        seedsDir: `${input.seedsDir}/${name}`,
      });
    }
  }
  // Without a config file's order, PostgreSQL first: a ClickHouse dictionary may read a PostgreSQL table.
  if (fileEntries.length === 0) {
    out.sort((a, b) =>
      a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === "postgres" ? -1 : 1
    );
  }
  return out;
}

/** One database of a run: its URL, where it comes from, and its kind. */
async function resolveOne(
  name: string,
  entry: FileEntry | undefined,
  listed: boolean,
  input: ConfigInput,
): Promise<DatabaseConfig> {
  let url: string | null = null;
  let source: string | null = null;
  const fromEnv = await urlFromEnv(name, input);
  if (fromEnv) {
    url = fromEnv.url;
    source = fromEnv.source;
  } else if (entry?.url !== undefined && input.configFile) {
    url = interpolate(entry.url, input.env, name, input.configFile);
    source = input.configFile;
  }
  let kind: DbKind;
  if (url !== null) {
    // Before anything parses it: a URL that fails to parse must not print its password either.
    registerUrlSecrets(url);
    const k = kindOfUrl(url);
    if (!k) {
      throw new ConfigError(
        "BAD_URL",
        `the URL of database "${name}" (from ${source}) ${
          /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? "has an unknown scheme" : "has no scheme"
        }: ${redactUrl(url)}`,
        {
          database: name,
          hint: "use postgres://, postgresql://, http://, https:// or clickhouse://",
        },
      );
    }
    if (entry?.kind && entry.kind !== k) {
      throw new ConfigError(
        "BAD_URL",
        `database "${name}" is configured as ${entry.kind} but its URL (from ${source}) is ${k}`,
        { database: name },
      );
    }
    try {
      new URL(url);
    } catch {
      throw new ConfigError(
        "BAD_URL",
        `the URL of database "${name}" (from ${source}) is not a valid URL`,
        {
          database: name,
        },
      );
    }
    kind = k;
  } else {
    kind = entry?.kind ?? kindOfName(name);
  }
  if (entry?.cluster && kind !== "clickhouse") {
    throw new ConfigError(
      "CONFIG",
      `"${input.configFile}"${entry.line ? ` line ${entry.line}` : ""}: database "${name}" ` +
        `is ${kind}: ${Object.keys(entry.cluster).join(", ")} ${
          Object.keys(entry.cluster).length === 1 ? "is" : "are"
        } for ClickHouse clusters only`,
      {
        database: name,
        position: { file: input.configFile!, ...(entry.line ? { line: entry.line } : {}) },
      },
    );
  }
  return {
    name,
    kind,
    ...(listed ? { listedIn: input.configFile! } : {}),
    url,
    urlSource: source,
    urlVariable: urlVariable(name),
    migrationsDir: `${input.migrationsDir}/${name}`,
    seedsDir: `${input.seedsDir}/${name}`,
    ...(entry?.cluster
      ? {
        cluster: {
          settings: entry.cluster,
          where: `"${input.configFile}"${entry.line ? ` line ${entry.line}` : ""}`,
        },
      }
      : {}),
  };
}

/** Fails with exit 2 for every database that has no URL, unless embedded mode can stand in. */
export function checkUrls(dbs: DatabaseConfig[], embedded: boolean): void {
  // A tenant group has no URL of its own; its control database must have one.
  const missing = dbs.flatMap((d) => d.tenants ? [d.tenants.control] : [d])
    .filter((d, i, all) =>
      d.url === null && !embedded && all.findIndex((x) => x.name === d.name) === i
    );
  if (missing.length === 0) return;
  const lines = missing.map((d) =>
    `database "${d.name}" has no URL: set ${d.urlVariable}${
      d.name === "postgres" ? " (or DATABASE_URL)" : ""
    } or ${d.urlVariable}_FILE`
  );
  throw new ConfigError("MISSING_URL", lines.join("\n"), {
    database: missing[0]!.name,
    hint: missingUrlHint(dbs, missing),
  });
}

/** How to run without the databases that have no URL: leave them out, or (PostgreSQL) embed them. */
function missingUrlHint(dbs: DatabaseConfig[], missing: DatabaseConfig[]): string {
  const them = missing.length === 1 ? "it" : "them";
  const ways: string[] = [];
  // Leaving out every database would leave nothing to run: then only the URLs or --embedded help.
  const withUrl = dbs.filter((d) => d.url !== null);
  if (withUrl.length > 0) {
    const flags = withUrl.map((d) => `--database=${d.name}`).join(" ");
    const listedIn = dbs.find((d) => d.listedIn)?.listedIn;
    ways.push(
      `to leave ${them} out, name the databases that have a URL (${flags}), or ${
        listedIn
          ? `remove ${them} from the databases listed in "${listedIn}"`
          : "list the databases to run under `databases:` in db-migrate.yaml"
      }`,
    );
  }
  if (missing.some((d) => d.kind === "postgres")) {
    ways.push(
      "for a try-out, --embedded runs a PostgreSQL database without a URL on an embedded " +
        "PostgreSQL (PGlite)" +
        (missing.some((d) => d.kind === "clickhouse") ? " and skips a ClickHouse one" : ""),
    );
  } else {
    ways.push(
      "--embedded stands in for PostgreSQL only: with it, a ClickHouse database without a URL " +
        "is skipped with a notice",
    );
  }
  return ways.join("; ");
}

/** Whether path is a directory (following a symlink); false when it is missing. */
function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
