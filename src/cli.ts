// The only module that knows how flags are parsed (node:util parseArgs, strict), so the parser can be
// swapped for @std/cli once JSR is reachable.

import { parseArgs } from "node:util";
import { UsageError } from "./core/errors.ts";
import type { RunMode } from "./core/result.ts";
import { LOG_FORMATS, type LogFormat } from "./report/output.ts";
import { type Resolution, SEED_MODES, type SeedMode } from "./core/types.ts";
import { parseShard, type Shard } from "./tenants/shard.ts";

/** The commands, the first of them the default. */
export const COMMANDS = ["migrate", "plan", "status"] as const;
/** One of COMMANDS. */
export type Command = typeof COMMANDS[number];

/** What each command's result calls itself (the JSON document's `mode`). */
const MODES: Record<Command, RunMode> = { migrate: "apply", plan: "dry-run", status: "status" };

/** What the user asked for, flags and environment merged. */
export interface Options {
  /** The command to run: `db-migrate migrate|plan|status`, or the flags `--dry-run`, `--status`. */
  command: Command;
  /** The command's mode, as its result says: apply (migrate), dry-run (plan) or status. */
  mode: RunMode;
  seed: SeedMode;
  databases: string[];
  json: boolean;
  /** How progress lines are written: human text, or one JSON object per event. */
  logFormat: LogFormat;
  waitSeconds: number;
  lockTimeoutSeconds: number;
  /** After SIGTERM/SIGINT, how long a statement that cannot be rolled back may still run. */
  gracePeriodSeconds: number;
  /** --resolve-unknown: the operator's decision per query_id of a statement of unknown outcome. */
  resolveUnknown: Map<string, Resolution>;
  repair: boolean;
  embedded: boolean;
  /** The largest SQL file to read, in MB (it is held in memory while it runs). */
  maxFileMb: number;
  /** The largest PostgreSQL statement to send, in MB (it is copied about 3 times on its way). */
  maxStatementMb: number;
  migrationsDir: string;
  seedsDir: string;
  configFile: string;
  configFileExplicit: boolean;
  help: boolean;
  version: boolean;
  /** Tenant groups: which tenants, how many at a time, retries, time limit, shard. */
  tenants: TenantFlags;
  /** A line per file of each tenant (status: a table per tenant), not only one per tenant. */
  verbose: boolean;
}

/** The flags of a run over tenant groups. */
export interface TenantFlags {
  /** --tenant=ID (repeatable): only these; all when empty. */
  only: string[];
  maxParallel: number;
  retries: number;
  timeoutSeconds: number;
  failFast: boolean;
  shard: Shard | null;
}

/** The usage text printed by --help and after a usage error. */
export const USAGE = `Usage: db-migrate [command] [options]

Commands:
  migrate                apply pending migrations of every database under ./migrations, then the
                         seeds of a mode (the default command)
  plan                   list what migrate would apply; change nothing (as --dry-run)
  status                 show every migration and seed with its state; change nothing (as --status)

Options:
  --seed=MODE            none | reference | sample | full (default reference, env SEED_MODE)
  --database=NAME        only this database; repeat for several
  --dry-run              list what a run would apply; change nothing (the plan command)
  --status               show every migration and seed with its state; change nothing (status)
  --json                 print one JSON document on stdout; human lines go to stderr
  --log-format=FORMAT    text (default) or json: one JSON object per event (env DB_MIGRATE_LOG_FORMAT)
  --wait=SECONDS         keep trying to connect this long (default 30, env DB_MIGRATE_WAIT)
  --lock-timeout=SECONDS wait this long for another run's lock (default 300, env DB_MIGRATE_LOCK_TIMEOUT)
  --grace-period=SECONDS after SIGTERM/SIGINT, let a statement that cannot be rolled back (ClickHouse,
                         no-transaction files) run this long before stopping (default 25,
                         env DB_MIGRATE_GRACE_PERIOD)
  --resolve-unknown=QUERY_ID=applied|rerun
                         a statement whose outcome could not be told (OUTCOME_UNKNOWN): count it as
                         applied, or run it again; QUERY_ID is the one the error names
  --repair               record the current checksums of changed files, forget missing ones, go on
  --embedded             run PostgreSQL databases without a URL on an embedded PostgreSQL (PGlite)
  --max-file-size=MB     refuse larger SQL files (default 64, env DB_MIGRATE_MAX_FILE_SIZE)
  --max-statement-size=MB  refuse larger PostgreSQL statements (default 16,
                         env DB_MIGRATE_MAX_STATEMENT_SIZE)
  --migrations=DIR       where the migration folders are (default ./migrations, env MIGRATIONS_DIR)
  --seeds=DIR            where the seed folders are (default ./seeds, env SEEDS_DIR)
  --config=FILE          config file (default ./db-migrate.yaml when present, env DB_MIGRATE_CONFIG)
  --verbose              over tenants: a line per file, and a status table per tenant

Tenant groups (a database with \`tenants:\` in db-migrate.yaml; its control database runs first):
  --tenant=ID            only this tenant; repeat for several
  --max-parallel=N       tenants at a time, and open connections to them (default 5,
                         env DB_MIGRATE_MAX_PARALLEL)
  --retries=N            retry a tenant whose connection failed or whose lock timed out, with
                         backoff (default 3, env DB_MIGRATE_RETRIES); a failed statement is not retried
  --timeout=SECONDS      stop a tenant that runs longer, as SIGTERM would; it counts as failed
                         (default 300, 0 for none, env DB_MIGRATE_TENANT_TIMEOUT)
  --fail-fast            start no further tenant after one failed
  --shard=I/N|auto       only the tenants whose id hashes to shard I of N (from 0); auto: I from
                         JOB_COMPLETION_INDEX, N from DB_MIGRATE_SHARDS (a Kubernetes Indexed Job)
  --help                 show this help
  --version              show the version

Each folder migrations/<name>/ is a database reached through <NAME>_URL or <NAME>_URL_FILE
(upper case, - and . become _); DATABASE_URL also serves a database named postgres.

Exit codes: 0 ok, 1 a migration or seed failed, 2 usage or configuration error, 3 drift,
4 database unreachable, lock not taken or connection lost, 130/143 stopped by SIGINT/SIGTERM.`;

