// `db-migrate create --database=DB NAME [--undo] [--no-transaction]`: writes the next migration of a
// database, numbered in the folder's own style (zero-padded versions, or YYYYMMDDHHMMSS timestamps),
// with a short template. Offline: it needs no URL and no server.

import type { CommandDeps } from "../cli.ts";
import { parseMigrationName, parseUndoName } from "../core/discover.ts";
import { ConfigError, UsageError } from "../core/errors.ts";
import { reportResult, type RunResult } from "../core/result.ts";
import type { DatabaseConfig, DbKind } from "../core/types.ts";
import { describeForName, nextVersion } from "../core/versions.ts";
import { oneDatabase } from "./target.ts";

// What a description may hold: it becomes part of a file name that every tool must read back.
const NAME = /^[\p{L}\p{N}][\p{L}\p{N}_-]*$/u;
// A version of 14 digits in a folder is a timestamp (YYYYMMDDHHMMSS), as dbmate and goose write them.
const TIMESTAMP_DIGITS = 14;

/** The description a name gives, or a usage error (exit 2) that proposes one. */
export function checkName(name: string): string {
  if (NAME.test(name) && parseMigrationName(`V1__${name}.sql`) !== null) return name;
  throw new ConfigError(
    "INVALID_NAME",
    `"${name}" cannot be a migration's name: V<version>__<name>.sql takes letters, digits, ` +
      `"_" and "-", starting with a letter or digit`,
    { hint: `for example: db-migrate create --database=DB ${describeForName(name)}` },
  );
}

/** `20261129233612`: a UTC time as a timestamp version. */
export function timestampVersion(now: Date): string {
  return now.toISOString().replace(/\D/g, "").slice(0, TIMESTAMP_DIGITS);
}

/**
 * The version a new migration takes, as digits: after the highest one, in the folder's padding; a
 * folder whose highest version is a timestamp gets the current time (or the next second after a
 * version from the future).
 */
export function newVersion(names: string[], now: Date): string {
  const versions = names.map((n) => /^V(\d+)__/.exec(n)?.[1]).filter((d) => d !== undefined);
  const highest = versions.reduce((m, d) => (BigInt(d) > BigInt(m) ? d : m), "0");
  if (highest.length !== TIMESTAMP_DIGITS) return nextVersion(names);
  const stamp = timestampVersion(now);
  return BigInt(stamp) > BigInt(highest) ? stamp : String(BigInt(highest) + 1n);
}

/** The text of a new migration: what it is, and the rules a migration here follows. */
export function migrationTemplate(
  script: string,
  database: string,
  kind: DbKind,
  noTransaction: boolean,
): string {
  const lines = noTransaction
    ? [
      "-- db-migrate: no-transaction",
      "-- (runs statement by statement outside a transaction, as CREATE INDEX CONCURRENTLY needs;",
      "-- a failure leaves the statements before it applied: make each one safe to run again)",
    ]
    : [];
  lines.push(`-- ${script}: a migration of "${database}".`);
  if (kind === "postgres") {
    lines.push(
      "-- Write it idempotent, so that running it again does no harm: CREATE TABLE IF NOT EXISTS,",
      "-- ALTER TABLE ... ADD COLUMN IF NOT EXISTS, CREATE OR REPLACE, INSERT ... ON CONFLICT.",
      "-- A file with only comments is refused (EMPTY_FILE) until it holds a statement.",
    );
  } else {
    lines.push(
      "-- Write it idempotent, so that running it again does no harm: CREATE TABLE IF NOT EXISTS,",
      "-- ALTER TABLE ... ADD COLUMN IF NOT EXISTS, DROP ... IF EXISTS. ClickHouse runs it",
      "-- statement by statement with no transaction: a failure keeps the statements before it.",
      "-- A file with only comments is refused (EMPTY_FILE) until it holds a statement.",
    );
  }
  return lines.join("\n") + "\n\n";
}

/** The text of a new undo file. */
export function undoTemplate(script: string, migration: string, database: string): string {
  return [
    `-- ${script}: undoes ${migration} of "${database}" (db-migrate undo runs it).`,
    "-- Reverse what the migration did, idempotent too: DROP ... IF EXISTS.",
    "",
    "",
  ].join("\n");
}

/** The folder's file names, or none when it does not exist yet. */
function folderNames(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/** Writes a new file; one that appeared meanwhile is not overwritten. */
function writeNew(path: string, text: string, database: string): void {
  try {
    Deno.writeTextFileSync(path, text, { createNew: true });
  } catch (err) {
    throw new ConfigError("CONFIG", `cannot write "${path}": ${(err as Error).message}`, {
      database,
      position: { file: path },
      hint: err instanceof Deno.errors.AlreadyExists
        ? "another file took that name meanwhile: run create again"
        : "check that the folder is writable",
    });
  }
}

/** Writes the next migration (and undo file) of the one database named. */
export function create(targets: DatabaseConfig[], deps: CommandDeps): Promise<RunResult> {
  const { options } = deps;
  return reportResult("create", options.seed, (report) => {
    const [name, extra] = options.args;
    if (name === undefined) throw new UsageError("create needs a name: db-migrate create NAME");
    if (extra !== undefined) {
      throw new UsageError(
        `create takes one name, not "${options.args.join(" ")}": join the words with "_"`,
      );
    }
    const description = checkName(name);
    const target = oneDatabase(targets, options.databases, "create");
    if (options.noTransaction && target.kind !== "postgres") {
      throw new UsageError(
        `--no-transaction is for PostgreSQL: ClickHouse ("${target.name}") runs every file ` +
          "statement by statement already",
      );
    }
    const dir = target.migrationsDir;
    const names = folderNames(dir);
    const version = newVersion(names, new Date());
    const script = `V${version}__${description}.sql`;
    const undoScript = `U${version}__${description}.sql`;
    // A U file left without its migration would take the version (and stop every run: ORPHAN_UNDO).
    const clash = names.find((n) => parseUndoName(n)?.version === Number(version));
    if (clash !== undefined) {
      throw new ConfigError(
        "ORPHAN_UNDO",
        `"${clash}" in "${dir}" already undoes version ${Number(version)}, which has no migration`,
        {
          database: target.name,
          position: { file: `${dir}/${clash}` },
          hint: "delete or rename it",
        },
      );
    }
    Deno.mkdirSync(dir, { recursive: true });
    const created = [`${dir}/${script}`];
    writeNew(
      created[0]!,
      migrationTemplate(script, target.name, target.kind, options.noTransaction),
      target.name,
    );
    if (options.undo) {
      created.push(`${dir}/${undoScript}`);
      writeNew(created[1]!, undoTemplate(undoScript, script, target.name), target.name);
    }
    report({
      lines: [...created, `created ${created.length} ${created.length === 1 ? "file" : "files"}`],
      data: { created: { database: target.name, version: Number(version), files: created } },
    });
    return Promise.resolve();
  });
}
