// goose: `{version}_{description}.sql` (and `.go`) in one folder, the version the integer before
// the first `_` (NumericComponent in migration.go): numbered (`00001_`) or timestamped
// (`20240101120000_`), both plain integers. A file is cut by annotation lines
// (internal/sqlparser/parser.go): `-- +goose Up`, `-- +goose Down`, `-- +goose StatementBegin` /
// `StatementEnd` around a statement holding `;` (a function body), `-- +goose NO TRANSACTION`
// (for the whole file, both directions) and `-- +goose ENVSUB ON|OFF` (environment variables
// substituted into the SQL). Annotations match case-insensitively, must start the line, and
// outside a StatementBegin block a statement ends at a line whose last word ends with `;`.

import { baseName, byCodeUnits, depth, type Line, splitLines } from "./text.ts";
import type {
  ImportNote,
  ImportProblem,
  ReadResult,
  Section,
  SourceFile,
  SourceMigration,
} from "./types.ts";

type Annotation =
  | "Up"
  | "Down"
  | "StatementBegin"
  | "StatementEnd"
  | "NO TRANSACTION"
  | "ENVSUB ON"
  | "ENVSUB OFF";
const ANNOTATIONS: Annotation[] = [
  "Up",
  "Down",
  "StatementBegin",
  "StatementEnd",
  "NO TRANSACTION",
  "ENVSUB ON",
  "ENVSUB OFF",
];

const MAX_INT64 = (1n << 63n) - 1n;

/** goose's version of a file name, or why goose refuses it (NumericComponent). */
export function gooseVersion(name: string): { version: bigint } | { why: string } {
  const sep = name.indexOf("_");
  if (sep < 0) return { why: 'no "_" after the version' };
  const digits = name.slice(0, sep);
  // strconv.ParseInt takes an optional sign; a version must be above zero anyway.
  if (!/^\+?\d+$/.test(digits)) return { why: `"${digits}" is not a version number` };
  const version = BigInt(digits.replace("+", ""));
  if (version > MAX_INT64) return { why: `${digits} does not fit goose's int64 versions` };
  if (version < 1n) return { why: "a version must be greater than zero" };
  return { version };
}

/** The key goose compares with `goose_db_version.version_id`: the version as an integer. */
export function gooseKeyOf(source: string): string | null {
  const v = gooseVersion(baseName(source));
  return "version" in v ? v.version.toString() : null;
}

/** Whether a line is an annotation line, as goose decides before parsing it. */
function isAnnotationLine(line: string): boolean {
  return line.trim().startsWith("--") && line.includes("+goose");
}

/** The annotation of an annotation line, or why goose refuses it (extractAnnotation). */
export function gooseAnnotation(line: string): { annotation: Annotation } | { why: string } {
  if (line.startsWith(" ") || line.startsWith("\t")) {
    return { why: "an annotation must start the line (goose refuses leading whitespace)" };
  }
  let cmd = line.replaceAll("--", "").replace("+goose", "");
  if (cmd.includes("+goose")) return { why: 'two "+goose" annotations on one line' };
  cmd = cmd.trim();
  if (cmd === "") return { why: "an empty goose annotation" };
  const found = ANNOTATIONS.find((a) => a.toLowerCase() === cmd.toLowerCase());
  return found ? { annotation: found } : { why: `"${cmd}" is not a goose annotation` };
}

/** Whether goose sees a statement end on this line: its last word before a `--` ends with `;`. */
export function gooseEndsStatement(line: string): boolean {
  let prev = "";
  for (const word of line.split(/\s+/)) {
    if (word === "") continue;
    if (word.startsWith("--")) break;
    prev = word;
  }
  return prev.endsWith(";");
}

type State = "start" | "up" | "beginUp" | "endUp" | "down" | "beginDown" | "endDown";
const UP_STATES = new Set<State>(["up", "beginUp", "endUp"]);

/** What goose's parser makes of one direction of a file. */
export interface GooseParse {
  /** The statements goose sends, one by one, as it cuts them (comments inside kept). */
  statements: string[];
  /** The first error goose stops at, with its line, or null. */
  error: { line: number; message: string } | null;
}

/**
 * goose's parser for one direction (ParseSQLMigration), line for line: the statements it sends,
 * or the first error. Errors in the other direction's SQL are not seen, as in goose.
 */
