// Our versions are integers (`V<digits>__…`, compared as integers). Every tool but Flyway numbers
// its migrations with integers already, so those are kept, digits and padding included. Flyway's
// dotted versions go through a fixed formula. Either way the version of a migration depends on
// that migration alone, never on its neighbours, so a file imported before keeps its version when
// new upstream files arrive; and a version an earlier import gave is kept even so (read back from
// the imported files), which also covers a change of Flyway scheme.

import { flywayParts } from "./flyway.ts";
import type { ImportProblem, ImportTool, SourceMigration } from "./types.ts";

/** A version in our layout: the integer and the digits written in the file names. */
export interface OurVersion {
  version: number;
  digits: string;
}

/** How Flyway versions become integers. */
export type FlywayScheme = "integer" | "dotted";

/** Parts a dotted version may have, and the digits each part after the first takes. */
export const DOTTED_PARTS = 4;
export const DOTTED_WIDTH = 3;
const PART_LIMIT = 10n ** BigInt(DOTTED_WIDTH);

/** Digits as our version, when they fit a safe integer. */
export function integerVersion(digits: string): OurVersion | null {
  if (!/^\d+$/.test(digits)) return null;
  const version = Number(digits);
  return Number.isSafeInteger(version) ? { version, digits } : null;
}

/**
 * A Flyway version under a scheme. `integer`: a one-part version is itself (`V007` → 7, `V1.0`
 * → 1). `dotted`: up to four parts p1.p2.p3.p4, each after the first below 1000, become
 * p1·10⁹ + p2·10⁶ + p3·10³ + p4, written with three digits a part (`1.2.3` → `001002003000`).
 * Null when the version does not fit the scheme.
 */
export function flywayVersion(raw: string, scheme: FlywayScheme): OurVersion | null {
  const parts = flywayParts(raw);
  if (!parts) return null;
  if (scheme === "integer") {
    if (parts.length !== 1) return null;
    return integerVersion(/^\d+$/.test(raw) ? raw : parts[0]!.toString());
  }
  if (parts.length > DOTTED_PARTS || parts.slice(1).some((p) => p >= PART_LIMIT)) return null;
  const full = [...parts, ...Array(DOTTED_PARTS - parts.length).fill(0n)] as bigint[];
  const digits = full.map((p) => p.toString().padStart(DOTTED_WIDTH, "0")).join("");
  return integerVersion(digits);
}

/**
 * The scheme of a Flyway import: the one an earlier import used, seen in the versions it gave (a
 * one-part version kept as itself is the integer scheme); else `dotted` when any version has more
 * than one part, `integer` when none has.
 */
export function flywayScheme(
  rawVersions: string[],
  previous: { rawVersion: string; version: number }[],
): FlywayScheme {
  if (previous.length > 0) {
    const integer = previous.every((p) =>
      flywayVersion(p.rawVersion, "integer")?.version === p.version
    );
    return integer ? "integer" : "dotted";
  }
  return rawVersions.some((v) => (flywayParts(v)?.length ?? 1) > 1) ? "dotted" : "integer";
}

/** A version an earlier import gave, found in the imported files. */
export interface PreviousVersion extends OurVersion {
  /** The tool's version as written in the source name, to read the earlier scheme from. */
  rawVersion: string;
  /** The imported file's name. */
  name: string;
}

/** The version each migration gets, in the tool's order, and why some get none. */
export function mapVersions(
  tool: ImportTool,
  migrations: SourceMigration[],
  previous: Map<string, PreviousVersion> = new Map(),
): { versions: Map<string, OurVersion & { kept: boolean }>; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const versions = new Map<string, OurVersion & { kept: boolean }>();
  const scheme = tool === "flyway"
    ? flywayScheme(migrations.map((m) => m.rawVersion), [...previous.values()])
    : null;
  let last: { m: SourceMigration; v: OurVersion } | null = null;
  for (const m of migrations) {
    const before = previous.get(m.key);
    let v: OurVersion | null = before ? { version: before.version, digits: before.digits } : null;
    if (!v) {
      v = scheme === null ? integerVersion(m.rawVersion) : flywayVersion(m.rawVersion, scheme);
      if (!v) {
        problems.push({ file: m.source, ...unplaceable(m, scheme) });
        continue;
      }
    }
    if (last && v.version <= last.v.version) {
      problems.push({
        file: m.source,
        message: v.version === last.v.version
          ? `its version ${v.digits} is also the version of "${last.m.source}"`
          : `${tool} runs it after "${last.m.source}", but its version ${v.digits} is lower ` +
            `than that one's ${last.v.digits}: db-migrate would run them the other way round`,
        hint: v.version === last.v.version || before
          ? "renumber one of them upstream"
          : "renumber one of them upstream so that the names sort as the versions do",
      });
      continue;
    }
    versions.set(m.key, { ...v, kept: before !== undefined });
    last = { m, v };
  }
  return { versions, problems };
}

function unplaceable(
  m: SourceMigration,
  scheme: FlywayScheme | null,
): { message: string; hint: string } {
  if (scheme === "integer") {
    return {
      message: `version ${m.rawVersion} has parts, but the earlier import kept Flyway's versions ` +
        "as plain integers: there is no integer version between its neighbours",
      hint: "give it the next integer version upstream (V<n>__…), or import again into an " +
        "empty folder, which renumbers every file",
    };
  }
  if (scheme === "dotted") {
    return {
      message: `version ${m.rawVersion} does not fit the dotted scheme: at most ` +
        `${DOTTED_PARTS} parts, each after the first below ${PART_LIMIT}, and the whole below 2^53`,
      hint: "renumber it upstream, or import the project in two folders",
    };
  }
  return {
    message: `version ${m.rawVersion} is larger than db-migrate's versions go (2^53 - 1)`,
    hint: "renumber it upstream",
  };
}
