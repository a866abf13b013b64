// CSV seeds (`NNN_<table>.csv`, header row = columns): the file is checked from end to end before
// anything is written (shape, quotes, UTF-8), holding only the header and a count; the drivers read
// its records again when they load it. An unquoted empty field is NULL and `""` the empty text, as
// PostgreSQL's CSV format reads them; a quoted field keeps its bytes (a CR LF inside stays).

import type { Node as YamlNode, Scalar, YAMLMap } from "yaml";
import { bytePos, isEndMarker } from "./csv_scan.ts";
import { type CsvRecordView, CsvSyntaxError, eachRecord } from "./csv_file.ts";
import { seedError } from "./errors.ts";
import { loadYaml, splitTableName, yamlPos } from "./yaml.ts";
import type { CsvSeed, Pos } from "./types.ts";

/** Reads the sidecar `NNN_<table>.yaml`: `key: [columns]` and optionally `table: schema.name`. */
async function readSidecar(
  src: CsvSource,
): Promise<{ key: CsvSeed["key"]; table: string | null }> {
  if (!src.sidecar) return { key: null, table: null };
  const { path, text } = src.sidecar;
  const yaml = await loadYaml();
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number | undefined): Pos => yamlPos(lineCounter, offset);
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

/** The table a CSV file loads: `010_audit.events.csv` → `audit.events`. */
export function tableFromFileName(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1).replace(/\.csv$/i, "");
  return base.replace(/^\d+_/, "");
}

/** Where a CSV file is, and its sidecar if there is one. */
export interface CsvSource {
  path: string;
  database: string;
  sidecar: { path: string; text: string } | null;
}

/** Line and column of field k of a record. */
export function fieldPos(r: CsvRecordView, k: number): Pos {
  return bytePos(r.buf, r.scan.starts[k]!, r.start, r.line);
}

/** Parses a CSV seed: the header, every record checked for shape, and the sidecar's key. */
export async function parseCsvSeed(src: CsvSource): Promise<CsvSeed> {
  const { path, database } = src;
  const fail = (pos: Pos, msg: string, hint?: string): never => {
    throw seedError({ path, database, pos }, msg, hint);
  };
  const sidecar = await readSidecar(src);
  const table = sidecar.table ?? tableFromFileName(path);
  if (!splitTableName(table)) {
    fail({ line: 1, column: 1 }, `"${table}" is not a table name`, "name the file NNN_<table>.csv");
  }
  const columns: CsvSeed["columns"] = [];
  let records = 0, endMarker = false;
  const visit = (r: CsvRecordView) => {
    const { scan, buf } = r;
    if (r.index === 0) {
      const seen = new Set<string>();
      for (let k = 0; k < scan.count; k++) {
        const pos = fieldPos(r, k);
        const name = scan.value(buf, k)?.trim() ?? "";
        if (name === "") fail(pos, "a header field is empty", "name every column in the first row");
        if (seen.has(name)) fail(pos, `column "${name}" appears twice in the header`);
        seen.add(name);
        columns.push({ name, pos });
      }
      return;
    }
    if (scan.count !== columns.length) {
      const pos = scan.count > columns.length
        ? fieldPos(r, columns.length)
        : bytePos(buf, scan.end, r.start, r.line);
      fail(
        pos,
        `bad CSV line: ${scan.count} ${
          scan.count === 1 ? "field" : "fields"
        }, the header has ${columns.length}`,
        "quote fields that contain commas",
      );
    }
    if (isEndMarker(buf, r.start, scan.end)) endMarker = true;
    records++;
  };
  let shape;
  try {
    shape = await eachRecord(path, visit);
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    if (err.opened) {
      // A quote left open swallows the line break: point at the quote, where the mistake is.
      fail(
        err.opened,
        `bad CSV line: the quoted field opened here runs on to line ${err.pos.line}`,
        'close the quote, or write a quote inside a quoted field as ""',
      );
    }
    if (err.message === "a quoted field is not closed") {
      fail(
        err.pos,
        `bad CSV line: ${err.message}`,
        'close the quote, or write a quote inside a quoted field as ""',
      );
    }
    return fail(
      err.pos,
      `${err.message.startsWith("invalid UTF-8") ? "" : "bad CSV line: "}${err.message}`,
    );
  }
  if (columns.length === 0) {
    fail({ line: 1, column: 1 }, "the file is empty", "start with a header row");
  }
  const plain = shape.blankLines === 0 && !endMarker &&
    (shape.lfRecords === 0 || shape.crlfRecords === 0);
  return {
    format: "csv",
    path,
    table,
    columns,
    records,
    key: sidecar.key,
    bom: shape.bom,
    plain,
  };
}

/**
 * Finds record `index` (1-based, blank lines not counted) and calls fn with it; false when the
 * file has fewer records.
 */
export async function withRecord(
  seed: CsvSeed,
  index: number,
  fn: (r: CsvRecordView) => void,
): Promise<boolean> {
  let found = false;
  await eachRecord(seed.path, (r) => {
    if (r.index < index) return true;
    fn(r);
    found = true;
    return false;
  });
  return found;
}
