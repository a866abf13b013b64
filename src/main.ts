// Entry point: argv → command → result → exit code. The only module that reads Deno.args, listens
// for signals and exits; SIGTERM and SIGINT stop the run (see onSignal).

import denoJson from "../deno.json" with { type: "json" };
import { type Command, type CommandDeps, type Options, parseOptions, USAGE } from "./cli.ts";
import { checkUrls, resolveDatabases } from "./config.ts";
import { ConfigError, InterruptedError, toErrorData } from "./core/errors.ts";
import { scrub } from "./core/redact.ts";
import type { RunResult } from "./core/result.ts";
import type { DatabaseConfig } from "./core/types.ts";
import { jsonLogReporter } from "./report/log_json.ts";
import { type LogFormat, notice, printResult } from "./report/output.ts";
import { consoleReporter, writeLine } from "./report/text.ts";

const VERSION = denoJson.version;

/** What a command does with the databases of a run. */
type CommandFn = (targets: DatabaseConfig[], deps: CommandDeps) => Promise<RunResult>;

/** Each command, loaded when it runs (a run loads one of them). */
const COMMANDS: Record<Command, () => Promise<CommandFn>> = {
  migrate: async () => (await import("./commands/migrate.ts")).migrate,
  plan: async () => (await import("./commands/plan.ts")).plan,
  status: async () => (await import("./commands/status.ts")).status,
  create: async () => (await import("./commands/create.ts")).create,
  validate: async () => (await import("./commands/validate.ts")).validate,
  list: async () => (await import("./commands/list.ts")).list,
  reset: async () => (await import("./commands/reset.ts")).reset,
  seed: async () => (await import("./commands/seed.ts")).seed,
  verify: async () => (await import("./commands/verify.ts")).verify,
  undo: async () => (await import("./commands/undo.ts")).undo,
  mark: async () => (await import("./commands/mark.ts")).mark,
  baseline: async () => (await import("./commands/baseline.ts")).baseline,
  info: async () => (await import("./commands/info.ts")).info,
  import: async () => (await import("./commands/import.ts")).importProject,
};

/** Commands that need no database URL: they read the files only (validate checks the URLs itself). */
const OFFLINE = new Set<Command>(["create", "validate", "list"]);

/** Reads a variable; one the granted permissions leave out is a configuration error that says so. */
const env = (name: string): string | undefined => {
  try {
    return Deno.env.get(name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotCapable)) throw err;
    throw new ConfigError(
      "CONFIG",
      `the environment variable "${name}" may not be read: it is not in the permissions the program runs with`,
      {
        hint: `add "${name}" to permissions.container.env in deno.json and rebuild the image, ` +
          "or run with --allow-env",
      },
    );
  }
};

/** Like env, but a variable that may not be read is simply unset (for best-effort extras). */
const optionalEnv = (name: string): string | undefined => {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
};

/** The log format before the flags are parsed, so that a usage error is reported in it. */
function logFormatOf(args: string[]): LogFormat {
  const i = args.indexOf("--log-format");
  const flag = i >= 0 ? args[i + 1] : args.find((a) => a.startsWith("--log-format="))?.slice(13);
  return (flag ?? optionalEnv("DB_MIGRATE_LOG_FORMAT")) === "json" ? "json" : "text";
}

/** The result of a run that ended before any command ran (a bad flag, a bad config). */
function errorResult(err: unknown, opts: Partial<Options>, started: number): RunResult {
  const error = toErrorData(err, (e) => scrub(String((e as Error)?.stack ?? e)));
  return {
    mode: opts.mode ?? "apply",
    seedMode: opts.seed ?? "reference",
    databases: [],
    exitCode: error.exitCode,
    error,
    durationMs: performance.now() - started,
  };
}

/** Prints the result and returns the exit code. */
function finish(result: RunResult, json: boolean, logFormat: LogFormat, verbose = false): number {
  return printResult(result, {
    json,
    logFormat,
    version: VERSION,
    terminationLog: optionalEnv("DB_MIGRATE_TERMINATION_LOG"),
    verbose,
  });
}

