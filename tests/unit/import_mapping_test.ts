import assert from "node:assert/strict";
import { convertProject, planWrites } from "../../src/import/convert.ts";
import { compareFlyway, flywayParts } from "../../src/import/flyway.ts";
import { flywayScheme, flywayVersion, integerVersion } from "../../src/import/mapping.ts";
import type { ImportTool, SourceFile } from "../../src/import/types.ts";

Deno.test("flywayVersion() is the fixed formula: four parts of three digits, or the integer", () => {
  assert.deepEqual(flywayVersion("1.2.3", "dotted"), {
    version: 1002003000,
    digits: "001002003000",
  });
  assert.deepEqual(flywayVersion("1", "dotted"), { version: 1000000000, digits: "001000000000" });
  assert.deepEqual(flywayVersion("1_2", "dotted"), { version: 1002000000, digits: "001002000000" });
  assert.deepEqual(flywayVersion("2024.1.15.3", "dotted"), {
    version: 2024001015003,
    digits: "2024001015003",
  });
  assert.equal(flywayVersion("1.2.3.4.5", "dotted"), null);
  assert.equal(flywayVersion("1.1000", "dotted"), null);
  assert.deepEqual(flywayVersion("9007199", "dotted")?.version, 9007199000000000);
  assert.equal(flywayVersion("9007200", "dotted"), null, "above 2^53");
  assert.deepEqual(flywayVersion("007", "integer"), { version: 7, digits: "007" });
  assert.deepEqual(flywayVersion("3.0", "integer"), { version: 3, digits: "3" });
  assert.equal(flywayVersion("3.1", "integer"), null);
  assert.equal(integerVersion("9007199254740992"), null);
});

Deno.test("flywayScheme() follows the earlier import, else the versions present", () => {
  assert.equal(flywayScheme(["1", "2", "3.0"], []), "integer");
  assert.equal(flywayScheme(["1", "1.1"], []), "dotted");
  assert.equal(flywayScheme(["1", "1.1"], [{ rawVersion: "1", version: 1 }]), "integer");
  assert.equal(flywayScheme(["1"], [{ rawVersion: "1", version: 1000000000 }]), "dotted");
});

// A small deterministic generator, so a failing case can be replayed by its seed.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (r: () => number, n: number) => Math.floor(r() * n);

/** A random project of one tool: distinct versions, each as the tool names and writes it. */
function project(tool: ImportTool, r: () => number, dotted: boolean): SourceFile[] {
  const versions = new Set<string>();
  const n = 1 + pick(r, 12);
  while (versions.size < n) {
    switch (tool) {
      case "flyway": {
        const parts = [1 + pick(r, 40)];
        if (dotted) { for (let k = pick(r, 4); k > 0; k--) parts.push(pick(r, 30)); }
        const v = parts.join(".");
        if (![...versions].some((o) => compareFlyway(flywayParts(o)!, flywayParts(v)!) === 0)) {
          versions.add(v);
        }
        break;
      }
      case "golang-migrate":
      case "goose":
        versions.add(String(1 + pick(r, 500)).padStart(5, "0"));
        break;
      default:
        // Timestamps: dbmate, sections, prisma and diesel projects all use them.
        versions.add(String(20200101000000 + pick(r, 5_000_000) * 100));
    }
  }
  const files: SourceFile[] = [];
  for (const v of versions) {
    const body = `CREATE TABLE t_${v.replaceAll(".", "_")} (id int);\n`;
    const drop = `DROP TABLE t_${v.replaceAll(".", "_")};\n`;
    switch (tool) {
      case "golang-migrate":
        files.push({ path: `${v}_m.up.sql`, text: body }, { path: `${v}_m.down.sql`, text: drop });
        break;
      case "dbmate":
        files.push({ path: `${v}_m.sql`, text: `-- migrate:up\n${body}-- migrate:down\n${drop}` });
        break;
      case "flyway":
        files.push({ path: `V${v}__m.sql`, text: body }, { path: `U${v}__m.sql`, text: drop });
        break;
      case "goose":
        files.push({ path: `${v}_m.sql`, text: `-- +goose Up\n${body}-- +goose Down\n${drop}` });
        break;
      case "sections":
        files.push({
          path: `${v}_m.sql`,
          text: `-- UP MIGRATION\n${body}-- DOWN MIGRATION\n${drop}`,
        });
        break;
      case "prisma":
        files.push({ path: `${v}_m/migration.sql`, text: body });
        break;
      case "diesel":
        files.push({ path: `${v}_m/up.sql`, text: body }, { path: `${v}_m/down.sql`, text: drop });
        break;
    }
  }
  return files;
}