export function gooseParse(lines: Line[], direction: "up" | "down"): GooseParse {
  let state: State = "start";
  let buffer: Line[] = [];
  const statements: string[] = [];
  const fail = (line: number, message: string): GooseParse => ({
    statements,
    error: { line, message },
  });
  const unfinished = (at: number) =>
    fail(
      buffer[0]?.number ?? at,
      `the ${direction} statement starting here does not end with ";" at the end of a line: ` +
        "goose would refuse it (missing semicolon)",
    );
  const emit = () => {
    statements.push(buffer.map((b) => b.text).join("\n").trim());
    buffer = [];
  };
  for (const l of lines) {
    const text = l.text;
    if (state === "start" && text.trim() === "") continue;
    if (isAnnotationLine(text)) {
      const a = gooseAnnotation(text);
      if ("why" in a) return fail(l.number, a.why);
      switch (a.annotation) {
        case "Up":
          if (state !== "start") return fail(l.number, 'a second "-- +goose Up"');
          state = "up";
          continue;
        case "Down":
          if (state !== "up" && state !== "endUp") {
            return fail(
              l.number,
              '"-- +goose Down" before "-- +goose Up" or inside a StatementBegin block',
            );
          }
          if (buffer.some((b) => b.text.trim() !== "")) return unfinished(l.number);
          state = "down";
          continue;
        case "StatementBegin":
          if (state === "up" || state === "endUp") state = "beginUp";
          else if (state === "down" || state === "endDown") state = "beginDown";
          else {
            return fail(
              l.number,
              '"-- +goose StatementBegin" outside an Up or Down section, or inside another ' +
                "StatementBegin block",
            );
          }
          continue;
        case "StatementEnd":
          if (state === "beginUp") state = "endUp";
          else if (state === "beginDown") state = "endDown";
          else return fail(l.number, '"-- +goose StatementEnd" without "-- +goose StatementBegin"');
          break; // goose goes on with the line: it ends the block's statement
        default:
          continue;
      }
    }
    if (buffer.length === 0 && (text.trim().startsWith("--") || text === "")) continue;
    if (state !== "endUp" && state !== "endDown") buffer.push(l);
    if (state === "start") return fail(l.number, 'SQL before "-- +goose Up"');
    if (UP_STATES.has(state) !== (direction === "up")) {
      buffer = [];
      continue;
    }
    if (state === "up" || state === "down") {
      if (gooseEndsStatement(text)) emit();
    } else if (state === "endUp" || state === "endDown") {
      emit();
      state = state === "endUp" ? "up" : "down";
    }
  }
  const last = lines[lines.length - 1]?.number ?? 1;
  if (state === "start") return fail(1, 'no "-- +goose Up" annotation');
  if (state === "beginUp" || state === "beginDown") {
    return fail(last, '"-- +goose StatementBegin" without "-- +goose StatementEnd"');
  }
  if (buffer.some((b) => b.text.trim() !== "")) return unfinished(last);
  return { statements, error: null };
}

/** The first error goose's parser stops at in one direction of a file, or null. */
export function gooseParseError(
  lines: Line[],
  direction: "up" | "down",
): { line: number; message: string } | null {
  return gooseParse(lines, direction).error;
}

/**
 * Cuts a goose file into its Up and Down SQL: annotation lines dropped, everything else kept as
 * written (comments too). A StatementBegin block whose last line does not end its statement gets
 * a `;`, since goose sends the block as a statement of its own and our tokenizer needs the end.
 */
export function gooseSections(
  file: SourceFile,
): { up: Line[]; down: Line[]; transaction: boolean; envsub: Line[] } {
  const up: Line[] = [], down: Line[] = [], envsub: Line[] = [];
  let transaction = true;
  let into: Line[] | null = null;
  let blockStart = -1;
  const header: Line[] = [];
  for (const l of splitLines(file.text)) {
    if (!isAnnotationLine(l.text)) {
      (into ?? header).push(l);
      continue;
    }
    const a = gooseAnnotation(l.text);
    if ("why" in a) continue; // gooseParseError() reports it
    switch (a.annotation) {
      case "Up":
        into = up;
        // The comments above the Up annotation stay with the Up SQL, where they were written.
        up.push(...header);
        break;
      case "Down":
        into = down;
        break;
      case "StatementBegin":
        blockStart = into?.length ?? -1;
        break;
      case "StatementEnd":
        if (into && blockStart >= 0) terminateBlock(into, blockStart, l.number);
        blockStart = -1;
        break;
      case "NO TRANSACTION":
        transaction = false;
        break;
      case "ENVSUB ON":
        envsub.push(l);
        break;
      case "ENVSUB OFF":
        break;
    }
  }
  return { up, down, transaction, envsub };
}

