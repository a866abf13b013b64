// The one database a command works on (create, --to/--steps, undo, mark, baseline; reset and
// seed --reset name theirs on purpose).

import { UsageError } from "../core/errors.ts";
import type { DatabaseConfig } from "../core/types.ts";

/**
 * The database --database names, or the only one there is; several named, or several without a
 * name, is a usage error (exit 2). `why` says why one (versions are per database).
 */
export function oneDatabase(
  targets: DatabaseConfig[],
  named: string[],
  command: string,
  why = "",
): DatabaseConfig {
  if (named.length > 1) {
    throw new UsageError(
      `${command} works on one database${why}: --database was given ${named.length} times`,
    );
  }
  if (targets.length === 1) return targets[0]!;
  throw new UsageError(
    `${command} needs --database=NAME${why}: there are ${targets.length} databases (${
      targets.map((t) => t.name).join(", ")
    })`,
  );
}

/** What the commands that name versions say of oneDatabase's refusal. */
export const PER_DATABASE = ", as versions are per database";

/** The databases --database names; none named is a usage error (a destructive command says which). */
export function namedDatabases(
  targets: DatabaseConfig[],
  named: string[],
  command: string,
): DatabaseConfig[] {
  if (named.length === 0) {
    throw new UsageError(
      `${command} needs --database=NAME, so that it never empties a database by default (databases: ${
        targets.map((t) => t.name).join(", ")
      })`,
    );
  }
  return targets;
}
