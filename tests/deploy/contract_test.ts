// The contract between the image and the files that run it: the Dockerfile's exact ENTRYPOINT (its
// Deno permission set included) with the environment the Compose service and the Kubernetes Job
// declare, URLs pointed at the test servers, run as the image's user against read-only copies of the
// migrations and seeds. A permission the image lacks, a variable the files name that the program
// does not read, or a folder the image leaves out fails here.
import assert from "node:assert/strict";
import { join } from "node:path";
import { kindOfName, urlVariable } from "../../src/config.ts";
import type { SeedMode } from "../../src/core/types.ts";
import { lastLine, ROOT, withClickHouseDatabase, withPgDatabase } from "../helpers.ts";
import { at, isObj, kustomize, type Obj, readCompose, serviceEnv, theJob } from "./_deploy.ts";
import { type ImageRun, runImage, type StagedImage, stageImage } from "./_image.ts";

/** Runs fn with a fresh database of its kind for every folder under migrations/: name → URL. */
async function withDatabases<T>(fn: (urls: Map<string, string>) => Promise<T>): Promise<T> {
  const dbs = databaseFolders();
  const urls = new Map<string, string>();
  const next = (i: number): Promise<T> => {
    if (i === dbs.length) return fn(urls);
    const name = dbs[i]!;
    const make = kindOfName(name) === "clickhouse" ? withClickHouseDatabase : withPgDatabase;
    return make((url) => {
      urls.set(name, url);
      return next(i + 1);
    });
  };
  return await next(0);
}

/** The seed folders a mode applies (the contract: modes are cumulative). */
const SEED_FOLDERS: Record<SeedMode, string[]> = {
  none: [],
  reference: ["reference"],
  sample: ["reference", "sample"],
  full: ["reference", "sample", "full"],
};

/** The names in a folder (none when it is missing). */
function names(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/**
 * How many files a first run applies, counted from the folders by the contract's naming rules and
 * not by the code under test: each `V<version>__<description>.sql` of each database, and each
 * `.sql`, `.yaml`, `.yml` and `.csv` seed of the mode's folders but a CSV's YAML sidecar.
 */
function filesToApply(mode: SeedMode): number {
  let n = 0;
  for (const db of databaseFolders()) {
    n += names(join(ROOT, "migrations", db)).filter((f) => /^V\d+__.+\.sql$/.test(f)).length;
    for (const folder of SEED_FOLDERS[mode]) {
      const files = names(join(ROOT, "seeds", db, folder));
      const csv = new Set(files.filter((f) => f.endsWith(".csv")).map((f) => f.slice(0, -4)));
      n += files.filter((f) => {
        const m = /^(.*)\.(sql|yaml|yml|csv)$/.exec(f);
        return m !== null && !(m[2]!.startsWith("y") && csv.has(m[1]!));
      }).length;
    }
  }
  assert.ok(n > 20, `the examples hold more than ${n} files`);
  return n;
}

/** The database folders under migrations/. */
function databaseFolders(): string[] {
  return [...Deno.readDirSync(join(ROOT, "migrations"))].filter((e) => e.isDirectory).map((e) =>
    e.name
  ).sort();
}

/**
 * Points the declared environment at the test databases: `<NAME>_URL` gets the URL,
 * `<NAME>_URL_FILE` gets a file holding it, mounted where the declared path says. Every database
 * folder must be named by one of the two.
 */
async function pointAtTestDatabases(
  image: StagedImage,
  declared: Record<string, string>,
  urls: Map<string, string>,
): Promise<Record<string, string>> {
  const env = { ...declared };
  for (const [name, url] of urls) {
    const variable = urlVariable(name);
    if (env[variable] !== undefined && env[variable] !== "") {
      env[variable] = url;
    } else if (env[`${variable}_FILE`]) {
      const file = env[`${variable}_FILE`]!;
      await image.mountSecret(file, `${url}\n`);
      // The container's path, as the staged root has it.
      env[`${variable}_FILE`] = image.path(file);
    } else {
      assert.fail(`the environment names neither ${variable} nor ${variable}_FILE`);
    }
  }
  return env;
}

function explain(run: ImageRun): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

/** The db-migrate service of the overlay, merged over docker-compose.yml's services. */
async function composeService(): Promise<Obj> {
  const overlay = await readCompose("docker-compose.db-migrate.yml");
  const service = at(overlay, "services", "db-migrate");
  assert.ok(isObj(service));
  return service;
}

/** The db-migrate container of the Job in k8s/base. */
async function jobContainer(): Promise<Obj> {
  const job = theJob(await kustomize(join(ROOT, "k8s/base")));
  const containers = at(job, "spec", "template", "spec", "containers") as Obj[];
  const container = containers.find((c) => c.name === "db-migrate");
  assert.ok(container, "the Job has no container named db-migrate");
  return container;
}

function jobEnv(container: Obj): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of (container.env ?? []) as Obj[]) {
    assert.equal(typeof e.value, "string", `env ${e.name} must have a literal value`);
    env[String(e.name)] = String(e.value);
  }
  return env;
}