async function main(): Promise<number> {
  const started = performance.now();
  let opts: Options;
  try {
    opts = parseOptions(Deno.args, env);
  } catch (err) {
    const json = Deno.args.includes("--json");
    const logFormat = logFormatOf(Deno.args);
    const code = finish(errorResult(err, {}, started), json, logFormat);
    if (!json && logFormat === "text") writeLine(Deno.stderr, `\n${USAGE}`);
    return code;
  }
  if (opts.help) {
    writeLine(Deno.stdout, USAGE);
    return 0;
  }
  if (opts.version) {
    writeLine(Deno.stdout, `db-migrate ${VERSION}`);
    return 0;
  }

  // The first signal stops the run: a PostgreSQL transaction rolls back at once, but a statement
  // that cannot be rolled back (ClickHouse, no-transaction files) gets the grace period to finish,
  // as what it did could not be undone. The grace ends early at a second signal.
  const controller = new AbortController();
  const grace = new AbortController();
  const onSignal = (sig: "SIGTERM" | "SIGINT") => () => {
    if (!controller.signal.aborted) {
      const s = opts.gracePeriodSeconds;
      notice(
        opts.logFormat,
        `received ${sig}: stopping; a file in a transaction is rolled back now, a statement ` +
          `outside one (ClickHouse, no-transaction files) may finish within ${s} s ` +
          `(--grace-period; ${sig} again stops waiting)`,
      );
      controller.abort(new InterruptedError(sig));
      Deno.unrefTimer(setTimeout(() => grace.abort(controller.signal.reason), s * 1000));
    } else if (!grace.signal.aborted) {
      notice(opts.logFormat, `received ${sig} again: not waiting for a running statement`);
      grace.abort(controller.signal.reason);
    }
  };
  const handlers = [["SIGTERM", onSignal("SIGTERM")], ["SIGINT", onSignal("SIGINT")]] as const;
  for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);

  try {
    // validate lists every database's URL problem, create and list need no URL; the other
    // commands stop at the first problem.
    const configProblems: ConfigError[] = [];
    const dbs = await resolveDatabases({
      migrationsDir: opts.migrationsDir,
      seedsDir: opts.seedsDir,
      configFile: opts.configFile,
      configFileExplicit: opts.configFileExplicit,
      only: opts.databases,
      embedded: opts.embedded,
      env,
      readTextFile: (p) => Deno.readTextFile(p),
      notice: (t) => notice(opts.logFormat, t),
      ...(OFFLINE.has(opts.command) ? { problems: configProblems } : {}),
      // import writes the database's folder, so it need not be there yet.
      ...(opts.command === "import" ? { creating: opts.databases[0]! } : {}),
    });
    // verify checks idempotency without URLs; --rehearse needs the PostgreSQL databases' own.
    // import works without a URL too: it then writes the files and adopts no history.
    if (opts.command === "verify") {
      if (opts.rehearse) checkUrls(dbs.filter((d) => d.kind === "postgres"), opts.embedded);
    } else if (!OFFLINE.has(opts.command) && opts.command !== "import") {
      checkUrls(dbs, opts.embedded);
    }
    const width = Math.max(8, ...dbs.map((d) => d.name.length));
    const reporter = opts.logFormat === "json"
      ? jsonLogReporter(opts.json ? Deno.stderr : Deno.stdout, Deno.stderr)
      : consoleReporter(opts.json, {
        width,
        times: opts.command === "migrate" || opts.command === "seed" ||
          opts.command === "reset" || (opts.command === "undo" && !opts.dryRun),
        checksums: opts.command === "plan",
      });
    let command = await COMMANDS[opts.command]();
    // A tenant group (or a flag that picks tenants) runs the command over each tenant too.
    if (
      !OFFLINE.has(opts.command) &&
      (dbs.some((d) => d.tenants) || opts.tenants.only.length > 0 || opts.tenants.shard)
    ) {
      command = (await import("./tenants/run.ts")).withTenants(opts.command, command, {
        ...opts.tenants,
        verbose: opts.verbose,
        json: opts.json,
        logFormat: opts.logFormat,
        gracePeriodSeconds: opts.gracePeriodSeconds,
        mode: opts.mode,
      });
    }
    const result = await command(dbs, {
      options: opts,
      reporter,
      signal: controller.signal,
      graceOver: grace.signal,
      cwd: Deno.cwd(),
      configProblems,
      env,
    });
    return finish(result, opts.json, opts.logFormat, opts.verbose);
  } catch (err) {
    return finish(errorResult(err, opts, started), opts.json, opts.logFormat);
  } finally {
    for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
  }
}

Deno.exit(await main());
