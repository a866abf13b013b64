// YAML seeds through the `yaml` package's document API, so every value keeps its line and column.
// The package is imported on first use: a run without YAML seeds never loads it.

import type { Document, LineCounter, Node as YamlNode, ParsedNode } from "yaml";
import { bcryptCost, checkBcryptText } from "./bcrypt.ts";
import { seedError } from "./errors.ts";
import type { Pos, SeedRow, SeedTable, SeedValue, YamlSeed } from "./types.ts";

type Yaml = typeof import("yaml");

/** Tags a value may carry besides !bcrypt and !ref: the core schema's own. */
const CORE_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`),
);

/** Where a file is and how to reach the environment, for the parser. */
export interface YamlSource {
  path: string;
  database: string;
  text: string;
  /** BCRYPT_COST as set (default: the environment's). */
  bcryptCost?: string | undefined;
}

let yamlModule: Promise<Yaml> | null = null;

/** Imports `yaml` once, on first use. */
export function loadYaml(): Promise<Yaml> {
  yamlModule ??= import("yaml");
  return yamlModule;
}

/** Splits `audit.events` into schema and table; a plain name has no schema. */
export function splitTableName(name: string): { schema: string | null; table: string } | null {
  const parts = name.split(".");
  if (parts.length > 2 || parts.some((p) => p === "")) return null;
  return parts.length === 2
    ? { schema: parts[0]!, table: parts[1]! }
    : { schema: null, table: name };
}

/** Parses `TABLE.COLUMN=VALUE` (TABLE may be schema-qualified; VALUE may hold anything). */
export function parseRef(text: string): { table: string; column: string; value: string } | null {
  const eq = text.indexOf("=");
  if (eq < 0) return null;
  const left = text.slice(0, eq).trim();
  const dot = left.lastIndexOf(".");
  if (dot <= 0 || dot === left.length - 1) return null;
  const table = left.slice(0, dot), column = left.slice(dot + 1);
  if (!splitTableName(table)) return null;
  return { table, column, value: text.slice(eq + 1) };
}

/** Parses and checks the shape of a YAML seed: tables → rows, tags, keys (no database needed). */
export async function parseYamlSeed(src: YamlSource): Promise<YamlSeed> {
  const yaml = await loadYaml();
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(src.text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    customTags: [
      { tag: "!bcrypt", resolve: (s: string) => s },
      { tag: "!ref", resolve: (s: string) => s },
    ],
  });
  return new YamlReader(yaml, doc, lineCounter, src).read();
}

class YamlReader {
  #bcrypt = false;

  constructor(
    readonly yaml: Yaml,
    readonly doc: Document.Parsed,
    readonly lines: LineCounter,
    readonly src: YamlSource,
  ) {}

  pos(offset: number | undefined): Pos {
    const { line, col } = this.lines.linePos(offset ?? 0);
    return { line: Math.max(line, 1), column: Math.max(col, 1) };
  }

  nodePos(node: YamlNode | null | undefined): Pos {
    return this.pos(node?.range?.[0]);
  }

  fail(pos: Pos | null, message: string, hint?: string): never {
    throw seedError({ path: this.src.path, database: this.src.database, pos }, message, hint);
  }

  read(): YamlSeed {
    const first = this.doc.errors[0];
    if (first) {
      this.fail(this.pos(first.pos[0]), `invalid YAML: ${first.message.split("\n")[0]}`);
    }
    const root = this.doc.contents;
    const tables: SeedTable[] = [];
    if (root === null || (this.yaml.isScalar(root) && root.value === null)) {
      return { format: "yaml", path: this.src.path, tables, bcryptCost: 10 };
    }
    if (!this.yaml.isMap(root)) {
      this.fail(
        this.nodePos(root),
        "the file must map table names to rows",
        "write `table_name:` followed by a list of rows",
      );
    }
    for (const pair of root.items) {
      tables.push(this.table(pair.key as ParsedNode | null, pair.value as ParsedNode | null));
    }
    // Tags the walk did not reject (and any other warning) still stop the file.
    const warning = this.doc.warnings[0];
    if (warning) this.fail(this.pos(warning.pos[0]), warning.message.split("\n")[0]!);
    let cost = 10;
    if (this.#bcrypt) {
      const parsed = bcryptCost(this.src.bcryptCost ?? Deno.env.get("BCRYPT_COST"));
      if (typeof parsed === "string") this.fail(null, parsed, "set BCRYPT_COST to 4..31");
      cost = parsed;
    }
    return { format: "yaml", path: this.src.path, tables, bcryptCost: cost };
  }

  name(node: ParsedNode | null, what: string): string {
    const n = this.deref(node);
    if (!this.yaml.isScalar(n) || n.value === null || typeof n.value === "object") {
      this.fail(this.nodePos(node), `${what} must be a plain name`);
    }
    this.checkTag(n, false);
    return typeof n.value === "string" ? n.value : String(n.source ?? n.value);
  }

  table(keyNode: ParsedNode | null, valueNode: ParsedNode | null): SeedTable {
    const name = this.name(keyNode, "a table name");
    const pos = this.nodePos(keyNode);
    if (!splitTableName(name)) {
      this.fail(pos, `"${name}" is not a table name`, "write `table` or `schema.table`");
    }
    const value = this.deref(valueNode);
    let key: SeedTable["key"] = null;
    let rowsNode: YamlNode | null = value;
    if (this.yaml.isMap(value)) {
      rowsNode = null;
      for (const pair of value.items) {
        const field = this.name(pair.key as ParsedNode, "a field of a table");
        if (field === "key") key = this.keyList(pair.value as ParsedNode | null);
        else if (field === "rows") rowsNode = this.deref(pair.value as ParsedNode | null);
        else {
          this.fail(
            this.nodePos(pair.key as ParsedNode),
            `unknown field "${field}" in table "${name}"`,
            "a table is a list of rows, or `key:` and `rows:`",
          );
        }
      }
      if (rowsNode === null) {
        this.fail(
          this.nodePos(value),
          `table "${name}" has no \`rows:\``,
          "add `rows:` with a list",
        );
      }
    }
    if (!this.yaml.isSeq(rowsNode)) {
      this.fail(
        this.nodePos(rowsNode ?? valueNode ?? keyNode),
        `table "${name}" must be a list of rows or \`{key, rows}\``,
        "write each row as `- column: value`",
      );
    }
    this.checkTag(rowsNode, true);
    const rows: SeedRow[] = rowsNode.items.map((item, i) =>
      this.row(item as ParsedNode, i + 1, name)
    );
    return { name, pos, key, rows };
  }

  keyList(node: ParsedNode | null): { columns: string[]; pos: Pos } {
    const n = this.deref(node);
    const pos = this.nodePos(node);
    if (this.yaml.isSeq(n)) {
      const columns = n.items.map((c) => this.name(c as ParsedNode, "a key column"));
      if (columns.length === 0) this.fail(pos, "`key` is empty", "list the conflict columns");
      return { columns, pos };
    }
    if (this.yaml.isScalar(n) && typeof n.value === "string") return { columns: [n.value], pos };
    this.fail(pos, "`key` must be a list of column names", "write `key: [slug]`");
  }

  row(node: ParsedNode | null, index: number, table: string): SeedRow {
    const n = this.deref(node);
    const pos = this.nodePos(node);
    if (!this.yaml.isMap(n)) {
      this.fail(pos, `row ${index} of "${table}" must map column names to values`);
    }
    this.checkTag(n, true);
    const cells: SeedRow["cells"] = [];
    for (const pair of n.items) {
      const column = this.name(pair.key as ParsedNode, "a column name");
      cells.push({
        column,
        keyPos: this.nodePos(pair.key as ParsedNode),
        value: this.value(pair.value as ParsedNode | null, true, pos),
      });
    }
    return { pos, index, cells };
  }

  /** Follows aliases (`*name`) to the anchored node. */
  deref(node: ParsedNode | YamlNode | null | undefined): YamlNode | null {
    let n: unknown = node ?? null;
    for (let i = 0; i < 64 && this.yaml.isAlias(n); i++) n = n.resolve(this.doc) ?? null;
    return n as YamlNode | null;
  }

  /** Where a node's tag is written: a node starts after its tag, but a reader looks for the tag. */
  tagPos(node: YamlNode): Pos {
    const start = node.range?.[0] ?? 0;
    const at = node.tag ? this.src.text.lastIndexOf(node.tag, start) : -1;
    return at >= 0 && !this.src.text.slice(at, start).includes("\n")
      ? this.pos(at)
      : this.pos(start);
  }

  checkTag(node: YamlNode, collection: boolean): void {
    const tag = node.tag;
    if (tag === undefined || CORE_TAGS.has(tag)) return;
    if (tag === "!bcrypt" || tag === "!ref") {
      this.fail(
        this.tagPos(node),
        collection ? `${tag} takes a text, not a list or map` : `${tag} is not allowed here`,
        tag === "!bcrypt"
          ? "write `column: !bcrypt TEXT`"
          : "write `column: !ref TABLE.COLUMN=VALUE`",
      );
    }
    this.fail(this.tagPos(node), `unknown tag "${tag}"`, "the tags are !bcrypt and !ref");
  }

  value(node: ParsedNode | null, top: boolean, rowPos: Pos): SeedValue {
    const n = this.deref(node);
    // `column:` with nothing after it is null, positioned at the row.
    if (n === null) return { kind: "null", pos: node ? this.nodePos(node) : rowPos };
    const pos = this.nodePos(node);
    if (this.yaml.isSeq(n)) {
      this.checkTag(n, true);
      return {
        kind: "list",
        items: n.items.map((i) => this.value(i as ParsedNode, false, pos)),
        pos,
      };
    }
    if (this.yaml.isMap(n)) {
      this.checkTag(n, true);
      const entries: [string, SeedValue][] = n.items.map((p) => [
        this.name(p.key as ParsedNode, "a key of a JSON object"),
        this.value(p.value as ParsedNode | null, false, pos),
      ]);
      return { kind: "map", entries, pos };
    }
    if (!this.yaml.isScalar(n)) this.fail(pos, "unsupported YAML node");
    const tag = n.tag;
    if (tag === "!bcrypt" || tag === "!ref") {
      if (!top) this.checkTag(n, false);
      Object.assign(pos, this.tagPos(n));
      const text = String(n.value ?? "");
      if (tag === "!bcrypt") {
        const problem = checkBcryptText(text);
        if (problem) this.fail(pos, problem, "use a shorter password");
        this.#bcrypt = true;
        return { kind: "bcrypt", text, pos };
      }
      const ref = parseRef(text);
      if (!ref) {
        this.fail(
          pos,
          `!ref "${text}" is not TABLE.COLUMN=VALUE`,
          "write `!ref users.email=admin@acme.test`",
        );
      }
      return { kind: "ref", ...ref, source: text, pos };
    }
    this.checkTag(n, false);
    const v = n.value;
    if (v === null || v === undefined) return { kind: "null", pos };
    if (typeof v === "boolean") return { kind: "bool", value: v, pos };
    if (typeof v === "number") {
      return { kind: "number", value: v, text: n.source ?? String(v), pos };
    }
    if (typeof v === "string") return { kind: "string", value: v, pos };
    this.fail(pos, `unsupported value ${JSON.stringify(String(v))}`);
  }
}
