import assert from "node:assert/strict";
import {
  discoverMigrations,
  discoverSeeds,
  parseMigrationName,
  seedSets,
} from "../../src/discover.ts";
import { ConfigError } from "../../src/errors.ts";

async function folder(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "dbm_discover_" });
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  return dir;
}

Deno.test("parseMigrationName() reads the version as an integer and the description", () => {
  assert.deepEqual(parseMigrationName("V001__init.sql"), { version: 1, description: "init" });
  assert.deepEqual(parseMigrationName("V20__add_users_table.sql"), {
    version: 20,
    description: "add users table",
  });
});

Deno.test("parseMigrationName() rejects names off the pattern", () => {
  for (
    const bad of [
      "V1_init.sql",
      "v1__init.sql",
      "V__init.sql",
      "V1__.sql",
      "001__x.sql",
      "V1__x.txt",
    ]
  ) {
    assert.equal(parseMigrationName(bad), null, bad);
  }
});

Deno.test("discoverMigrations() sorts by numeric version and allows gaps", async () => {
  const dir = await folder({
    "V10__ten.sql": "select 10;",
    "V2__two.sql": "select 2;",
    "V001__one.sql": "select 1;",
    "README.md": "notes beside migrations are ignored",
  });
  try {
    const files = discoverMigrations(dir, "postgres");
    assert.deepEqual(files.map((f) => f.version), [1, 2, 10]);
    assert.equal(files[0]!.script, "V001__one.sql");
    assert.match(files[0]!.checksum, /^[0-9a-f]{64}$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("discoverMigrations() rejects two files with version 3", async () => {
  const dir = await folder({ "V3__a.sql": "select 1;", "V003__b.sql": "select 2;" });
  try {
    assert.throws(
      () => discoverMigrations(dir, "postgres"),
      (err: unknown) =>
        err instanceof ConfigError && err.code === "DUPLICATE_VERSION" && err.exitCode === 2 &&
        err.message.includes("V3__a.sql") && err.message.includes("V003__b.sql"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("discoverMigrations() rejects a .sql file whose name is off the pattern", async () => {
  const dir = await folder({ "V1__ok.sql": "select 1;", "add_users.sql": "select 2;" });
  try {
    assert.throws(
      () => discoverMigrations(dir, "postgres"),
      (err: unknown) =>
        err instanceof ConfigError && err.code === "BAD_FILE_NAME" &&
        err.message.includes("add_users.sql"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("discoverMigrations() returns nothing for a missing folder", () => {
  assert.deepEqual(discoverMigrations("/nonexistent/dbm", "postgres"), []);
});

Deno.test("seed modes are cumulative", () => {
  assert.deepEqual(seedSets("none"), []);
  assert.deepEqual(seedSets("reference"), ["reference"]);
  assert.deepEqual(seedSets("sample"), ["reference", "sample"]);
  assert.deepEqual(seedSets("full"), ["reference", "sample", "full"]);
});

Deno.test("discoverSeeds() orders sets by mode and files by name, and skips CSV sidecars", async () => {
  const dir = await folder({
    "reference/020_b.sql": "select 2;",
    "reference/010_a.yaml": "a: []",
    "sample/010_demo.sql": "select 3;",
    "full/010_users.csv": "id\n1\n",
    "full/010_users.yaml": "key: [id]",
    "full/notes.txt": "ignored",
  });
  try {
    const seeds = discoverSeeds(dir, "postgres", "full");
    assert.deepEqual(seeds.map((s) => s.script), [
      "reference/010_a.yaml",
      "reference/020_b.sql",
      "sample/010_demo.sql",
      "full/010_users.csv",
    ]);
    assert.deepEqual(seeds.map((s) => s.format), ["yaml", "sql", "sql", "csv"]);
    assert.equal(discoverSeeds(dir, "postgres", "reference").length, 2);
    assert.equal(discoverSeeds(dir, "postgres", "none").length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("discoverMigrations() refuses a SQL file over --max-file-size before reading it", async () => {
  const dir = await folder({
    "V1__big.sql": "x".repeat(1024 * 1024 + 1),
    "V2__ok.sql": "select 1;",
  });
  try {
    assert.throws(
      () => discoverMigrations(dir, "postgres", { maxFileMb: 1 }),
      (e: unknown) =>
        e instanceof ConfigError && e.code === "FILE_TOO_LARGE" && e.exitCode === 2 &&
        /V1__big\.sql" of database "postgres" is 1\.0 MB, over the limit of 1 MB/.test(e.message) &&
        /--max-file-size=MB/.test(e.hint ?? ""),
    );
    assert.equal(discoverMigrations(dir, "postgres", { maxFileMb: 2 }).length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("discoverMigrations() reads a file larger than a slice to the same text and checksum", async () => {
  // Over 1 MB, with a BOM, CRLF line ends and characters of every UTF-8 length across slices.
  const body = Array.from({ length: 60_000 }, (_, i) => `SELECT ${i}, 'é€😀';`).join("\r\n");
  const dir = await folder({ "V1__large.sql": `\uFEFF${body}\r\n`, "V2__same.sql": "" });
  try {
    await Deno.writeTextFile(`${dir}/V2__same.sql`, `${body.replaceAll("\r\n", "\n")}\n`);
    const [large, same] = discoverMigrations(dir, "postgres", { maxFileMb: 64 });
    assert.ok(large!.text.length > 1024 * 1024);
    assert.equal(large!.text, same!.text);
    assert.equal(large!.checksum, same!.checksum);
    assert.deepEqual(discoverMigrations(dir, "postgres").map((f) => f.checksum), [
      large!.checksum,
      same!.checksum,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("discoverMigrations() counts text beyond Latin-1 twice against --max-file-size", async () => {
  // 0.6 MB either way: Latin-1 (é) passes a 1 MB limit, Cyrillic (two bytes a character in
  // JavaScript) does not.
  const latin = "SELECT 'é';\n".repeat(50_000);
  const cyrillic = "SELECT 'ж';\n".repeat(50_000);
  const dir = await folder({ "V1__latin.sql": latin });
  const wide = await folder({ "V1__wide.sql": cyrillic });
  try {
    assert.equal(discoverMigrations(dir, "postgres", { maxFileMb: 1 })[0]!.text, latin);
    assert.throws(
      () => discoverMigrations(wide, "postgres", { maxFileMb: 1 }),
      (e: unknown) =>
        e instanceof ConfigError && e.code === "FILE_TOO_LARGE" &&
        /characters beyond Latin-1, which takes twice its size/.test(e.message),
    );
    assert.equal(discoverMigrations(wide, "postgres", { maxFileMb: 2 })[0]!.text, cyrillic);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(wide, { recursive: true });
  }
});
