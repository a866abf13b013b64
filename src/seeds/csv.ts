// CSV seeds (`NNN_<table>.csv`, header row = columns): a strict RFC 4180 reader that finds every
// malformed line before anything is written, and the COPY stream built from the records it found.
// An unquoted empty field is NULL and `""` is the empty text, as PostgreSQL's CSV format reads them.

import type { Node as YamlNode, Scalar, YAMLMap } from "yaml";
import { seedError } from "./errors.ts";
import { loadYaml, splitTableName } from "./yaml.ts";
import type { CsvRecord, CsvSeed, Pos } from "./types.ts";

/** One field of a record: its text (null for an unquoted empty field) and where it starts. */
export interface CsvField {
  value: string | null;
  offset: number;
}

/** A record read from `start`, or the offset and reason it is malformed. */
export type ScanResult =
  | { fields: CsvField[]; end: number; next: number }
  /** `quoted`: where the quoted field the error is in starts, when it spans lines. */
  | { error: string; offset: number; quoted?: number };

/** Reads one record starting at `start` (which must not be past the end of text). */
export function scanRecord(text: string, start: number): ScanResult {
  const fields: CsvField[] = [];
  let i = start;
  for (;;) {
    const fieldStart = i;
    let value: string | null;
    if (text.charCodeAt(i) === 34 /* " */) {
      let out = "";
      let from = ++i;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return { error: "a quoted field is not closed", offset: fieldStart };
        if (text.charCodeAt(q + 1) === 34) {
          out += text.slice(from, q + 1);
          i = from = q + 2;
          continue;
        }
        out += text.slice(from, q);
        i = q + 1;
        break;
      }
      const c = text.charCodeAt(i);
      if (i < text.length && c !== 44 && c !== 10) {
        const spans = text.lastIndexOf("\n", i) > fieldStart;
        return {
          error: "text after the closing quote of a field",
          offset: i,
          ...(spans ? { quoted: fieldStart } : {}),
        };
      }
      value = out;
    } else {
      let j = i;
      while (j < text.length) {
        const c = text.charCodeAt(j);
        if (c === 44 || c === 10) break;
        if (c === 34) return { error: "a quote inside an unquoted field", offset: j };
        if (c === 13) return { error: "a carriage return inside an unquoted field", offset: j };
        j++;
      }
      value = j === i ? null : text.slice(i, j);
      i = j;
    }
    if (value !== null && value.includes("\0")) {
      return { error: "a NUL character (PostgreSQL text cannot hold it)", offset: fieldStart };
    }
    fields.push({ value, offset: fieldStart });
    if (i >= text.length) return { fields, end: i, next: i };
    if (text.charCodeAt(i) === 10) return { fields, end: i, next: i + 1 };
    i++; // the comma
  }
}

/** Line and column (1-based) of offset, counting from a known line start. */
export function posAt(text: string, offset: number, from = 0, line = 1): Pos {
  let lineStart = from;
  for (let i = text.indexOf("\n", from); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** The table a CSV file loads: `010_audit.events.csv` → `audit.events`. */
export function tableFromFileName(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1).replace(/\.csv$/i, "");
  return base.replace(/^\d+_/, "");
}

/** Where a CSV file is, and its sidecar if there is one. */
export interface CsvSource {
  path: string;
  database: string;
  text: string;
  sidecar: { path: string; text: string } | null;
}

/** Reads the sidecar `NNN_<table>.yaml`: `key: [columns]` and optionally `table: schema.name`. */
async function readSidecar(
  src: CsvSource,
): Promise<{ key: CsvSeed["key"]; table: string | null }> {
  if (!src.sidecar) return { key: null, table: null };
  const { path, text } = src.sidecar;
  const yaml = await loadYaml();
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number | undefined): Pos => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { line: Math.max(1, line), column: Math.max(1, col) };
  };
  const fail = (pos: Pos | null, msg: string, hint?: string): never => {
    throw seedError({ path, database: src.database, pos }, msg, hint);
  };
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) fail(at(problem.pos[0]), `invalid YAML: ${problem.message.split("\n")[0]}`);
  const root = doc.contents;
  if (root === null) return { key: null, table: null };
  if (!yaml.isMap(root)) {
    fail(at(root.range?.[0]), "the sidecar must be a map", "write `key: [slug]`");
  }
  let key: CsvSeed["key"] = null, table: string | null = null;
  for (const pair of (root as YAMLMap).items) {
    const k = pair.key as YamlNode;
    const v = pair.value as YamlNode | null;
    const name = yaml.isScalar(k) ? String(k.value) : "";
    const pos = at(v?.range?.[0] ?? k?.range?.[0]);
    if (name === "key") {
      const cols = yaml.isSeq(v)
        ? v.items.map((c) => (yaml.isScalar(c) && typeof c.value === "string" ? c.value : null))
        : yaml.isScalar(v) && typeof v.value === "string"
        ? [v.value]
        : null;
      if (!cols || cols.length === 0 || cols.some((c) => c === null)) {
        fail(pos, "`key` must be a list of column names", "write `key: [slug]`");
      }
      key = { columns: cols as string[], pos, path };
    } else if (name === "table") {
      if (!yaml.isScalar(v) || typeof v.value !== "string" || !splitTableName(v.value)) {
        fail(pos, "`table` must be a table name", "write `table: schema.table`");
      }
      table = String((v as Scalar).value);
    } else {
      fail(
        at(k?.range?.[0]),
        `unknown field "${name}" in a CSV sidecar`,
        "the fields are key and table",
      );
    }
  }
  return { key, table };
}

