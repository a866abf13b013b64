// The only module that knows how flags are parsed (node:util parseArgs, strict), so the parser can be
// swapped for @std/cli once JSR is reachable.

import { parseArgs } from "node:util";
import { type ConfigError, UsageError } from "./core/errors.ts";
import type { PipelineDeps } from "./core/pipeline.ts";
import type { RunMode } from "./core/result.ts";
import { IMPORT_TOOLS, type ImportTool } from "./import/types.ts";
import { LOG_FORMATS, type LogFormat } from "./report/output.ts";
import type { Target } from "./core/plan.ts";
import { type Resolution, SEED_MODES, type SeedMode } from "./core/types.ts";
import { parseShard, type Shard } from "./tenants/shard.ts";

/** The commands, the first of them the default. */
export const COMMANDS = [
  "migrate",
  "plan",
  "status",
  "create",
  "validate",
  "list",
  "reset",
  "seed",
  "verify",
  "undo",
  "mark",
  "baseline",
  "info",
  "import",
] as const;
/** One of COMMANDS. */
export type Command = typeof COMMANDS[number];

/** Commands that take arguments after their name (`mark applied 3 4`, `create add_users`). */
const TAKES_ARGS = new Set<Command>(["create", "mark", "import"]);
/** Commands that change something and, given --dry-run, only say what they would change. */
const TAKES_DRY_RUN = new Set<Command>(["reset", "seed", "undo", "mark", "baseline", "import"]);
/** Commands that take --to / --steps. */
const TAKES_TARGET = new Set<Command>(["migrate", "plan", "undo"]);
/**
 * Commands that run files, where a ClickHouse statement an earlier run left in flight stops with
 * OUTCOME_UNKNOWN until --resolve-unknown decides it (reset runs files with --migrate).
 */
const RUNS_FILES = new Set<Command>(["migrate", "seed", "reset", "undo"]);
/** Commands that go on past drift with --repair (plan says what it would repair). */
const REPAIRS = new Set<Command>(["migrate", "plan"]);

/** What each command's result calls itself (the JSON document's `mode`). */
const MODES: Record<Command, RunMode> = {
  migrate: "apply",
  plan: "dry-run",
  status: "status",
  create: "create",
  validate: "validate",
  list: "list",
  reset: "reset",
  seed: "seed",
  verify: "verify",
  undo: "undo",
  mark: "mark",
  baseline: "baseline",
  info: "info",
  import: "import",
};

/** Flags that belong to one command only (a usage error elsewhere). */
const COMMAND_FLAGS: Record<string, Command> = {
  undo: "create",
  "no-transaction": "create",
  online: "validate",
  migrate: "reset",
  reset: "seed",
};