/** The migration a source file belongs to (`V1.2__m.sql`, `5_m.down.sql`, `5_m/up.sql` → its version). */
function group(f: SourceFile): string {
  return f.path.replace(/\/.*$/, "").replace(/^[VU]/, "").split("_")[0]!;
}

/** The files of a random subset of the migrations (up and down files together). */
function subset(files: SourceFile[], keep: (group: string) => boolean): SourceFile[] {
  const chosen = new Map<string, boolean>();
  return files.filter((f) => {
    const g = group(f);
    if (!chosen.has(g)) chosen.set(g, keep(g));
    return chosen.get(g);
  });
}

/** The Flyway versions of a project's V files. */
function flywayVersions(files: SourceFile[]): string[] {
  return files.filter((f) => f.path.startsWith("V")).map(group);
}

/** The files a plan writes, as the target folder then holds them. */
function written(files: SourceFile[], tool: ImportTool, existing: SourceFile[] = []): SourceFile[] {
  const plan = convertProject(tool, files, existing);
  assert.deepEqual(plan.problems, []);
  return [
    ...existing,
    ...planWrites(plan, existing).write.map((f) => ({ path: f.name, text: f.text })),
  ];
}

const TOOLS: ImportTool[] = [
  "golang-migrate",
  "dbmate",
  "flyway",
  "goose",
  "sections",
  "prisma",
  "diesel",
];

Deno.test("a re-run after new upstream files arrive keeps every file imported before (property)", () => {
  for (const tool of TOOLS) {
    for (let seed = 1; seed <= 150; seed++) {
      const r = rng(seed);
      const all = project(tool, r, seed % 3 !== 0);
      // The files that had arrived at the first import: any subset, as branches merge late.
      const first = subset(all, () => r() < 0.5);
      if (first.length === 0) continue;
      const before = convertProject(tool, first);
      assert.deepEqual(before.problems, [], `${tool} seed ${seed}`);
      const existing = written(first, tool);
      const after = convertProject(tool, all, existing);
      const writes = planWrites(after, existing);
      const newFlywayScheme = tool === "flyway" &&
        flywayScheme(flywayVersions(first), []) === "integer" &&
        flywayScheme(flywayVersions(all), []) === "dotted";
      if (newFlywayScheme) {
        // Integer versions were given; a dotted one cannot be placed among them: refused, and
        // only new files are named.
        assert.ok(after.problems.length > 0, `${tool} seed ${seed}`);
        const old = new Set(first.map((f) => f.path));
        for (const p of after.problems) {
          assert.ok(!old.has(p.file), `${tool} seed ${seed}: ${p.file}`);
        }
        continue;
      }
      assert.deepEqual(after.problems, [], `${tool} seed ${seed}`);
      assert.deepEqual(writes.problems, [], `${tool} seed ${seed}`);
      for (const m of before.migrations) {
        const again = after.migrations.find((a) => a.key === m.key);
        assert.ok(again, `${tool} seed ${seed}: ${m.key}`);
        assert.equal(again.version, m.version);
        assert.equal(again.migration.name, m.migration.name);
        assert.equal(again.migration.text, m.migration.text);
        assert.equal(again.undo?.text, m.undo?.text);
      }
      // Nothing imported before is written again, and everything new is.
      assert.equal(
        writes.unchanged.length,
        before.migrations.reduce((n, m) => n + (m.undo ? 2 : 1), 0),
        `${tool} seed ${seed}`,
      );
      // Versions rise in the tool's own order, so db-migrate runs them in that order.
      const versions = after.migrations.map((m) => m.version);
      assert.deepEqual(versions, [...versions].sort((a, b) => a - b), `${tool} seed ${seed}`);
      assert.equal(new Set(versions).size, versions.length);
    }
  }
});

