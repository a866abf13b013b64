// Offline checks of a file that is about to run, made before any database is changed: text that
// cannot be split, a file with nothing to apply, psql meta-commands. Pure (no I/O), so a run and a
// `validate` command judge files alike.

import { ConfigError } from "../core/errors.ts";
import { lineColumn } from "./position.ts";
import {
  type Dialect,
  eachStatement,
  nonCodeRanges,
  SplitError,
  splitStatements,
  type Statement,
} from "./split.ts";
import type { TrackedFile } from "../core/types.ts";

/** A client meta-command found in a SQL file, and where. */
export interface MetaCommand {
  /** `\i`, `\connect`, `\set`: the backslash and the command's name. */
  command: string;
  line: number;
  column: number;
}

// A backslash that starts a line (after blanks): where psql reads a meta-command.
const LINE_START_BACKSLASH = /^[ \t\f\v]*\\/gm;

/** The first meta-command (`\i`, `\connect`, `\set` …) at the start of a line outside strings, comments and dollar-quoted bodies, or null. */
export function findMetaCommand(text: string, dialect: Dialect): MetaCommand | null {
  LINE_START_BACKSLASH.lastIndex = 0;
  if (!LINE_START_BACKSLASH.test(text)) return null; // the usual case costs one native search
  const ranges = nonCodeRanges(text, dialect);
  let r = 0;
  LINE_START_BACKSLASH.lastIndex = 0;
  for (let m; (m = LINE_START_BACKSLASH.exec(text)) !== null;) {
    const at = m.index + m[0].length - 1;
    while (r < ranges.length && ranges[r]![1] <= at) r++;
    const range = ranges[r];
    if (range && range[0] <= at) continue; // inside a string, comment or body
    const command = /^\\(?:[A-Za-z]+|[^\sA-Za-z])?/.exec(text.slice(at, at + 64))![0];
    return { command, ...lineColumn(text, at) };
  }
  return null;
}

/** Whether SQL text holds no statement: empty, blank, or comments only. Throws SplitError where it cannot be split. */
export function isEmptySql(text: string, dialect: Dialect): boolean {
  return splitStatements(text, dialect).length === 0;
}

function label(file: Pick<TrackedFile, "kind">): string {
  return file.kind === "seed" ? "seed" : "migration";
}

/**
 * Checks a SQL migration or seed before anything runs and returns how many statements it holds:
 * text that cannot be split (BAD_SQL_TEXT), no statement at all (EMPTY_FILE), a psql meta-command
 * (META_COMMAND). Each is a ConfigError (exit 2) naming the file, line and column. The statements
 * are counted, not kept: a large file's statement list would cost more than its text; a caller that
 * reads more of them (directives) does so in the same pass, through onStatement.
 */
export function checkSqlFile(
  file: Pick<TrackedFile, "kind" | "path" | "text">,
  dialect: Dialect,
  database: string,
  onStatement?: (statement: Statement) => void,
): number {
  let statements = 0;
  try {
    eachStatement(file.text, dialect, (s) => {
      statements++;
      onStatement?.(s);
    });
  } catch (err) {
    if (!(err instanceof SplitError)) throw err;
    throw new ConfigError(
      "BAD_SQL_TEXT",
      `cannot read "${file.path}" of database "${database}": ${err.message}`,
      {
        database,
        position: { file: file.path, line: err.line, column: err.column },
        hint: "close the string, comment or dollar-quoted body that starts there",
      },
    );
  }
  if (statements === 0) throw emptyFileError(file, database);
  const meta = findMetaCommand(file.text, dialect);
  if (meta) {
    const client = dialect === "postgres" ? "psql" : "clickhouse-client";
    throw new ConfigError(
      "META_COMMAND",
      `"${file.path}" of database "${database}" holds the ${client} command ${meta.command} at ` +
        `line ${meta.line}, column ${meta.column}: ${client} meta-commands are not SQL`,
      {
        database,
        position: { file: file.path, line: meta.line, column: meta.column },
        hint: `db-migrate sends each statement to the server, not to ${client}: write the SQL ` +
          "itself (the statements of an included file go in a migration of their own; " +
          "variables and \\connect have no equivalent: one folder per database)",
      },
    );
  }
  return statements;
}

/** The EMPTY_FILE error for a migration or seed that holds nothing to apply. */
export function emptyFileError(
  file: Pick<TrackedFile, "kind" | "path">,
  database: string,
): ConfigError {
  return new ConfigError(
    "EMPTY_FILE",
    `${label(file)} "${file.path}" of database "${database}" holds nothing to apply: ` +
      "it is empty or only comments",
    {
      database,
      position: { file: file.path },
      hint: `write the ${label(file)}, or delete the file: it would be recorded as applied`,
    },
  );
}
