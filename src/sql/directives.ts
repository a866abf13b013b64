// A migration normally runs in one transaction with its tracking row, so a failure leaves nothing
// half done. Some PostgreSQL statements refuse to run in a transaction block; a file holding one
// must run outside, and says so with `-- db-migrate: no-transaction` or is recognised here.

import { lineColumn } from "./position.ts";
import { eachStatement, type Statement, stripComments } from "./split.ts";
import { TransactionControlReader, type TransactionPlan } from "./transaction.ts";

/** How a migration file must be run. */
export interface Directives {
  transaction: boolean;
  /** Why the file runs outside a transaction: `"directive at line 1"`, `"VACUUM at line 4"`. */
  reason?: string;
  /** The file's own BEGIN/COMMIT and how they run (see transaction_control.ts). */
  control: TransactionPlan;
  /** The longest statement, in UTF-16 code units, and where it starts (null for a file without any). */
  largest: { length: number; line: number; column: number } | null;
}

/** A `-- db-migrate:` comment that the program does not understand. */
export class DirectiveError extends Error {
  /** 1-based line of the directive. */
  line: number;

  constructor(message: string, line: number) {
    super(message);
    this.name = "DirectiveError";
    this.line = line;
  }
}

const DIRECTIVE = /^\s*db-migrate\s*:(.*)$/i;
const KNOWN = "no-transaction";
// A SQL seed's `-- db-migrate: resets TABLE[, TABLE...]`: the tables `seed --reset` empties for it.
const RESETS = /^resets\s+(.+)$/i;

// A name, possibly schema-qualified and quoted. Each repetition takes one character or one whole
// quoted part, and a quoted part cannot end before a `"`, so `"a""b"` parses one way only and a
// failed match cannot backtrack exponentially.
const NAME = String.raw`(?:"(?:[^"]|"")*"(?!")|[^\s"])+`;

// Statements PostgreSQL runs only outside a transaction block (PreventInTransactionBlock() in its
// sources), matched at the start of the statement with comments removed.
const REFUSE_TRANSACTION: [RegExp, (m: RegExpExecArray) => string][] = [
  [
    /^create\s+(unique\s+)?index\s+concurrently\b/i,
    (m) => `CREATE ${m[1] ? "UNIQUE " : ""}INDEX CONCURRENTLY`,
  ],
  [/^drop\s+index\s+concurrently\b/i, () => "DROP INDEX CONCURRENTLY"],
  [
    /^reindex\b\s*(?:\([^)]*\)\s*)?(?:index|table|schema|database|system)\s+concurrently\b/i,
    () => "REINDEX CONCURRENTLY",
  ],
  [
    /^reindex\b\s*(?:\([^)]*\)\s*)?(schema|database|system)\b/i,
    (m) => `REINDEX ${m[1]?.toUpperCase()}`,
  ],
  [/^vacuum\b/i, () => "VACUUM"],
  [
    /^(create|drop)\s+(database|tablespace|subscription)\b/i,
    (m) => `${m[1]?.toUpperCase()} ${m[2]?.toUpperCase()}`,
  ],
  [/^alter\s+system\b/i, () => "ALTER SYSTEM"],
  [
    new RegExp(String.raw`^alter\s+database\s+${NAME}\s+set\s+tablespace\b`, "i"),
    () => "ALTER DATABASE SET TABLESPACE",
  ],
  [
    new RegExp(
      String.raw`^alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?${NAME}\s+detach\s+partition\s+` +
        String.raw`${NAME}\s+concurrently\b`,
      "i",
    ),
    () => "ALTER TABLE ... DETACH PARTITION CONCURRENTLY",
  ],
  // Refreshing a subscription (the default of SET/ADD/DROP PUBLICATION) cannot run in a block.
  [
    new RegExp(
      String.raw`^alter\s+subscription\s+${NAME}\s+(?:refresh|set|add|drop)\s+publication\b`,
      "i",
    ),
    () => "ALTER SUBSCRIPTION ... PUBLICATION",
  ],
];

// Cheap first-word filter, so a large INSERT is never stripped of comments or matched.
const FIRST_WORDS = new Set(["create", "drop", "reindex", "vacuum", "alter"]);

/** What makes a PostgreSQL statement refuse a transaction block (`"VACUUM"`), or null. */
export function refusesTransaction(statement: string): string | null {
  const firstWord = /^[a-z]+/i.exec(statement.trimStart())?.[0]?.toLowerCase();
  if (firstWord === undefined || !FIRST_WORDS.has(firstWord)) return null;
  const text = stripComments(statement, "postgres").trimStart();
  for (const [pattern, label] of REFUSE_TRANSACTION) {
    const m = pattern.exec(text);
    if (m) return label(m);
  }
  return null;
}

