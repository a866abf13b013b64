// The ClickHouse seed rule, apart from the driver: ClickHouse has no upsert, so a seed may only
// insert into tables that replace rows by key, or that it empties first.

import { ConfigError } from "../../core/errors.ts";
import { type Statement, stripComments } from "../../sql/split.ts";
import type { TrackedFile } from "../../core/types.ts";
import { insertTarget, isReplacingEngine, type TableRef, truncateTarget } from "./seed_sql.ts";

/** Why the seed rule exists, in every message that enforces it. */
export const NO_UPSERT =
  "ClickHouse has no upsert, so applying the seed again after a change would duplicate its rows";

/** A table by database and name. */
export interface Table {
  database: string;
  table: string;
}

/** One INSERT of a seed: its statement, its table and whether the file emptied that table before. */
interface SeedInsert {
  index: number;
  target: Table | "function";
  truncated: boolean;
}

/**
 * The seed rule. ClickHouse has no upsert, so every table a seed inserts into must either replace
 * rows by sorting key (a ReplacingMergeTree, which db-migrate merges at once with OPTIMIZE ... FINAL
 * after the seed) or be emptied by a TRUNCATE earlier in the same file. Anything else would gain a
 * second copy of the seed's rows each time the changed seed is applied again.
 */
export class SeedCheck {
  readonly #inserts: SeedInsert[] = [];
  readonly #engines = new Map<string, string>();

  constructor(
    readonly database: string,
    urlDatabase: string,
    readonly file: TrackedFile,
    readonly statements: Statement[],
    readonly lookUp: (
      tables: Table[],
    ) => Promise<{ database: string; name: string; engine: string }[]>,
  ) {
    const full = (r: TableRef): Table => ({ database: r.database ?? urlDatabase, table: r.table });
    const truncated = new Set<string>();
    statements.forEach((stmt, index) => {
      const text = stripComments(stmt.text, "clickhouse");
      const cut = truncateTarget(text);
      if (cut) {
        truncated.add(SeedCheck.key(full(cut)));
        return;
      }
      const ins = insertTarget(text);
      if (ins === null) return;
      const target = ins === "function" ? ins : full(ins);
      const emptied = target !== "function" && truncated.has(SeedCheck.key(target));
      this.#inserts.push({ index, target, truncated: emptied });
    });
  }

  static key(t: Table): string {
    return `${t.database}.${t.table}`;
  }

  /** The inserts that need a ReplacingMergeTree. */
  #checked(from: number): SeedInsert[] {
    return this.#inserts.filter((x) => x.index >= from && !x.truncated);
  }

  async #learn(tables: Table[]): Promise<void> {
    const unknown = tables.filter((t) => !this.#engines.has(SeedCheck.key(t)));
    if (unknown.length === 0) return;
    for (const r of await this.lookUp(unknown)) {
      this.#engines.set(SeedCheck.key({ database: r.database, table: r.name }), r.engine);
    }
  }

  #verdict(x: SeedInsert): ConfigError | null {
    if (x.truncated) return null;
    if (x.target === "function") return this.#error(x, "a table function", "INSERT INTO FUNCTION");
    const engine = this.#engines.get(SeedCheck.key(x.target));
    // A table that does not exist yet is checked again right before its INSERT (the seed may
    // create it); if it is still missing, the server's own error says so.
    if (engine === undefined || isReplacingEngine(engine)) return null;
    return this.#error(x, `${x.target.database}.${x.target.table}`, engine);
  }

  /** Checks every INSERT from statement `from` on whose table exists, before anything runs. */
  async checkAll(from: number): Promise<void> {
    const list = this.#checked(from);
    await this.#learn(list.flatMap((x) => x.target === "function" ? [] : [x.target]));
    for (const x of list) {
      const bad = this.#verdict(x);
      if (bad) throw bad;
    }
  }

  /** Checks the INSERT at statement `index` (if any) again: its table may be new by now. */
  async checkBefore(index: number): Promise<ConfigError | null> {
    const x = this.#inserts.find((i) => i.index === index);
    if (!x || x.truncated) return null;
    if (x.target !== "function") await this.#learn([x.target]);
    return this.#verdict(x);
  }

  /** The ReplacingMergeTree tables the seed inserted into, to merge afterwards. */
  replacingTables(): Table[] {
    const out = new Map<string, Table>();
    for (const x of this.#inserts) {
      if (x.target === "function" || x.truncated) continue;
      const engine = this.#engines.get(SeedCheck.key(x.target));
      if (engine !== undefined && isReplacingEngine(engine)) {
        out.set(SeedCheck.key(x.target), x.target);
      }
    }
    return [...out.values()];
  }

  #error(x: SeedInsert, table: string, engine: string): ConfigError {
    const stmt = this.statements[x.index]!;
    return new ConfigError(
      "INVALID_SEED",
      `seed "${this.file.script}" of "${this.database}" inserts into ${table} (${engine}) at line ${stmt.line}: ` +
        NO_UPSERT,
      {
        database: this.database,
        position: { file: this.file.path, line: stmt.line, column: stmt.column },
        hint: "make the table a ReplacingMergeTree ordered by the seed's key (db-migrate runs " +
          "OPTIMIZE TABLE ... FINAL after each seed), or TRUNCATE TABLE it earlier in the same file",
      },
    );
  }
}
