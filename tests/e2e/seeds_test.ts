// SQL seeds: the cumulative modes (none, reference, sample, full), SEED_MODE, tracking by checksum
// (unchanged → skipped, changed → applied again).
import assert from "node:assert/strict";
import { lastLine, pgQuery, runCli, withPgDatabase } from "../helpers.ts";
import { sha256, trackingRows, withProject } from "./_util.ts";

/** Each seed appends its own name to seed_log, so the log shows which seeds ran, in order. */
function seed(name: string): string {
  return `INSERT INTO seed_log (name) VALUES ('${name}');\n`;
}

const FILES: Record<string, string> = {
  "migrations/postgres/V1__seed_log.sql":
    "CREATE TABLE IF NOT EXISTS seed_log (n serial PRIMARY KEY, name text NOT NULL);\n",
  // Name order within a set, whatever order the files were written in.
  "seeds/postgres/reference/020_ref_b.sql": seed("reference/020"),
  "seeds/postgres/reference/010_ref_a.sql": seed("reference/010"),
  "seeds/postgres/sample/010_sample.sql": seed("sample/010"),
  "seeds/postgres/full/010_full.sql": seed("full/010"),
};

async function seedLog(url: string): Promise<string[]> {
  const rows = await pgQuery(url, "SELECT name FROM seed_log ORDER BY n");
  return rows.map((r) => String(r.name));
}

const EXPECTED: Record<string, string[]> = {
  none: [],
  reference: ["reference/010", "reference/020"],
  sample: ["reference/010", "reference/020", "sample/010"],
  full: ["reference/010", "reference/020", "sample/010", "full/010"],
};

/** The tracking table's script of each seed (its path relative to the database's seed folder). */
const SCRIPT: Record<string, string> = {
  "reference/010": "reference/010_ref_a.sql",
  "reference/020": "reference/020_ref_b.sql",
  "sample/010": "sample/010_sample.sql",
  "full/010": "full/010_full.sql",
};

for (const mode of ["none", "reference", "sample", "full"]) {
  const what = mode === "none"
    ? "applies no seeds, and a re-run applies nothing"
    : `applies the seeds up to ${mode} in order, and a re-run skips them`;
  Deno.test(`--seed=${mode} ${what}`, async () => {
    const expected = EXPECTED[mode]!;
    await withPgDatabase(async (url) => {
      await withProject(FILES, async (dir) => {
        const env = { POSTGRES_URL: url };
        const r = await runCli([`--seed=${mode}`], { cwd: dir, env });
        assert.equal(r.code, 0, r.stderr);
        assert.match(
          lastLine(r.stdout),
          new RegExp(`^${1 + expected.length} applied, 0 skipped, 0 failed`),
        );
        assert.deepEqual(await seedLog(url), expected);
        const seedRows = (await trackingRows(url)).filter((x) => x.kind === "seed");
        assert.deepEqual(
          seedRows.map((x) => [x.script, x.version, x.success]).sort(),
          expected.map((n) => [SCRIPT[n], null, true]).sort(),
        );

        const again = await runCli([`--seed=${mode}`], { cwd: dir, env });
        assert.equal(again.code, 0, again.stderr);
        assert.match(
          lastLine(again.stdout),
          new RegExp(`^0 applied, ${1 + expected.length} skipped, 0 failed`),
        );
        assert.deepEqual(await seedLog(url), expected, "no seed ran twice");
      });
    });
  });
}

Deno.test("a changed seed is applied again and its new checksum recorded", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { POSTGRES_URL: url };
      assert.equal((await runCli(["--seed=reference"], { cwd: dir, env })).code, 0);

      const changed = seed("reference/020 changed");
      await Deno.writeTextFile(`${dir}/seeds/postgres/reference/020_ref_b.sql`, changed);
      const r = await runCli(["--seed=reference"], { cwd: dir, env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(lastLine(r.stdout), /^1 applied, 2 skipped, 0 failed/);
      assert.deepEqual(await seedLog(url), [
        "reference/010",
        "reference/020",
        "reference/020 changed",
      ]);
      const row = (await trackingRows(url)).find((x) => x.script === "reference/020_ref_b.sql");
      assert.equal(row?.checksum, await sha256(changed));
      assert.equal(
        (await trackingRows(url)).filter((x) => x.script === "reference/020_ref_b.sql").length,
        1,
        "still one tracking row per seed file",
      );
    });
  });
});

Deno.test("SEED_MODE=sample in the environment applies reference then sample seeds", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url, SEED_MODE: "sample" } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(lastLine(r.stdout), /^4 applied, 0 skipped, 0 failed/);
      assert.deepEqual(await seedLog(url), EXPECTED.sample);
    });
  });
});

Deno.test("without --seed or SEED_MODE the reference seeds are applied", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await seedLog(url), EXPECTED.reference);
    });
  });
});
