import assert from "node:assert/strict";
import {
  discoverMigrations,
  discoverSeeds,
  listDatabaseFolders,
  noDatabaseError,
  parseMigrationName,
  seedSets,
} from "../../../src/core/discover.ts";
import { ConfigError } from "../../../src/core/errors.ts";

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

/** Asserts that fn throws a ConfigError with code and a message and hint matching. */
function throwsConfig(fn: () => unknown, code: string, message: RegExp, hint?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, message);
    if (hint) assert.match(err.hint ?? "", hint);
    return true;
  });
}

Deno.test("discoverMigrations() proposes the next free version in the folder's padding for a bad name", async () => {
  const files: Record<string, string> = { "add_orders.sql": "select 0;" };
  for (let v = 1; v <= 12; v++) files[`V${String(v).padStart(3, "0")}__s${v}.sql`] = "select 1;";
  const dir = await folder(files);
  try {
    throwsConfig(
      () => discoverMigrations(dir, "postgres"),
      "BAD_FILE_NAME",
      /add_orders\.sql/,
      /V013__add_orders\.sql/,
    );
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

Deno.test("discoverMigrations() refuses a directory named like a migration", async () => {
  const dir = await folder({ "V1__ok.sql": "select 1;", "V2__dir.sql/inner.sql": "select 2;" });
  try {
    throwsConfig(
      () => discoverMigrations(dir, "postgres"),
      "UNREADABLE_FILE",
      /V2__dir\.sql.*is a directory, not a file/,
      /rename the directory/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("discoverMigrations() gives each unreadable file the hint of its cause", async () => {
  const dir = await folder({ "V1__ok.sql": "select 1;" });
  try {
    Deno.symlinkSync("V2__loop.sql", `${dir}/V2__loop.sql`);
    throwsConfig(
      () => discoverMigrations(dir, "postgres"),
      "UNREADABLE_FILE",
      /V2__loop\.sql.*leads back to itself/,
      /point the link at a file/,
    );
    Deno.removeSync(`${dir}/V2__loop.sql`);
    Deno.symlinkSync("/nonexistent/dbm/V2.sql", `${dir}/V2__gone.sql`);
    throwsConfig(
      () => discoverMigrations(dir, "postgres"),
      "UNREADABLE_FILE",
      /V2__gone\.sql.*symbolic link to "\/nonexistent\/dbm\/V2\.sql", which does not exist/,
      /fix the link/,
    );
    Deno.removeSync(`${dir}/V2__gone.sql`);
    new Deno.Command("mkfifo", { args: [`${dir}/V2__fifo.sql`] }).outputSync();
    throwsConfig(
      () => discoverMigrations(dir, "postgres"),
      "UNREADABLE_FILE",
      /V2__fifo\.sql.*not a regular file but a FIFO/,
      /regular file/,
    );
    Deno.removeSync(`${dir}/V2__fifo.sql`);
    // A link to a good file is followed.
    Deno.writeTextFileSync(`${dir}/real.txt`, "select 2;");
    Deno.symlinkSync(`${dir}/real.txt`, `${dir}/V2__linked.sql`);
    assert.deepEqual(discoverMigrations(dir, "postgres").map((f) => f.text), [
      "select 1;",
      "select 2;",
    ]);
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

Deno.test("discoverMigrations() and discoverSeeds() refuse invalid UTF-8 with its line and column", async () => {
  const dir = await folder({ "m/V1__ok.sql": "select 1;", "s/reference/010_x.yaml": "a: []" });
  try {
    Deno.writeFileSync(
      `${dir}/m/V2__bad.sql`,
      new Uint8Array([...new TextEncoder().encode("select 1;\nselect '"), 0xff, 0x27, 0x3b]),
    );
    throwsConfig(
      () => discoverMigrations(`${dir}/m`, "postgres"),
      "INVALID_UTF8",
      /V2__bad\.sql.*not UTF-8.*line 2, column 9/,
    );
    Deno.writeFileSync(`${dir}/s/reference/020_bad.csv`, new Uint8Array([0x69, 0x64, 0x0a, 0xc3]));
    throwsConfig(
      () => discoverSeeds(`${dir}/s`, "postgres", "reference"),
      "INVALID_UTF8",
      /020_bad\.csv.*line 2, column 1/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("discoverSeeds() refuses a directory named like a seed and a seed folder that links nowhere", async () => {
  const dir = await folder({ "reference/010_a.sql/x": "select 1;" });
  try {
    throwsConfig(
      () => discoverSeeds(dir, "postgres", "reference"),
      "UNREADABLE_FILE",
      /010_a\.sql.*directory/,
    );
    Deno.removeSync(`${dir}/reference`, { recursive: true });
    Deno.symlinkSync("/nonexistent/dbm/volume", `${dir}/reference`);
    throwsConfig(
      () => discoverSeeds(dir, "postgres", "reference"),
      "UNREADABLE_FILE",
      /reference.*does not exist/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("listDatabaseFolders() follows symbolic links to folders and refuses loops and dangling links", async () => {
  const dir = await folder({
    "migrations/postgres/V1__a.sql": "select 1;",
    "volume/V1__b.sql": "x",
  });
  try {
    Deno.symlinkSync(`${dir}/volume`, `${dir}/migrations/mounted`);
    Deno.writeTextFileSync(`${dir}/notes.md`, "");
    Deno.symlinkSync(`${dir}/notes.md`, `${dir}/migrations/notes.md`); // a linked file: ignored
    assert.deepEqual(listDatabaseFolders(`${dir}/migrations`), ["mounted", "postgres"]);

    Deno.symlinkSync("..", `${dir}/migrations/up`);
    throwsConfig(
      () => listDatabaseFolders(`${dir}/migrations`),
      "UNREADABLE_FILE",
      /up" is a symbolic link to .*, which holds the migrations folder itself: a loop/,
    );
    Deno.removeSync(`${dir}/migrations/up`);
    Deno.symlinkSync("self", `${dir}/migrations/self`);
    throwsConfig(
      () => listDatabaseFolders(`${dir}/migrations`),
      "UNREADABLE_FILE",
      /self.*leads back to itself/,
    );
    Deno.removeSync(`${dir}/migrations/self`);
    Deno.symlinkSync("/nonexistent/dbm/mnt", `${dir}/migrations/unmounted`);
    throwsConfig(
      () => listDatabaseFolders(`${dir}/migrations`),
      "UNREADABLE_FILE",
      /unmounted.*does not exist/,
      /mount the volume/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("noDatabaseError() says whether the folder is missing or holds no database", async () => {
  const dir = await folder({ "README.md": "" });
  try {
    const empty = noDatabaseError(dir);
    assert.equal(empty.code, "NO_DATABASE");
    assert.equal(empty.exitCode, 2);
    assert.match(empty.message, /no database found under ".*": it holds no database folder/);
    assert.match(noDatabaseError(`${dir}/nope`).message, /it does not exist/);
    assert.match(noDatabaseError(`${dir}/README.md`).message, /it is not a folder/);
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

Deno.test("discoverMigrations() attaches each U-file to the migration it undoes, unread", async () => {
  const dir = await folder({
    "V001__init.sql": "CREATE TABLE a (id int);",
    "U001__init.sql": "DROP TABLE a;",
    "V002__more.sql": "CREATE TABLE b (id int);",
  });
  try {
    const files = discoverMigrations(dir, "app");
    assert.deepEqual(files.map((f) => f.undo?.script ?? null), ["U001__init.sql", null]);
    assert.equal(files[0]!.undo!.path, `${dir}/U001__init.sql`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("discoverMigrations() refuses a U-file whose version has no migration (exit 2)", async () => {
  const dir = await folder({ "V001__init.sql": "SELECT 1;", "U002__gone.sql": "SELECT 1;" });
  try {
    assert.throws(
      () => discoverMigrations(dir, "app"),
      (e: unknown) =>
        e instanceof ConfigError && e.code === "ORPHAN_UNDO" && e.exitCode === 2 &&
        e.position?.file === `${dir}/U002__gone.sql` && /version 2/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("discoverMigrations() refuses two U-files for one version", async () => {
  const dir = await folder({
    "V001__init.sql": "SELECT 1;",
    "U001__a.sql": "SELECT 1;",
    "U1__b.sql": "SELECT 1;",
  });
  try {
    assert.throws(
      () => discoverMigrations(dir, "app"),
      (e: unknown) => e instanceof ConfigError && e.code === "DUPLICATE_VERSION",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("discoverMigrations() collects every problem of a folder when asked, and keeps the good files", () => {
  const dir = Deno.makeTempDirSync();
  try {
    for (
      const [name, text] of Object.entries({
        "V1__a.sql": "SELECT 1;",
        "V2__b.sql": "SELECT 2;",
        "V2__c.sql": "SELECT 3;",
        "x.sql": "SELECT 4;",
        "y.sql": "SELECT 5;",
        "U9__gone.sql": "SELECT 6;",
        "U1__a.sql": "SELECT 7;",
      })
    ) Deno.writeTextFileSync(`${dir}/${name}`, text);
    // A run stops at the first problem, as before.
    assert.throws(() => discoverMigrations(dir, "app"), /"x\.sql" .* is not a migration name/);
    const problems: ConfigError[] = [];
    const files = discoverMigrations(dir, "app", {}, problems);
    assert.deepEqual(problems.map((p) => p.code), [
      "BAD_FILE_NAME",
      "BAD_FILE_NAME",
      "DUPLICATE_VERSION",
      "ORPHAN_UNDO",
    ]);
    assert.deepEqual(files.map((f) => f.script), ["V1__a.sql"]);
    assert.equal(files[0]!.undo?.script, "U1__a.sql");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