Deno.test({
  name: "the image's entry point with the Compose service's environment applies every database",
  sanitizeResources: false,
  async fn() {
    const image = await stageImage();
    try {
      await withDatabases(async (urls) => {
        // `docker compose ... run --rm db-migrate --seed=full`: no host variables, so the file's
        // defaults apply, then the URLs are pointed at the test servers. The full seeds have every
        // kind of file (SQL, YAML with bcrypt, CSV), so every path the program reads is exercised.
        const env = await pointAtTestDatabases(image, serviceEnv(await composeService()), urls);
        const first = await runImage(image, { args: ["--seed=full"], env });
        assert.equal(first.code, 0, explain(first));
        const n = filesToApply("full");
        assert.match(lastLine(first.stdout), new RegExp(`^${n} applied, 0 skipped, 0 failed`));

        const second = await runImage(image, { args: ["--seed=full"], env });
        assert.equal(second.code, 0, explain(second));
        assert.match(lastLine(second.stdout), new RegExp(`^0 applied, ${n} skipped, 0 failed`));
      });
    } finally {
      await image.cleanup();
    }
  },
});

Deno.test({
  name: "the image's entry point with the Job's environment reads URL files and logs JSON",
  sanitizeResources: false,
  async fn() {
    const image = await stageImage();
    try {
      const container = await jobContainer();
      await withDatabases(async (urls) => {
        const env = await pointAtTestDatabases(image, jobEnv(container), urls);
        // The kubelet's /dev/termination-log, mapped into the staged root like every image path.
        env.DB_MIGRATE_TERMINATION_LOG = image.path("/dev/termination-log");
        const args = container.args as string[] | undefined;
        const run = await runImage(image, { args, env });
        assert.equal(run.code, 0, explain(run));

        const events = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
        assert.ok(events.every((e) => typeof e.event === "string" && typeof e.time === "string"));
        const summary = events[events.length - 1];
        const seedMode = (jobEnv(container).SEED_MODE ?? "reference") as SeedMode;
        assert.equal(summary.event, "summary");
        assert.equal(summary.ok, true);
        assert.equal(summary.applied, filesToApply(seedMode));
        const files = events.filter((e) => e.event === "file");
        assert.equal(files.length, summary.applied);
        for (const f of files) {
          assert.equal(typeof f.database, "string");
          assert.equal(typeof f.file, "string");
          assert.equal(f.status, "applied");
          assert.equal(typeof f.durationMs, "number");
        }

        const message = JSON.parse(await Deno.readTextFile(image.path("/dev/termination-log")));
        assert.deepEqual(message, {
          ok: true,
          exitCode: 0,
          applied: summary.applied,
          skipped: 0,
          failed: 0,
          error: null,
        });
      });
    } finally {
      await image.cleanup();
    }
  },
});

Deno.test({
  name:
    "the harness enforces the permission set: without /run/secrets the Job's run stops at exit 2",
  sanitizeResources: false,
  async fn() {
    const image = await stageImage({
      permissions: (set) => ({
        ...set,
        read: (set.read as string[]).filter((p) => !p.endsWith("/run/secrets")),
      }),
    });
    try {
      const container = await jobContainer();
      const env = jobEnv(container);
      // No database is reached: reading the first URL file fails first.
      for (const [k, v] of Object.entries(env)) {
        if (!k.endsWith("_URL_FILE")) continue;
        await image.mountSecret(v, "postgres://127.0.0.1:1/none\n");
        env[k] = image.path(v);
      }
      const run = await runImage(image, { env });
      assert.equal(run.code, 2, explain(run));
      assert.match(run.stderr, /Requires read access/);
    } finally {
      await image.cleanup();
    }
  },
});