function terminateBlock(lines: Line[], from: number, endLine: number): void {
  let i = lines.length - 1;
  while (i >= from && lines[i]!.text.trim() === "") i--;
  if (i < from) return;
  const last = lines[i]!;
  if (gooseEndsStatement(last.text)) return;
  if (last.text.includes("--")) lines.splice(i + 1, 0, { number: endLine, text: ";" });
  else lines[i] = { number: last.number, text: last.text.replace(/\s*$/, ";") };
}

function toSection(file: string, lines: Line[], transaction: boolean): Section {
  return {
    file,
    line: lines[0]?.number ?? 1,
    text: lines.map((l) => l.text + "\n").join(""),
    transaction,
  };
}

/** Reads a goose folder: its top-level `.sql` files (and `.go` files, which cannot be converted). */
export function readGoose(files: SourceFile[]): ReadResult {
  const problems: ImportProblem[] = [];
  const notes: ImportNote[] = [];
  const found: { version: bigint; file: SourceFile }[] = [];
  for (const file of [...files].sort((a, b) => byCodeUnits(a.path, b.path))) {
    if (depth(file.path) !== 1) continue;
    const isGo = file.path.endsWith(".go");
    if (!isGo && !file.path.endsWith(".sql")) continue;
    if (isGo && file.path.endsWith("_test.go")) continue;
    const v = gooseVersion(file.path);
    if ("why" in v) {
      // goose skips a .go file without a version prefix (a helper), and refuses such a .sql file.
      if (!isGo) {
        problems.push({
          file: file.path,
          message: `not a goose migration name: ${v.why}`,
          hint: "goose refuses this folder too; rename it {version}_{description}.sql",
        });
      }
      continue;
    }
    if (isGo) {
      problems.push({
        file: file.path,
        message: "a Go migration: db-migrate runs SQL files only",
        hint: "rewrite it as SQL in a migration of its own, or run it beside db-migrate",
      });
    }
    found.push({ version: v.version, file });
  }
  found.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  const migrations: SourceMigration[] = [];
  for (let i = 0; i < found.length; i++) {
    const { version, file } = found[i]!;
    const prev = found[i - 1];
    if (prev && prev.version === version) {
      problems.push({
        file: file.path,
        message: `version ${version} is also the version of "${prev.file.path}"`,
        hint: "goose refuses two migrations with one version too; renumber one of them",
      });
      continue;
    }
    if (file.path.endsWith(".go")) continue;
    const lines = splitLines(file.text);
    const errors = (["up", "down"] as const)
      .map((d) => gooseParseError(lines, d))
      .filter((e) => e !== null);
    // The same error found in both directions is one problem.
    for (const e of errors.filter((e, k) => errors.findIndex((o) => o.line === e.line) === k)) {
      problems.push({
        file: file.path,
        line: e.line,
        message: e.message,
        hint: "goose refuses this file too; fix it before importing",
      });
    }
    if (errors.length > 0) continue;
    const s = gooseSections(file);
    for (const l of s.envsub) {
      problems.push({
        file: file.path,
        line: l.number,
        message: "-- +goose ENVSUB ON substitutes environment variables into the SQL: db-migrate " +
          "has no substitution",
        hint: "write the values into the file and remove the annotation",
      });
    }
    const sep = file.path.indexOf("_");
    migrations.push({
      key: version.toString(),
      rawVersion: file.path.slice(0, sep).replace("+", ""),
      description: file.path.slice(sep + 1, -".sql".length),
      up: [toSection(file.path, s.up, s.transaction)],
      down: s.down.length > 0 ? [toSection(file.path, s.down, s.transaction)] : [],
      source: file.path,
    });
  }
  return { migrations, problems, notes };
}