function megabytes(flag: string, value: string, envName: string, fromEnv: boolean): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(
      `--${flag} takes a size in MB, not "${value}"${fromEnv ? ` (from ${envName})` : ""}`,
    );
  }
  return n;
}

function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`--${flag} takes a number of seconds, not "${value}"`);
  }
  return n;
}

/**
 * The command that the positional argument and the flags name together; an unknown command, a second
 * positional argument, or flags that name another command are usage errors.
 */
function commandOf(positionals: string[], dryRun: boolean, status: boolean): Command {
  const [word, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  if (word !== undefined && !(COMMANDS as readonly string[]).includes(word)) {
    throw new UsageError(`unknown command "${word}": the commands are ${COMMANDS.join(", ")}`);
  }
  if (dryRun && status) throw new UsageError("--dry-run and --status cannot be used together");
  const byFlag: Command | undefined = dryRun ? "plan" : status ? "status" : undefined;
  const command = word as Command | undefined;
  if (command === undefined) return byFlag ?? "migrate";
  // --dry-run asks any command that changes something to only say what it would do.
  if (command === "migrate" && byFlag === "plan") return "plan";
  if (byFlag !== undefined && byFlag !== command) {
    throw new UsageError(
      `${dryRun ? "--dry-run" : "--status"} cannot be used with the ${command} command`,
    );
  }
  return command;
}

/** Parses argv and the environment into Options; throws UsageError (exit 2) on bad input. */
export function parseOptions(args: string[], env: (name: string) => string | undefined): Options {
  let values, positionals;
  try {
    ({ values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        seed: { type: "string" },
        database: { type: "string", multiple: true },
        "dry-run": { type: "boolean" },
        status: { type: "boolean" },
        json: { type: "boolean" },
        "log-format": { type: "string" },
        wait: { type: "string" },
        "lock-timeout": { type: "string" },
        "grace-period": { type: "string" },
        "resolve-unknown": { type: "string", multiple: true },
        repair: { type: "boolean" },
        embedded: { type: "boolean" },
        "max-file-size": { type: "string" },
        "max-statement-size": { type: "string" },
        migrations: { type: "string" },
        seeds: { type: "string" },
        config: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
        verbose: { type: "boolean", short: "v" },
        tenant: { type: "string", multiple: true },
        "max-parallel": { type: "string" },
        retries: { type: "string" },
        timeout: { type: "string" },
        "fail-fast": { type: "boolean" },
        shard: { type: "string" },
      },
    }));
  } catch (err) {
    // node's messages name the flag already; drop its error-code prefix and trailing advice
    const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    throw new UsageError(msg.charAt(0).toLowerCase() + msg.slice(1));
  }
  const seed = values.seed ?? env("SEED_MODE") ?? "reference";
  if (!(SEED_MODES as readonly string[]).includes(seed)) {
    throw new UsageError(
      `--seed must be one of ${SEED_MODES.join(", ")}, not "${seed}"${
        values.seed === undefined ? " (from SEED_MODE)" : ""
      }`,
    );
  }
  const logFormat = values["log-format"] ?? env("DB_MIGRATE_LOG_FORMAT") ?? "text";
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    throw new UsageError(
      `--log-format must be one of ${LOG_FORMATS.join(", ")}, not "${logFormat}"${
        values["log-format"] === undefined ? " (from DB_MIGRATE_LOG_FORMAT)" : ""
      }`,
    );
  }
  const command = commandOf(positionals, values["dry-run"] ?? false, values.status ?? false);
  if (values.repair && command === "status") {
    throw new UsageError("--repair changes the tracking table; --status only looks");
  }
  const resolveUnknown = new Map<string, Resolution>();
  for (const value of values["resolve-unknown"] ?? []) {
    const m = /^([A-Za-z0-9_-]+)=(applied|rerun)$/.exec(value.trim());
    if (!m) {
      throw new UsageError(
        `--resolve-unknown takes QUERY_ID=applied or QUERY_ID=rerun, not "${value}"`,
      );
    }
    const [, id, decision] = m as unknown as [string, string, Resolution];
    if (resolveUnknown.has(id) && resolveUnknown.get(id) !== decision) {
      throw new UsageError(`--resolve-unknown says both applied and rerun for ${id}`);
    }
    resolveUnknown.set(id, decision);
  }
  if (resolveUnknown.size > 0 && command !== "migrate") {
    throw new UsageError(
      "--resolve-unknown decides for a real run; --dry-run and --status only look",
    );
  }
  const configFlag = values.config ?? env("DB_MIGRATE_CONFIG");
  for (const name of values.database ?? []) {
    if (name.trim() === "") throw new UsageError("--database needs a name");
  }
  for (const id of values.tenant ?? []) {
    if (id.trim() === "") throw new UsageError("--tenant needs an id");
  }
  return {
    command,
    mode: MODES[command],
    seed: seed as SeedMode,
    databases: values.database ?? [],
    json: values.json ?? false,
    logFormat: logFormat as LogFormat,
    waitSeconds: seconds("wait", values.wait ?? env("DB_MIGRATE_WAIT") ?? "30"),
    lockTimeoutSeconds: seconds(
      "lock-timeout",
      values["lock-timeout"] ?? env("DB_MIGRATE_LOCK_TIMEOUT") ?? "300",
    ),
    gracePeriodSeconds: seconds(
      "grace-period",
      values["grace-period"] ?? env("DB_MIGRATE_GRACE_PERIOD") ?? "25",
    ),
    resolveUnknown,
    repair: values.repair ?? false,
    embedded: values.embedded ?? false,
    maxFileMb: megabytes(
      "max-file-size",
      values["max-file-size"] ?? env("DB_MIGRATE_MAX_FILE_SIZE") ?? "64",
      "DB_MIGRATE_MAX_FILE_SIZE",
      values["max-file-size"] === undefined,
    ),
    maxStatementMb: megabytes(
      "max-statement-size",
      values["max-statement-size"] ?? env("DB_MIGRATE_MAX_STATEMENT_SIZE") ?? "16",
      "DB_MIGRATE_MAX_STATEMENT_SIZE",
      values["max-statement-size"] === undefined,
    ),
    migrationsDir: (values.migrations ?? env("MIGRATIONS_DIR") ?? "./migrations").replace(
      /\/+$/,
      "",
    ),
    seedsDir: (values.seeds ?? env("SEEDS_DIR") ?? "./seeds").replace(/\/+$/, ""),
    configFile: configFlag ?? "db-migrate.yaml",
    configFileExplicit: configFlag !== undefined,
    help: values.help ?? false,
    version: values.version ?? false,
    verbose: values.verbose ?? false,
    tenants: {
      only: values.tenant ?? [],
      maxParallel: count(
        "max-parallel",
        values["max-parallel"] ?? env("DB_MIGRATE_MAX_PARALLEL") ?? "5",
        1,
      ),
      retries: count("retries", values.retries ?? env("DB_MIGRATE_RETRIES") ?? "3", 0),
      timeoutSeconds: seconds(
        "timeout",
        values.timeout ?? env("DB_MIGRATE_TENANT_TIMEOUT") ?? "300",
      ),
      failFast: values["fail-fast"] ?? false,
      shard: values.shard === undefined ? null : parseShard(values.shard, env),
    },
  };
}

function count(flag: string, value: string, min: number): number {
  if (!/^\s*\d+\s*$/.test(value) || Number(value) < min) {
    throw new UsageError(`--${flag} takes a whole number of at least ${min}, not "${value}"`);
  }
  return Number(value);
}
