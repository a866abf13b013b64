// Which statement of a file a change most likely comes from, so that a file whose second run
// changes something (without failing) is reported with a line, as a failure is. A best guess from
// the names the change is about: the first statement that writes the table, alters the column or
// names the object. Pure.

import { type Change, objectOf, splitLast } from "./diff.ts";
import type { SnapshotObject } from "./snapshot.ts";

/** A statement of a file and where it starts (the splitter's Statement has these fields). */
export interface StatementAt {
  text: string;
  line: number;
  column: number;
}

/** Where in a file something is. */
export interface Location {
  line: number;
  column: number;
  /** The statement's text, when the file is SQL. */
  statement?: string;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A pattern for one part of a qualified name, as SQL may write it: bare or quoted. */
function identifier(part: string): string {
  if (part.startsWith('"')) return escape(part);
  return `(?:"${escape(part)}"|(?<![\\w$"])${escape(part)}(?![\\w$]))`;
}

/** A pattern for a qualified name written with or without its schema. */
function qualified(name: string): string {
  const [schema, own] = splitLast(name);
  return schema === ""
    ? identifier(own)
    : `(?:${identifier(schema)}\\s*\\.\\s*)?${identifier(own)}`;
}

/** The name of an object without the parameter list of a function. */
function bareName(o: SnapshotObject): string {
  const paren = o.name.indexOf("(");
  return paren < 0 ? o.name : o.name.slice(0, paren);
}

interface Search {
  /** Every pattern must occur in the statement. */
  all: RegExp[];
  /** A statement that also matches this one is preferred. */
  prefer?: RegExp;
}

const WRITES = String
  .raw`(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY|MERGE\s+INTO|TRUNCATE(?:\s+TABLE)?)\s+(?:ONLY\s+)?`;

/** What to look for, most specific first, for the object a change is about. */
function searches(o: SnapshotObject): Search[] {
  const re = (p: string) => new RegExp(p, "i");
  const [parent, own] = splitLast(bareName(o));
  switch (o.kind) {
    case "rows":
      return [{ all: [re(WRITES + qualified(o.name))] }, { all: [re(qualified(o.name))] }];
    case "column":
      return [{
        all: [re(qualified(parent)), re(identifier(own))],
        prefer: re(String.raw`^ALTER\s+TABLE`),
      }];
    case "constraint":
    case "trigger":
    case "policy":
    case "rule":
      return [
        { all: [re(identifier(own))] },
        {
          all: [re(qualified(parent))],
          prefer: re(String.raw`\b(?:ADD|UNIQUE|PRIMARY\s+KEY|CHECK|REFERENCES|EXCLUDE)\b`),
        },
      ];
    case "index": {
      const table = o.props.table;
      return [
        { all: [re(identifier(own))] },
        ...(table ? [{ all: [re(String.raw`\bINDEX\b`), re(qualified(table))] }] : []),
      ];
    }
    default:
      return [{ all: [re(qualified(bareName(o)))] }];
  }
}

/** The line where a YAML seed names a table at the top level (`users:` or `"audit.events":`). */
function yamlTableLine(text: string, table: string): Location | null {
  const [schema, own] = splitLast(table);
  const names = [own, schema === "" || schema === "public" ? null : `${schema}.${own}`]
    .filter((n): n is string => n !== null).map((n) => n.replace(/^"|"$/g, ""));
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    for (const n of names) {
      if (new RegExp(`^(["']?)${escape(n)}\\1\\s*:`).test(lines[i]!)) {
        return { line: i + 1, column: 1 };
      }
    }
  }
  return null;
}

/**
 * The statement a file's change most likely comes from: for an SQL file the first statement that
 * matches the first change it can place, for a YAML seed the table's key. Null when none fits.
 */
export function locateChange(
  changes: readonly Change[],
  file: { format: string; text: string },
  statements: readonly StatementAt[] | null,
): Location | null {
  for (const change of changes) {
    const o = objectOf(change);
    if (file.format === "yaml") {
      const table = o.kind === "rows" ? o.name : o.kind === "column" ? splitLast(o.name)[0] : null;
      const at = table === null ? null : yamlTableLine(file.text, table);
      if (at) return at;
      continue;
    }
    if (!statements) return null;
    for (const search of searches(o)) {
      const hits = statements.filter((s) => search.all.every((p) => p.test(s.text)));
      const hit = hits.find((s) => search.prefer?.test(s.text)) ?? hits[0];
      if (hit) return { line: hit.line, column: hit.column, statement: hit.text };
    }
  }
  return null;
}
