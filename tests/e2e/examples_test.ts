// The repository's own example migrations and seeds apply on fresh databases with --seed=full, and
// a second run has nothing to do.
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { lastLine, makeProject, ROOT, runCli, withPgDatabase } from "../helpers.ts";
import { summaryCounts, trackingRows } from "./_util.ts";

/** The PostgreSQL examples; other example databases (ClickHouse) have tests of their own. */
const ONLY = ["--database=postgres", "--database=aiml-postgres"];

/** Every file under dir, as path relative to ROOT → content. */
async function readTree(dir: string, out: Record<string, string> = {}) {
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) await readTree(path, out);
    else if (e.isFile) out[relative(ROOT, path)] = await Deno.readTextFile(path);
  }
  return out;
}

Deno.test("the example migrations and seeds apply on fresh databases with --seed=full, and a second run reports 0 applied", async () => {
  const files = await readTree(join(ROOT, "migrations"));
  await readTree(join(ROOT, "seeds"), files);
  const migrations = (db: string) =>
    Object.keys(files).filter((p) => p.startsWith(`migrations/${db}/`) && p.endsWith(".sql"))
      .map((p) => p.slice(`migrations/${db}/`.length)).sort();
  const sqlSeeds = (db: string) =>
    Object.keys(files).filter((p) => p.startsWith(`seeds/${db}/`) && p.endsWith(".sql"))
      .map((p) => p.slice(`seeds/${db}/`.length)).sort();
  assert.ok(migrations("postgres").length > 0 && migrations("aiml-postgres").length > 0);

  const project = await makeProject(files);
  try {
    await withPgDatabase(async (mainUrl) => {
      await withPgDatabase(async (aimlUrl) => {
        const env = { POSTGRES_URL: mainUrl, AIML_POSTGRES_URL: aimlUrl };
        const first = await runCli(["--seed=full", ...ONLY], { cwd: project.dir, env });
        assert.equal(first.code, 0, first.stderr);
        const counts = summaryCounts(lastLine(first.stdout));
        assert.equal(counts.failed, 0);
        assert.equal(counts.skipped, 0);

        let tracked = 0;
        for (const [db, url] of [["postgres", mainUrl], ["aiml-postgres", aimlUrl]] as const) {
          const rows = await trackingRows(url);
          tracked += rows.length;
          assert.ok(rows.every((r) => r.success), `${db}: every row succeeded`);
          assert.deepEqual(
            rows.filter((r) => r.kind === "migration").map((r) => r.script).sort(),
            migrations(db),
          );
          const seeds = rows.filter((r) => r.kind === "seed").map((r) => r.script);
          for (const s of sqlSeeds(db)) assert.ok(seeds.includes(s), `${db}: seed ${s} applied`);
        }
        assert.equal(counts.applied, tracked, "every applied file is tracked");

        const second = await runCli(["--seed=full", ...ONLY], { cwd: project.dir, env });
        assert.equal(second.code, 0, second.stderr);
        assert.match(
          lastLine(second.stdout),
          new RegExp(`^0 applied, ${tracked} skipped, 0 failed`),
        );
      });
    });
  } finally {
    await project.cleanup();
  }
});
