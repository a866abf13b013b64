// Entry point: flags → config → run → summary → exit code. The only module that reads Deno.args,
// prints the final summary and exits; SIGTERM and SIGINT stop the run (see onSignal).

import denoJson from "../deno.json" with { type: "json" };
import { type LogFormat, type Options, parseOptions, USAGE } from "./cli.ts";
import { checkUrls, resolveDatabases } from "./config.ts";
import { ConfigError, InterruptedError } from "./core/errors.ts";
import { scrub } from "./core/redact.ts";
import { jsonDocument, terminationMessage } from "./report/json.ts";
import {
  errorEvent,
  jsonLogReporter,
  messageEvent,
  statusEvents,
  summaryEvent,
  writeEvent,
} from "./report/log_json.ts";
import { toErrorData } from "./core/errors.ts";
import type { RunResult } from "./core/result.ts";
import { summaryLine } from "./report/summary.ts";
import { consoleReporter, statusTable, writeLine } from "./report/text.ts";
import { run } from "./run.ts";
import { writeTerminationMessage } from "./report/termination.ts";

const VERSION = denoJson.version;

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

/** A notice on stderr, as a line of text or as an event. */
function notice(logFormat: LogFormat, text: string): void {
  if (logFormat === "json") writeEvent(Deno.stderr, messageEvent("warn", text));
  else writeLine(Deno.stderr, text);
}

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

/** The end of a --log-format=json run: the error and the summary (or the --json document) as events. */
function finishEvents(result: RunResult, json: boolean): number {
  if (json) {
    writeLine(Deno.stdout, jsonDocument(result, VERSION));
    return result.exitCode;
  }
  if (result.error) writeEvent(Deno.stderr, errorEvent(result.error));
  if (result.mode === "status") {
    for (const db of result.databases) {
      for (const e of statusEvents(db)) writeEvent(Deno.stdout, e);
    }
  }
  writeEvent(Deno.stdout, summaryEvent(result));
  return result.exitCode;
}

/** Prints the result the way the options ask, leaves the termination message, returns the exit code. */
function finish(result: RunResult, json: boolean, logFormat: LogFormat): number {
  const warning = writeTerminationMessage(terminationMessage(result), {
    path: optionalEnv("DB_MIGRATE_TERMINATION_LOG"),
  });
  if (warning) notice(logFormat, `warning: ${warning}`);
  if (logFormat === "json") return finishEvents(result, json);
  // The error is printed once: in the JSON document, or on stderr below the failed file's line.
  if (json) {
    writeLine(Deno.stdout, jsonDocument(result, VERSION));
    return result.exitCode;
  }
  if (result.error) {
    writeLine(
      Deno.stderr,
      `error: ${result.error.message}${result.error.hint ? `\n  hint: ${result.error.hint}` : ""}`,
    );
  }
  if (result.mode === "status") {
    for (const db of result.databases) writeLine(Deno.stdout, statusTable(db));
  }
  writeLine(Deno.stdout, summaryLine(result));
  return result.exitCode;
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
    });
    checkUrls(dbs, opts.embedded);
    const width = Math.max(8, ...dbs.map((d) => d.name.length));
    const reporter = opts.logFormat === "json"
      ? jsonLogReporter(opts.json ? Deno.stderr : Deno.stdout, Deno.stderr, width)
      : consoleReporter(opts.json, width);
    const result = await run(opts, dbs, {
      reporter,
      signal: controller.signal,
      graceOver: grace.signal,
      cwd: Deno.cwd(),
    });
    return finish(result, opts.json, opts.logFormat);
  } catch (err) {
    return finish(errorResult(err, opts, started), opts.json, opts.logFormat);
  } finally {
    for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
  }
}

Deno.exit(await main());
