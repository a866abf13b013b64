// dbmate: `{version}{anything}.sql` in one folder (db.go: `^(\d+).*\.sql$`, the version being the
// leading digits, kept as text), applied in file-name order. A file holds one or more sections,
// each `-- migrate:up` then `-- migrate:down` (migration.go: `(?m)^--\s*migrate:up(\s*$|\s+\S+)`),
// with options after the marker (`transaction:false`). Only blank and comment lines may precede
// the first `-- migrate:up`. Each section runs in its own transaction unless `transaction:false`.

import { baseName, byCodeUnits, depth, type Line, splitLines } from "./text.ts";
import type {
  ImportNote,
  ImportProblem,
  ReadResult,
  Section,
  SourceFile,
  SourceMigration,
} from "./types.ts";

const NAME = /^(\d+).*\.sql$/;
const UP = /^--\s*migrate:up(?:\s*$|\s+\S)/;
const DOWN = /^--\s*migrate:down(?:\s*$|\s+\S)/;
const MARKER = /^--\s*migrate:(?:up|down)/;
const COMMENT = /^\s*--/;

/** The key dbmate compares with `schema_migrations.version`: the leading digits, as text. */
export function dbmateKeyOf(source: string): string | null {
  return NAME.exec(baseName(source))?.[1] ?? null;
}

/** A marker line's options (`transaction:false foo:bar`), as dbmate's parseMigrationOptions reads them. */
export function dbmateOptions(markerLine: string): Map<string, string> {
  const options = new Map<string, string>();
  const rest = markerLine.replace(MARKER, "").trim();
  if (rest === "") return options;
  for (const pair of rest.split(/\s+/)) {
    const kv = pair.split(":");
    if (kv.length === 2) options.set(kv[0]!, kv[1]!);
  }
  return options;
}

/** Splits one dbmate file into its sections, or says why dbmate would refuse it. */
export function parseDbmateFile(
  file: SourceFile,
): { up: Section[]; down: Section[]; problems: ImportProblem[] } {
  const lines = splitLines(file.text);
  const problems: ImportProblem[] = [];
  const upAt = lines.filter((l) => UP.test(l.text));
  if (upAt.length === 0) {
    problems.push({
      file: file.path,
      message: 'no "-- migrate:up" line',
      hint: "dbmate refuses such a file too: add the marker above the migration's SQL",
    });
    return { up: [], down: [], problems };
  }
  const first = upAt[0]!.number;
  const header = lines.slice(0, first - 1);
  const stray = header.find((l) => l.text.trim() !== "" && !COMMENT.test(l.text));
  if (stray) {
    problems.push({
      file: file.path,
      line: stray.number,
      message: 'SQL before the first "-- migrate:up" line',
      hint: "dbmate refuses such a file too: move the statement below the marker",
    });
  }
  const up: Section[] = [];
  const down: Section[] = [];
  for (let s = 0; s < upAt.length; s++) {
    const start = upAt[s]!.number; // 1-based line of the marker
    const end = s + 1 < upAt.length ? upAt[s + 1]!.number - 1 : lines.length;
    const body = lines.slice(start, end); // the lines after the marker
    const downs = body.filter((l) => DOWN.test(l.text));
    if (downs.length === 0) {
      problems.push({
        file: file.path,
        line: start,
        message: 'a "-- migrate:up" section without a "-- migrate:down" line',
        hint: 'dbmate refuses such a file too: add "-- migrate:down" (it may stay empty)',
      });
      continue;
    }
    if (downs.length > 1) {
      problems.push({
        file: file.path,
        line: downs[1]!.number,
        message: 'a second "-- migrate:down" line in one section',
        hint:
          'dbmate refuses such a file too: each "-- migrate:down" follows its own "-- migrate:up"',
      });
      continue;
    }
    const downLine = downs[0]!.number;
    // The header's comments stay with the first up section, where they were written.
    const upLines: Line[] = [...(s === 0 ? header : []), ...lines.slice(start, downLine - 1)];
    up.push(section(file.path, upLines, start + 1, upAt[s]!.text));
    down.push(section(file.path, lines.slice(downLine, end), downLine + 1, downs[0]!.text));
  }
  return { up, down, problems };
}

function section(file: string, lines: Line[], fallback: number, marker: string): Section {
  return {
    file,
    line: lines[0]?.number ?? fallback,
    text: lines.map((l) => l.text + "\n").join(""),
    transaction: dbmateOptions(marker).get("transaction") !== "false",
  };
}

/** Reads a dbmate folder: its top-level `.sql` files whose names start with digits. */
export function readDbmate(files: SourceFile[]): ReadResult {
  const problems: ImportProblem[] = [];
  const notes: ImportNote[] = [];
  const migrations: SourceMigration[] = [];
  const byKey = new Map<string, string>();
  // dbmate applies files in the order of their names.
  for (const file of [...files].sort((a, b) => byCodeUnits(a.path, b.path))) {
    if (depth(file.path) !== 1) continue;
    const m = NAME.exec(file.path);
    if (!m) {
      if (file.path.toLowerCase().endsWith(".sql")) {
        notes.push({
          file: file.path,
          message: "not read: dbmate ignores a .sql file whose name does not start with digits",
        });
      }
      continue;
    }
    const digits = m[1]!;
    const twin = byKey.get(digits);
    if (twin !== undefined) {
      problems.push({
        file: file.path,
        message: `version ${digits} is also the version of "${twin}"`,
        hint: "dbmate would record both as one version; renumber one of them",
      });
      continue;
    }
    byKey.set(digits, file.path);
    const parsed = parseDbmateFile(file);
    problems.push(...parsed.problems);
    if (parsed.problems.length > 0) continue;
    migrations.push({
      key: digits,
      rawVersion: digits,
      description: file.path.slice(digits.length, -".sql".length).replace(/^[_\-.\s]+/, ""),
      up: parsed.up,
      down: parsed.down,
      source: file.path,
    });
  }
  return { migrations, problems, notes };
}
