// Entry point: flags → config → run → summary → exit code. The only module that reads Deno.args,
// prints the final summary and exits; SIGTERM and SIGINT abort the run between statements.

import denoJson from "../deno.json" with { type: "json" };
import { type Options, parseOptions, USAGE } from "./cli.ts";
import { checkUrls, resolveDatabases } from "./config.ts";
import { InterruptedError, MigrateError } from "./errors.ts";
import { scrub } from "./redact.ts";
import { jsonDocument } from "./report/json.ts";
import { type RunResult, summaryLine } from "./report/summary.ts";
import { consoleReporter, statusTable, writeLine } from "./report/text.ts";
import { run } from "./run.ts";

const VERSION = denoJson.version;
const env = (name: string) => Deno.env.get(name);

function errorResult(err: unknown, opts: Partial<Options>, started: number): RunResult {
  const e = err instanceof MigrateError ? err : null;
  return {
    mode: opts.mode ?? "apply",
    seedMode: opts.seed ?? "reference",
    databases: [],
    exitCode: e ? e.exitCode : 1,
    error: e
      ? {
        code: e.code,
        message: scrub(e.message),
        ...(e.database ? { database: e.database } : {}),
        ...(e.hint ? { hint: e.hint } : {}),
      }
      : { code: "INTERNAL", message: scrub(String((err as Error)?.stack ?? err)) },
    durationMs: performance.now() - started,
  };
}

/** Prints the result the way the options ask and returns the exit code. */
function finish(result: RunResult, json: boolean): number {
  if (result.error) {
    writeLine(
      Deno.stderr,
      `error: ${result.error.message}${result.error.hint ? `\n  hint: ${result.error.hint}` : ""}`,
    );
  }
  if (json) {
    writeLine(Deno.stdout, jsonDocument(result, VERSION));
    return result.exitCode;
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
    const code = finish(errorResult(err, {}, started), json);
    if (!json) writeLine(Deno.stderr, `\n${USAGE}`);
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

  const controller = new AbortController();
  const onSignal = (sig: "SIGTERM" | "SIGINT") => () => {
    if (!controller.signal.aborted) {
      writeLine(Deno.stderr, `received ${sig}: stopping after rolling back the current file`);
      controller.abort(new InterruptedError(sig));
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
    });
    checkUrls(dbs, opts.embedded);
    const width = Math.max(8, ...dbs.map((d) => d.name.length));
    const reporter = consoleReporter(opts.json, width);
    const result = await run(opts, dbs, { reporter, signal: controller.signal, cwd: Deno.cwd() });
    return finish(result, opts.json);
  } catch (err) {
    return finish(errorResult(err, opts, started), opts.json);
  } finally {
    for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
  }
}

Deno.exit(await main());
