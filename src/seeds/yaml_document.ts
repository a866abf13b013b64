// The `yaml` package's document API as the reader of YAML seeds the fast reader (yaml_fast.ts)
// does not follow: all of YAML, every value with its line and column, and the words of YAML's own
// errors. It holds the whole file as nodes, so parseYamlSeed() gives it only files up to a limit.

import type { Document, LineCounter, Node as YamlNode, ParsedNode } from "yaml";
import { seedError } from "./errors.ts";
import type { Pos, SeedRow, SeedTable, SeedValue, YamlSeed } from "./types.ts";
import { addShape, type Yaml, yamlPos, type YamlSource } from "./yaml.ts";
import { splitTableName, taggedValue } from "./yaml_names.ts";

/** Tags a value may carry besides !bcrypt and !ref: the core schema's own. */
const CORE_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`),
);

/**
 * How many values aliases may stand for in one file. Each `*name` repeats the anchored value, so
 * nested aliases grow exponentially (ten levels of ten references: ten billion values from a few
 * hundred bytes); a file that needs more should write its values out.
 */
export const MAX_ALIAS_VALUES = 100_000;

/** The document API's reader: all of YAML, for files the fast reader does not follow. */
export class YamlReader {
  bcrypt = false;
  /** Values built so far through aliases, and the outermost alias being expanded. */
  #aliasValues = 0;
  #alias: YamlNode | null = null;

  constructor(
    readonly yaml: Yaml,
    readonly doc: Document.Parsed,
    readonly lines: LineCounter,
    readonly src: YamlSource,
  ) {}

  pos(offset: number | undefined): Pos {
    return yamlPos(this.lines, offset);
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
    const seed: YamlSeed = {
      format: "yaml",
      path: this.src.path,
      tables,
      refTables: [],
      bcryptCost: 10,
      text: this.src.text,
    };
    if (root === null || (this.yaml.isScalar(root) && root.value === null)) return seed;
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
    const refs = new Set<string>();
    for (const t of tables) {
      const seen = new Set<string>();
      for (const row of t.rows!) {
        addShape(t, seen, row);
        for (const c of row.cells) if (c.value.kind === "ref") refs.add(c.value.table);
      }
    }
    seed.refTables = [...refs];
    return seed;
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
    return { name, pos, key, rows, count: rows.length, shapes: [], at: null };
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
    const outer = this.#alias === null && this.yaml.isAlias(node);
    if (outer) this.#alias = node;
    try {
      return this.plainRow(node, index, table);
    } finally {
      if (outer) this.#alias = null;
    }
  }

  plainRow(node: ParsedNode | null, index: number, table: string): SeedRow {
    this.countAliased();
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
    const outer = this.#alias === null && this.yaml.isAlias(node);
    if (outer) this.#alias = node;
    try {
      return this.plainValue(node, top, rowPos);
    } finally {
      if (outer) this.#alias = null;
    }
  }

  /** Counts a value built through an alias; too many is an error at the alias. */
  countAliased(): void {
    if (this.#alias === null || ++this.#aliasValues <= MAX_ALIAS_VALUES) return;
    this.fail(
      this.nodePos(this.#alias),
      `aliases here and before stand for more than ${MAX_ALIAS_VALUES.toLocaleString("en")} values`,
      "write the values out instead of nesting aliases",
    );
  }

  plainValue(node: ParsedNode | null, top: boolean, rowPos: Pos): SeedValue {
    this.countAliased();
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
      if (tag === "!bcrypt") this.bcrypt = true;
      return taggedValue(tag, String(n.value ?? ""), pos, (p, m, h) => this.fail(p, m, h));
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
