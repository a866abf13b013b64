// Single-file up/down sections: `{version}_{description}.sql` (a timestamp such as
// `20240101120000`), holding `-- UP MIGRATION` and `-- DOWN MIGRATION` comment lines, applied in
// name order and recorded one row per version in a plain `schema_migrations(version)`. The marker
// is read as node-pg-migrate reads it (sqlMigration.ts: `^\s*--[\s-]*up\s+migration`, any case),
// so `-- Up Migration` and `-- UP MIGRATION` both count. Without markers, the whole file is the up
// migration. Each file runs in one transaction.

import { baseName, byCodeUnits, depth, isBlank, type Line, splitLines } from "./text.ts";
import type {
  ImportNote,
  ImportProblem,
  ReadResult,
  Section,
  SourceFile,
  SourceMigration,
} from "./types.ts";

const NAME = /^(\d+)_(.+)\.sql$/;
const UP = /^\s*--[\s-]*up\s+migration/i;
const DOWN = /^\s*--[\s-]*down\s+migration/i;
const COMMENT = /^\s*--/;

/** The key of a version, as a plain `schema_migrations.version` holds it (text or integer). */
export function sectionsKey(digits: string): string {
  return BigInt(digits).toString();
}

/** The key of a source path (`20240101120000_x.sql`), or null when it is not a migration name. */
export function sectionsKeyOf(source: string): string | null {
  const m = NAME.exec(baseName(source));
  return m?.[1] === undefined ? null : sectionsKey(m[1]);
}

/** Splits one file at its markers, or says why it is ambiguous. */
export function parseSectionsFile(
  file: SourceFile,
): { up: Section | null; down: Section | null; problems: ImportProblem[] } {
  const lines = splitLines(file.text);
  const problems: ImportProblem[] = [];
  const ups = lines.filter((l) => UP.test(l.text));
  const downs = lines.filter((l) => DOWN.test(l.text));
  for (const [marks, what] of [[ups, "UP"], [downs, "DOWN"]] as const) {
    if (marks.length > 1) {
      problems.push({
        file: file.path,
        line: marks[1]!.number,
        message: `a second "-- ${what} MIGRATION" line`,
        hint: "keep one marker per direction",
      });
    }
  }
  if (ups.length === 0 && downs.length > 0) {
    problems.push({
      file: file.path,
      line: downs[0]!.number,
      message: '"-- DOWN MIGRATION" without "-- UP MIGRATION": which part is the migration?',
      hint: 'add "-- UP MIGRATION" above the migration\'s SQL',
    });
  }
  if (problems.length > 0) return { up: null, down: null, problems };
  if (ups.length === 0) {
    return {
      up: { file: file.path, line: 1, text: file.text, transaction: true },
      down: null,
      problems,
    };
  }
  const marks = [...ups, ...downs].sort((a, b) => a.number - b.number);
  const first = marks[0]!.number;
  const stray = lines.slice(0, first - 1).find((l) => !isBlank(l.text) && !COMMENT.test(l.text));
  if (stray) {
    problems.push({
      file: file.path,
      line: stray.number,
      message: "SQL before the first section marker belongs to neither section",
      hint: 'move it below "-- UP MIGRATION" or remove it',
    });
    return { up: null, down: null, problems };
  }
  const header = lines.slice(0, first - 1);
  const cut = (marker: Line): Line[] => {
    const next = marks.find((m) => m.number > marker.number);
    return lines.slice(marker.number, next ? next.number - 1 : lines.length);
  };
  const up = ups[0]!;
  const upLines = [...header, ...cut(up)];
  const down = downs[0];
  return {
    up: section(file.path, upLines, up.number + 1),
    down: down ? section(file.path, cut(down), down.number + 1) : null,
    problems,
  };
}

function section(file: string, lines: Line[], fallback: number): Section {
  return {
    file,
    line: lines[0]?.number ?? fallback,
    text: lines.map((l) => l.text + "\n").join(""),
    transaction: true,
  };
}

/** Reads a folder of single-file up/down migrations (its top-level `.sql` files). */
export function readSections(files: SourceFile[]): ReadResult {
  const problems: ImportProblem[] = [];
  const notes: ImportNote[] = [];
  const migrations: SourceMigration[] = [];
  const byKey = new Map<string, string>();
  for (const file of [...files].sort((a, b) => byCodeUnits(a.path, b.path))) {
    if (depth(file.path) !== 1 || !file.path.toLowerCase().endsWith(".sql")) continue;
    const m = NAME.exec(file.path);
    if (!m) {
      problems.push({
        file: file.path,
        message: "not a migration name: expected {version}_{description}.sql",
        hint: "rename it (YYYYMMDDHHMMSS_description.sql), or move it out of the source folder",
      });
      continue;
    }
    const key = sectionsKey(m[1]!);
    const twin = byKey.get(key);
    if (twin !== undefined) {
      problems.push({
        file: file.path,
        message: `version ${m[1]} is also the version of "${twin}"`,
        hint: "renumber one of them",
      });
      continue;
    }
    byKey.set(key, file.path);
    const parsed = parseSectionsFile(file);
    problems.push(...parsed.problems);
    if (!parsed.up) continue;
    migrations.push({
      key,
      rawVersion: m[1]!,
      description: m[2]!,
      up: [parsed.up],
      down: parsed.down ? [parsed.down] : [],
      source: file.path,
    });
  }
  return { migrations, problems, notes };
}