/** What the user asked for, flags and environment merged. */
export interface Options {
  /** The command to run: `db-migrate migrate|plan|status`, or the flags `--dry-run`, `--status`. */
  command: Command;
  /** The words after the command's name, for commands in TAKES_ARGS. */
  args: string[];
  /** --dry-run given to a command that changes something: say what, change nothing. */
  dryRun: boolean;
  /** import: the other tool's options (--from, --history-table, --no-history); null otherwise. */
  import: ImportOptions | null;
  /** --yes: agree beforehand to what a command that changes tracking or data asks about. */
  yes: boolean;
  /** create --undo: write the undo file `U<version>__<name>.sql` too. */
  undo: boolean;
  /** create --no-transaction: the new file starts with the no-transaction directive. */
  noTransaction: boolean;
  /** validate --online: compare with the databases too (drift, pending), changing nothing. */
  online: boolean;
  /** reset --migrate: apply the migrations and seeds again after dropping everything. */
  migrate: boolean;
  /** seed --reset: empty the tables the mode's seeds write, then apply the seeds again. */
  reset: boolean;
  /** --to=VERSION / --steps=N: how far migrate (or plan) applies, or undo undoes. */
  target?: Target;
  /** baseline --version=N: the version up to which every migration is marked applied. */
  baselineVersion?: number;
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
  /** verify --against=URL: rehearse the pending files on this server (null: not asked). */
  against: string | null;
  /** verify --rehearse: rehearse the pending files on each database's own URL. */
  rehearse: boolean;
  /** The largest SQL file to read, in MB (it is held in memory while it runs). */
  maxFileMb: number;
  /** The largest PostgreSQL statement to send, in MB (it is copied about 3 times on its way). */
  maxStatementMb: number;
  /** The largest YAML seed read with the `yaml` package's document API, in MB (~70 MB per MB). */
  maxYamlMb: number;
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

/**
 * What main.ts gives a command: the pipeline's dependencies with every option the user gave, and
 * the problems of the config that validate lists (empty for other commands, which stop at the first).
 */
export type CommandDeps = PipelineDeps & {
  options: Options;
  configProblems: ConfigError[];
  /** Reads an environment variable (DB_MIGRATE_ALLOW_RESET). */
  env: (name: string) => string | undefined;
};
/** What `import` was asked for beside its SOURCE_DIR (which is `args[0]`). */
export interface ImportOptions {
  /** --from=TOOL: the tool whose project is imported. */
  from: ImportTool;
  /** --history-table=[schema.]table: the tool's history table when it is not the default one. */
  historyTable: string | null;
  /** --no-history: write the files only; never read the other tool's table. */
  noHistory: boolean;
}

/** The usage text printed by --help and after a usage error. */
export const USAGE = `Usage: db-migrate [command] [options]

Commands:
  migrate                apply pending migrations of every database under ./migrations, then the
                         seeds of a mode (the default command); --to=VERSION applies up to and
                         including VERSION, --steps=N the next N (one database: --database)
  plan                   list what migrate would apply; change nothing (as --dry-run)
  status                 show every migration and seed with its state; change nothing (as --status)
  create NAME            write the next migration V<version>__NAME.sql of --database (--undo: and its
                         U file; --no-transaction: with the directive); no database needed
  validate               check every file, the config and the URLs offline; list every problem
                         (--online: also drift and pending, changing nothing)
  list                   the files of each database: version, checksum, undo file; offline
  reset                  drop everything in --database (local databases only; asks first), then
                         with --migrate apply the migrations and seeds again
  seed                   apply only the seeds of the mode (--reset: empty their tables and apply
                         them again; local databases only; asks first)
  verify                 apply every PostgreSQL migration and seed twice on a scratch embedded
                         PostgreSQL and report each file whose second run fails or changes something
  undo                   undo the last applied migration with its U<version>__<desc>.sql file;
                         --steps=N the last N, --to=VERSION all above VERSION (needs --database)
  mark applied|pending VERSION...
                         record migrations as applied without running them, or forget them so
                         they run again (needs --database with several databases)
  baseline --version=N   mark every migration up to N as applied without running it
  info                   per database: server, user, lock holder, counts, last applied, drift and
                         every failed row with its error; change nothing
  import SOURCE_DIR      convert another tool's migrations (--from=TOOL) into --database's folder
                         and, with the database's URL, record what that tool applied as baselined

Options:
  --seed=MODE            none | reference | sample | full (default reference, env SEED_MODE)
  --database=NAME        only this database; repeat for several
  --dry-run              list what a run would apply; change nothing (the plan command); with
                         reset and seed: say what they would change
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
                         applied, or run it again; QUERY_ID is the one the error names (migrate,
                         seed, reset --migrate, undo)
  --repair               migrate: record the current checksums of changed files, forget missing
                         ones, go on (plan: say what it would repair)
  --yes, -y              agree beforehand to what a command that changes tracking or data asks
                         (undo, mark, baseline, reset, seed --reset, import; off a terminal they
                         need it, else exit 2)
  --undo                 create: write the undo file U<version>__NAME.sql too
  --no-transaction       create: start the file with "-- db-migrate: no-transaction"
  --online               validate: compare with the databases too (drift, pending)
  --migrate              reset: apply the migrations and seeds again afterwards
  --reset                seed: empty the tables the seeds write, then apply them again
  --to=VERSION           migrate, plan: up to and including VERSION; undo: down to VERSION, which
                         stays applied
  --steps=N              migrate, plan: the next N pending migrations; undo: the last N applied
  --from=TOOL            import: the tool SOURCE_DIR belongs to: ${IMPORT_TOOLS.join(", ")}
  --history-table=[SCHEMA.]TABLE
                         import: the tool's history table, when not its default name
  --no-history           import: write the files only; do not read or adopt the tool's history
  --embedded             run PostgreSQL databases without a URL on an embedded PostgreSQL (PGlite)
  --against=URL          verify: rehearse the pending files on this PostgreSQL server in one
                         transaction that is rolled back; nothing is recorded
  --rehearse             verify: the same, on each database's own URL
  --max-file-size=MB     refuse larger SQL files (default 64, env DB_MIGRATE_MAX_FILE_SIZE)
  --max-statement-size=MB  refuse larger PostgreSQL statements (default 16,
                         env DB_MIGRATE_MAX_STATEMENT_SIZE)
  --max-yaml-size=MB     the largest YAML seed that is not plain rows (anchors, block texts...),
                         read whole at about 70 MB of memory per MB (default 2,
                         env DB_MIGRATE_YAML_DOCUMENT_MB)
  --migrations=DIR       where the migration folders are (default ./migrations, env MIGRATIONS_DIR)
  --seeds=DIR            where the seed folders are (default ./seeds, env SEEDS_DIR)
  --config=FILE          config file (default ./db-migrate.yaml when present, env DB_MIGRATE_CONFIG)
  --verbose              over tenants: a line per file, and a status table (info: a block) per
                         tenant

Tenant groups (a database with \`tenants:\` in db-migrate.yaml; its control database runs first;
migrate, plan, status, info, mark, baseline and undo run across them; mark, baseline and undo ask
once for the group, by its name, or take --yes):
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
  --version              show the version (baseline --version=N: the baseline's version)

Each folder migrations/<name>/ is a database reached through <NAME>_URL or <NAME>_URL_FILE
(upper case, - and . become _); DATABASE_URL also serves a database named postgres.
<NAME>_CA_FILE names the CA bundle (PEM) that its server's TLS certificate must lead to; PostgreSQL
URLs also take libpq's sslmode, sslrootcert, sslcert and sslkey (and PGSSLMODE, PGSSLROOTCERT, ...).
reset and seed --reset touch only local databases (loopback, Unix socket, --embedded) unless
DB_MIGRATE_ALLOW_RESET lists the database's name; they ask first (--yes off a terminal).

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

/** A version or count flag: digits only. */
function whole(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(
      `${flag} takes ${min === 0 ? "a version" : "a whole number of at least 1"}, not "${value}"`,
    );
  }
  return n;
}

/**
 * `--version` prints the program's version, but `baseline --version=N` (or `--version N`) names
 * the baseline's: such a value moves to a flag of its own before the arguments are parsed.
 */
function baselineArgs(args: string[]): { args: string[]; version?: string } {
  const out: string[] = [];
  let version: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      out.push(...args.slice(i));
      break;
    }
    if (a.startsWith("--version=")) {
      version = a.slice("--version=".length);
    } else if (a === "--version" && args.includes("baseline") && /^\d+$/.test(args[i + 1] ?? "")) {
      version = args[++i]!;
    } else out.push(a);
  }
  return version === undefined ? { args: out } : { args: out, version };
}

/**
 * The command that the positional argument and the flags name together; an unknown command, a second
 * positional argument, or flags that name another command are usage errors.
 */
function commandOf(positionals: string[], dryRun: boolean, status: boolean): Command {
  const [word, extra] = positionals;
  if (word !== undefined && !(COMMANDS as readonly string[]).includes(word)) {
    throw new UsageError(`unknown command "${word}": the commands are ${COMMANDS.join(", ")}`);
  }
  const command = word as Command | undefined;
  if (extra !== undefined && !(command && TAKES_ARGS.has(command))) {
    throw new UsageError(`unexpected argument "${extra}"`);
  }
  if (dryRun && status) throw new UsageError("--dry-run and --status cannot be used together");
  if (command !== undefined && TAKES_DRY_RUN.has(command) && !status) return command;
  const byFlag: Command | undefined = dryRun ? "plan" : status ? "status" : undefined;
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

/** The import command's own flags checked (and refused for any other command). */
function importOptionsOf(
  command: Command,
  args: string[],
  values: {
    from?: string;
    "history-table"?: string;
    "no-history"?: boolean;
    database?: string[];
    repair?: boolean;
  },
): ImportOptions | null {
  const own = (["from", "history-table", "no-history"] as const).filter((f) =>
    values[f] !== undefined
  );
  if (command !== "import") {
    if (own.length > 0) throw new UsageError(`--${own[0]} belongs to the import command`);
    return null;
  }
  if (values.repair) throw new UsageError("--repair belongs to a migrate run, not to import");
  const from = values.from;
  if (from === undefined || !(IMPORT_TOOLS as readonly string[]).includes(from)) {
    throw new UsageError(
      `import needs --from=TOOL, one of ${IMPORT_TOOLS.join(", ")}${
        from === undefined ? "" : ` (not "${from}")`
      }`,
    );
  }
  if (args.length !== 1) {
    throw new UsageError(
      args.length === 0
        ? "import needs SOURCE_DIR, the folder of the other tool's migrations"
        : `import takes one SOURCE_DIR, not ${args.map((a) => `"${a}"`).join(" ")}`,
    );
  }
  if ((values.database ?? []).length !== 1) {
    throw new UsageError(
      "import needs exactly one --database=NAME: the folder under --migrations it writes into",
    );
  }
  const database = values.database![0]!;
  if (database.includes("/") || database.includes("\\") || database.startsWith(".")) {
    throw new UsageError(
      `import writes into the folder --database names, so it must be a plain folder name, not "${database}"`,
    );
  }
  const table = values["history-table"];
  if (table !== undefined && !/^[^.\s]+(\.[^.\s]+)?$/.test(table)) {
    throw new UsageError(`--history-table takes TABLE or SCHEMA.TABLE, not "${table}"`);
  }
  if (table !== undefined && values["no-history"]) {
    throw new UsageError("--history-table and --no-history cannot be used together");
  }
  return {
    from: from as ImportTool,
    historyTable: table ?? null,
    noHistory: values["no-history"] ?? false,
  };
}

/** Parses argv and the environment into Options; throws UsageError (exit 2) on bad input. */
export function parseOptions(argv: string[], env: (name: string) => string | undefined): Options {
  let values, positionals;
  const { args, version: baselineVersion } = baselineArgs(argv);
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
        yes: { type: "boolean", short: "y" },
        undo: { type: "boolean" },
        "no-transaction": { type: "boolean" },
        online: { type: "boolean" },
        migrate: { type: "boolean" },
        reset: { type: "boolean" },
        to: { type: "string" },
        steps: { type: "string" },
        embedded: { type: "boolean" },
        against: { type: "string" },
        rehearse: { type: "boolean" },
        from: { type: "string" },
        "history-table": { type: "string" },
        "no-history": { type: "boolean" },
        "max-file-size": { type: "string" },
        "max-statement-size": { type: "string" },
        "max-yaml-size": { type: "string" },
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
  for (const [flag, owner] of Object.entries(COMMAND_FLAGS)) {
    if ((values as Record<string, unknown>)[flag] && command !== owner) {
      throw new UsageError(
        `--${flag} belongs to the ${owner} command (db-migrate ${owner} --${flag})`,
      );
    }
  }
  if (values.repair && command === "status") {
    throw new UsageError("--repair changes the tracking table; --status only looks");
  }
  // Elsewhere drift stops the command whatever --repair says: refuse the flag rather than ignore it.
  if (values.repair && !REPAIRS.has(command) && !["verify", "import"].includes(command)) {
    throw new UsageError(
      `--repair belongs to a migrate run (db-migrate migrate --repair), not to ${command}`,
    );
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
  if (resolveUnknown.size > 0 && (!RUNS_FILES.has(command) || values["dry-run"])) {
    throw new UsageError(
      command === "plan" || command === "status" || values["dry-run"]
        ? "--resolve-unknown decides for a real run; --dry-run and --status only look"
        : `--resolve-unknown decides for a real run of files (migrate, seed, reset --migrate, ` +
          `undo), not for ${command}`,
    );
  }
  if ((values.against !== undefined || values.rehearse) && command !== "verify") {
    throw new UsageError(
      `--${values.against !== undefined ? "against" : "rehearse"} belongs to the verify command`,
    );
  }
  if (values.against !== undefined && values.rehearse) {
    throw new UsageError("--against and --rehearse cannot be used together: pick one server");
  }
  if (values.against !== undefined && values.against.trim() === "") {
    throw new UsageError("--against needs a URL");
  }
  if (values.repair && command === "verify") {
    throw new UsageError("--repair changes the tracking table; verify changes nothing");
  }
  if (values.to !== undefined && values.steps !== undefined) {
    throw new UsageError("--to and --steps cannot be used together: give one of them");
  }
  let target: Target | undefined;
  if (values.to !== undefined || values.steps !== undefined) {
    if (!TAKES_TARGET.has(command)) {
      throw new UsageError(
        `${
          values.to !== undefined ? "--to" : "--steps"
        } is for migrate, plan and undo, not ${command}`,
      );
    }
    target = values.to !== undefined
      ? { to: whole("--to", values.to, 0) }
      : { steps: whole("--steps", values.steps!, 1) };
  }
  if (baselineVersion !== undefined && command !== "baseline") {
    throw new UsageError(
      `--version=${baselineVersion} names a baseline's version (db-migrate baseline ` +
        "--version=N); --version alone prints the program's version",
    );
  }
  if (command === "baseline" && baselineVersion === undefined) {
    throw new UsageError("baseline needs --version=N: every migration up to N is marked applied");
  }
  const words = positionals.slice(1);
  if (command === "mark") {
    const [how, ...versions] = words;
    if (how !== "applied" && how !== "pending") {
      throw new UsageError(
        `mark takes "applied" or "pending" and then versions (mark applied 3 4), not ${
          how === undefined ? "nothing" : `"${how}"`
        }`,
      );
    }
    if (versions.length === 0) throw new UsageError(`mark ${how} needs at least one version`);
    for (const v of versions) whole(`mark ${how}`, v, 1);
  }
  const importOptions = importOptionsOf(command, positionals.slice(1), values);
  const configFlag = values.config ?? env("DB_MIGRATE_CONFIG");
  for (const name of values.database ?? []) {
    if (name.trim() === "") throw new UsageError("--database needs a name");
  }
  for (const id of values.tenant ?? []) {
    if (id.trim() === "") throw new UsageError("--tenant needs an id");
  }
  return {
    command,
    args: words,
    dryRun: TAKES_DRY_RUN.has(command) && (values["dry-run"] ?? false),
    import: importOptions,
    yes: values.yes ?? false,
    undo: values.undo ?? false,
    noTransaction: values["no-transaction"] ?? false,
    online: values.online ?? false,
    migrate: values.migrate ?? false,
    reset: values.reset ?? false,
    ...(target ? { target } : {}),
    ...(baselineVersion === undefined
      ? {}
      : { baselineVersion: whole("--version", baselineVersion, 0) }),
    mode: TAKES_DRY_RUN.has(command) && values["dry-run"] ? "dry-run" : MODES[command],
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
    against: values.against ?? null,
    rehearse: values.rehearse ?? false,
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
    maxYamlMb: megabytes(
      "max-yaml-size",
      values["max-yaml-size"] ?? env("DB_MIGRATE_YAML_DOCUMENT_MB") ?? "2",
      "DB_MIGRATE_YAML_DOCUMENT_MB",
      values["max-yaml-size"] === undefined,
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