// The line of a no-transaction directive in the comments before the first statement, or null.
function headerDirective(sql: string, headerEnd: number): number | null {
  let found: number | null = null;
  let i = sql.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < headerEnd) {
    const c = sql[i];
    if (c === "-" && sql[i + 1] === "-") {
      let end = i + 2;
      while (end < headerEnd && sql[end] !== "\n" && sql[end] !== "\r") end++;
      const m = DIRECTIVE.exec(sql.slice(i + 2, end));
      if (m) {
        const line = lineColumn(sql, i).line;
        const value = (m[1] ?? "").trim().toLowerCase();
        if (RESETS.test(value)) {
          i = end;
          continue;
        }
        if (value !== KNOWN) {
          throw new DirectiveError(
            value === ""
              ? `empty db-migrate directive at line ${line}: write "-- db-migrate: ${KNOWN}"`
              : `unknown db-migrate directive "${value}" at line ${line}: ` +
                `the directives are "${KNOWN}" and, in a SQL seed, "resets TABLE"`,
            line,
          );
        }
        found ??= line;
      }
      i = end;
    } else if (c === "/" && sql[i + 1] === "*") {
      // Directives inside block comments are not read; skip the comment with its nesting.
      let depth = 1;
      i += 2;
      while (i < headerEnd && depth > 0) {
        if (sql[i] === "*" && sql[i + 1] === "/") {
          depth--;
          i += 2;
        } else if (sql[i] === "/" && sql[i + 1] === "*") {
          depth++;
          i += 2;
        } else {
          i++;
        }
      }
    } else {
      i++;
    }
  }
  return found;
}

/**
 * Reads `-- db-migrate: no-transaction` from the file's leading comment lines, detects statements
 * that PostgreSQL refuses to run in a transaction, and checks the file's own transaction control,
 * while the statements stream by (from the same pass that checks the file): add() each statement,
 * then finish() with the file's text.
 */
export class DirectivesReader {
  #firstOffset = -1;
  #detected: string | null = null;
  #largest: Directives["largest"] = null;
  readonly #control = new TransactionControlReader();

  /** Reads one statement, in file order. */
  add(statement: Statement): void {
    if (this.#firstOffset < 0) this.#firstOffset = statement.offset;
    const what = refusesTransaction(statement.text);
    if (what !== null) this.#detected ??= `${what} at line ${statement.line}`;
    if (statement.text.length > (this.#largest?.length ?? 0)) {
      this.#largest = {
        length: statement.text.length,
        line: statement.line,
        column: statement.column,
      };
    }
    this.#control.add(statement, what);
  }

  /** The directives of the file whose statements were read; throws DirectiveError or TransactionControlError. */
  finish(sql: string): Directives {
    const first = this.#firstOffset;
    const directiveLine = headerDirective(sql, first < 0 ? sql.length : first);
    const reason = directiveLine !== null ? `directive at line ${directiveLine}` : this.#detected;
    const transaction = reason === null;
    return {
      transaction,
      ...(reason === null ? {} : { reason }),
      control: this.#control.finish(transaction),
      largest: this.#largest,
    };
  }
}

/** The directives of a PostgreSQL file (see DirectivesReader), in one pass over its statements. */
export function fileDirectives(sql: string): Directives {
  const reader = new DirectivesReader();
  eachStatement(sql, "postgres", (statement) => reader.add(statement));
  return reader.finish(sql);
}

/**
 * The tables a SQL seed names in `-- db-migrate: resets TABLE[, TABLE...]` lines among its leading
 * comments (seed --reset empties them before applying the seeds again), in order, without repeats.
 */
export function resetsDirective(sql: string): string[] {
  const tables: string[] = [];
  let i = sql.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "-" && sql[i + 1] === "-") {
      let end = i + 2;
      while (end < sql.length && sql[end] !== "\n" && sql[end] !== "\r") end++;
      const value = DIRECTIVE.exec(sql.slice(i + 2, end))?.[1]?.trim() ?? "";
      const m = RESETS.exec(value);
      for (const t of m?.[1]?.split(/[\s,]+/) ?? []) {
        if (t !== "" && !tables.includes(t)) tables.push(t);
      }
      i = end;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (/\s/.test(c)) {
      i++;
    } else {
      break; // the first statement: directives live above it
    }
  }
  return tables;
}
