// Shared test helpers: real PostgreSQL and ClickHouse databases made per test, and the CLI run as a
// child process the way a user runs it. The servers come from tests/services.sh (via tests/run.sh).
import postgres from "postgres";
import { dirname, isAbsolute, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { redactUrl } from "../src/core/redact.ts";

/** Absolute path of the repository root. */
export const ROOT: string = dirname(dirname(fileURLToPath(import.meta.url)));

const HOW_TO_START = "Run the tests with `deno task test` (tests/run.sh starts PostgreSQL and " +
  "ClickHouse and exports PG_TEST_URL and CLICKHOUSE_TEST_URL), or run " +
  '`eval "$(bash tests/services.sh start)"` first. PostgreSQL alone: ' +
  "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";

/** A name no other test (or concurrent run) uses: dbm_t_ and 12 hex digits. */
export function uniqueName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return "dbm_t_" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Admin URL for creating per-test databases; fails with a message on how to start PostgreSQL when unset/unreachable. */
export function pgAdminUrl(): string {
  const url = Deno.env.get("PG_TEST_URL");
  if (!url) throw new Error(`PG_TEST_URL is not set. ${HOW_TO_START}`);
  return url;
}

/** Opens a one-connection client that keeps server notices out of the test output. */
function pgClient(url: string) {
  return postgres(url, { max: 1, connect_timeout: 10, onnotice: () => {} });
}

/** Creates a fresh PostgreSQL database, runs fn with its URL, and drops it (WITH (FORCE)) afterwards. */
export async function withPgDatabase<T>(
  fn: (url: string, name: string) => Promise<T>,
): Promise<T> {
  const admin = pgAdminUrl();
  const name = uniqueName();
  const sql = pgClient(admin);
  try {
    try {
      await sql.unsafe(`CREATE DATABASE "${name}"`);
    } catch (e) {
      throw new Error(
        `cannot create a test database through ${redactUrl(admin)}: ${
          (e as Error).message
        }. ${HOW_TO_START}`,
        { cause: e },
      );
    }
    try {
      const url = new URL(admin);
      url.pathname = "/" + name;
      return await fn(url.toString(), name);
    } finally {
      // FORCE: a connection the code under test leaked must not leave the database behind.
      await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Runs one SQL query (with optional params) on url and returns the rows. */
export async function pgQuery(
  url: string,
  query: string,
  params?: unknown[],
): Promise<Record<string, unknown>[]> {
  const sql = pgClient(url);
  try {
    // deno-lint-ignore no-explicit-any
    const rows = await sql.unsafe(query, (params ?? []) as any[]);
    return rows.map((row) => ({ ...row }));
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Base ClickHouse URL (http://user[:pass]@host:port/db) from CLICKHOUSE_TEST_URL; fails with a how-to when unset. */
export function clickhouseUrl(): string {
  const url = Deno.env.get("CLICKHOUSE_TEST_URL");
  if (!url) throw new Error(`CLICKHOUSE_TEST_URL is not set. ${HOW_TO_START}`);
  return url;
}

/** Creates a fresh ClickHouse database, runs fn with http://user@host:port/<db>, and drops it afterwards. */
export async function withClickHouseDatabase<T>(
  fn: (url: string, name: string) => Promise<T>,
): Promise<T> {
  const base = clickhouseUrl();
  const name = uniqueName();
  const admin = new URL(base);
  admin.pathname = "/";
  try {
    await chQuery(admin.toString(), `CREATE DATABASE ${name}`);
  } catch (e) {
    throw new Error(
      `cannot create a test database on ${redactUrl(base)}: ${
        (e as Error).message
      }. ${HOW_TO_START}`,
      { cause: e },
    );
  }
  try {
    const url = new URL(base);
    url.pathname = "/" + name;
    return await fn(url.toString(), name);
  } finally {
    // ClickHouse 18.16 knows neither SYNC nor Atomic databases: a plain DROP is immediate.
    await chQuery(admin.toString(), `DROP DATABASE IF EXISTS ${name}`);
  }
}

/**
 * Runs one ClickHouse query over HTTP with fetch and returns the text body (throws with the
 * server's message on non-200). `settings` go into the request's URL, as ClickHouse settings.
 */
export async function chQuery(
  url: string,
  query: string,
  settings: Record<string, string> = {},
): Promise<string> {
  // fetch refuses URLs with credentials, and ClickHouse ignores the path: both move elsewhere.
  const u = new URL(url);
  const user = decodeURIComponent(u.username) || "default";
  const password = decodeURIComponent(u.password);
  const database = decodeURIComponent(u.pathname.replace(/^\/+/, ""));
  const endpoint = new URL("/", u.origin);
  if (database) endpoint.searchParams.set("database", database);
  for (const [k, v] of Object.entries(settings)) endpoint.searchParams.set(k, v);
  const res = await fetch(endpoint, {
    method: "POST",
    headers: { Authorization: "Basic " + btoa(`${user}:${password}`) },
    body: query,
  });
  const body = await res.text();
  if (res.status !== 200) {
    throw new Error(`ClickHouse ${res.status} for ${JSON.stringify(query)}: ${body.trim()}`);
  }
  return body;
}

/** Runs a ClickHouse query and returns its rows (sent with FORMAT JSONEachRow). */
export async function chRows<T = Record<string, unknown>>(
  url: string,
  query: string,
): Promise<T[]> {
  const body = await chQuery(url, `${query} FORMAT JSONEachRow`);
  return body.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as T);
}

/** The last non-empty line of some output (the summary line of a text-mode run). */
export function lastLine(text: string): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return lines[lines.length - 1] ?? "";
}

/** Exit code and captured output of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Builds the CLI command: repo's deno.json, so imports and node_modules resolve from any cwd. */
function cliCommand(
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; signal?: AbortSignal },
): Deno.Command {
  // Only these are inherited, so a developer's own *_URL variables cannot leak into a test.
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const key of ["PATH", "HOME", "DENO_DIR"]) {
    const value = Deno.env.get(key);
    if (value !== undefined) env[key] = value;
  }
  Object.assign(env, opts.env);
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", join(ROOT, "deno.json"), join(ROOT, "src/main.ts"), ...args],
    cwd: opts.cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: opts.signal,
  });
}

/** Runs `deno run -A src/main.ts ...args` in cwd with only the env given (plus PATH, HOME, DENO_DIR, NO_COLOR=1). */
export async function runCli(
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; signal?: AbortSignal },
): Promise<CliResult> {
  const out = await cliCommand(args, opts).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** Starts the CLI as a child process without waiting (stdout/stderr piped: read or cancel them). */
export function spawnCli(
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
): Deno.ChildProcess {
  return cliCommand(args, opts).spawn();
}

/**
 * The files of a project that checks one seed: a migration with the schema (`migrations/<db>/V1__
 * <name>.sql`) and the seed at its path (`seeds/<db>/<mode>/NNN_x.<ext>`), plus any other files.
 */
export function seedProject(
  migration: string,
  schema: string,
  seed: string,
  text: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { [migration]: schema, [seed]: text, ...extra };
}

/** Runs the CLI in a project dir with one database's URL in the variable its kind reads. */
export function runOn(
  url: string,
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const variable = url.startsWith("postgres") ? "POSTGRES_URL" : "CLICKHOUSE_URL";
  return runCli(args, { cwd: dir, env: { [variable]: url, ...env } });
}

/** Makes a temp project dir from a map of relative path (migrations/<db>/..., seeds/<db>/...) → content. */
export async function makeProject(
  files: Record<string, string>,
): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "dbm_project_" });
  try {
    for (const [path, content] of Object.entries(files)) {
      const rel = normalize(path);
      if (isAbsolute(rel) || rel === ".." || rel.startsWith("../")) {
        throw new Error(`makeProject: ${path} is not inside the project`);
      }
      const target = join(dir, rel);
      await Deno.mkdir(dirname(target), { recursive: true });
      await Deno.writeTextFile(target, content);
    }
  } catch (e) {
    await Deno.remove(dir, { recursive: true });
    throw e;
  }
  return {
    dir,
    async cleanup() {
      await Deno.remove(dir, { recursive: true }).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    },
  };
}