/** Parses a CSV seed: header, records (each checked for shape) and the sidecar's key. */
export async function parseCsvSeed(src: CsvSource): Promise<CsvSeed> {
  const { text, path, database } = src;
  const fail = (pos: Pos, msg: string, hint?: string): never => {
    throw seedError({ path, database, pos }, msg, hint);
  };
  const sidecar = await readSidecar(src);
  const table = sidecar.table ?? tableFromFileName(path);
  if (!splitTableName(table)) {
    fail({ line: 1, column: 1 }, `"${table}" is not a table name`, "name the file NNN_<table>.csv");
  }
  if (text.trim() === "") {
    fail({ line: 1, column: 1 }, "the file is empty", "start with a header row");
  }
  const header = scanRecord(text, 0);
  if ("error" in header) return fail(posAt(text, header.offset), `bad header: ${header.error}`);
  const columns: CsvSeed["columns"] = [];
  const seen = new Set<string>();
  for (const f of header.fields) {
    const pos = posAt(text, f.offset);
    const name = f.value?.trim() ?? "";
    if (name === "") fail(pos, "a header field is empty", "name every column in the first row");
    if (seen.has(name)) fail(pos, `column "${name}" appears twice in the header`);
    seen.add(name);
    columns.push({ name, pos });
  }
  const records: CsvRecord[] = [];
  let line = 1 + countNewlines(text, 0, header.next);
  let i = header.next;
  while (i < text.length) {
    if (text.charCodeAt(i) === 10) { // blank lines carry no record
      i++;
      line++;
      continue;
    }
    const r = scanRecord(text, i);
    if ("error" in r) {
      if (r.quoted !== undefined) {
        // A quote left open swallows the line break: point at the quote, where the mistake is.
        const open = posAt(text, r.quoted, i, line);
        fail(
          open,
          `bad CSV line: the quoted field opened here runs on to line ${
            posAt(text, r.offset, i, line).line
          }`,
          'close the quote, or write a quote inside a quoted field as ""',
        );
      }
      return fail(posAt(text, r.offset, i, line), `bad CSV line: ${r.error}`);
    }
    if (r.fields.length !== columns.length) {
      const pos = r.fields.length > columns.length
        ? posAt(text, r.fields[columns.length]!.offset, i, line)
        : posAt(text, r.end, i, line);
      fail(
        pos,
        `bad CSV line: ${r.fields.length} ${
          r.fields.length === 1 ? "field" : "fields"
        }, the header has ${columns.length}`,
        "quote fields that contain commas",
      );
    }
    records.push({ line, start: i, end: r.end });
    line += countNewlines(text, i, r.next);
    i = r.next;
  }
  return { format: "csv", path, table, columns, records, key: sidecar.key, text };
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf("\n", from); i >= 0 && i < to; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * The COPY data for a seed: each record as written, after its line number as an extra first field,
 * so a value the database rejects can be traced back to its line. Yields chunks of about `size`.
 */
export function* copyChunks(seed: CsvSeed, size = 1 << 18): Generator<string> {
  let buf = "";
  for (const r of seed.records) {
    buf += `${r.line},${seed.text.slice(r.start, r.end)}\n`;
    if (buf.length >= size) {
      yield buf;
      buf = "";
    }
  }
  if (buf) yield buf;
}