Deno.test("a version is a function of that migration alone: a fresh import agrees (property)", () => {
  for (const tool of TOOLS) {
    for (let seed = 1; seed <= 100; seed++) {
      const r = rng(seed * 7919);
      const all = project(tool, r, true);
      const some = subset(all, () => r() < 0.5);
      if (some.length === 0) continue;
      const a = convertProject(tool, some);
      const b = convertProject(tool, all);
      const sameScheme = tool !== "flyway" ||
        flywayScheme(flywayVersions(some), []) === flywayScheme(flywayVersions(all), []);
      if (!sameScheme) continue;
      for (const m of a.migrations) {
        assert.equal(b.migrations.find((x) => x.key === m.key)?.migration.name, m.migration.name);
      }
    }
  }
});

Deno.test("planWrites() refuses an imported file whose source changed, or a taken version", () => {
  const source = [{ path: "1_a.up.sql", text: "SELECT 1;\n" }, {
    path: "2_b.up.sql",
    text: "SELECT 2;\n",
  }];
  const existing = written(source, "golang-migrate");
  const edited = [{ path: "1_a.up.sql", text: "SELECT 10;\n" }, ...source.slice(1)];
  const plan = convertProject("golang-migrate", edited, existing);
  const w = planWrites(plan, existing);
  assert.equal(w.problems.length, 1);
  assert.match(
    w.problems[0]!.message,
    /"V1__a.sql" is already in the target folder with other content/,
  );

  // A file of the team's own at version 3 stays; an upstream file at 3 cannot be written.
  const own = [...existing, { path: "V3__own.sql", text: "SELECT 3;\n" }];
  const more = [...source, { path: "3_c.up.sql", text: "SELECT 3;\n" }];
  const w2 = planWrites(convertProject("golang-migrate", more, own), own);
  assert.equal(w2.problems.length, 1);
  assert.match(w2.problems[0]!.message, /version 3 is taken in the target folder by "V3__own.sql"/);

  // A renamed source (dbmate records only the version) would change the imported file.
  const d = [{ path: "20240101000000_a.sql", text: "-- migrate:up\nselect 1;\n-- migrate:down\n" }];
  const dExisting = written(d, "dbmate");
  const renamed = [{ path: "20240101000000_renamed.sql", text: d[0]!.text }];
  const w3 = planWrites(convertProject("dbmate", renamed, dExisting), dExisting);
  assert.match(w3.problems[0]!.message, /an earlier import wrote this migration as/);

  // An upstream file that disappeared leaves its imported file alone, with a note.
  const w4 = planWrites(convertProject("golang-migrate", source.slice(1), existing), existing);
  assert.deepEqual(w4.problems, []);
  assert.deepEqual(w4.notes.map((n) => n.file), ["V1__a.sql"]);
});

Deno.test("a Flyway project imported with integer versions refuses a dotted newcomer", () => {
  const first = [{ path: "V1__a.sql", text: "SELECT 1;\n" }, {
    path: "V2__b.sql",
    text: "SELECT 2;\n",
  }];
  const existing = written(first, "flyway");
  assert.deepEqual(existing.map((f) => f.path), ["V1__a.sql", "V2__b.sql"]);
  const plan = convertProject(
    "flyway",
    [...first, { path: "V2.1__c.sql", text: "SELECT 3;\n" }],
    existing,
  );
  assert.deepEqual(plan.problems.map((p) => p.file), ["V2.1__c.sql"]);
  assert.match(plan.problems[0]!.message, /kept Flyway's versions as plain integers/);
  // A plain newcomer is fine.
  const ok = convertProject(
    "flyway",
    [...first, { path: "V3__c.sql", text: "SELECT 3;\n" }],
    existing,
  );
  assert.deepEqual(ok.problems, []);
  assert.deepEqual(ok.migrations.map((m) => [m.migration.name, m.kept]), [
    ["V1__a.sql", true],
    ["V2__b.sql", true],
    ["V3__c.sql", false],
  ]);
});
