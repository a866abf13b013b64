// Production installs hold only what src/main.ts imports: the Dockerfile's `deno install` and
// `deno task start`, each run on a scratch copy of exactly what they get (the build context, a clean
// clone), fill node_modules with the packages of src/main.ts's module graph (lazy imports included)
// and nothing the tests alone use.
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { ROOT } from "../helpers.ts";
import { buildContext, readDockerfile } from "./_deploy.ts";

/** Packages only the tests import; a production install must not hold any of them. */
const TEST_ONLY = ["ajv", "dclint", "dockerfile-ast", "kubernetes-models"];

/** Copies the build context (what .dockerignore lets through) into a scratch directory. */
async function scratchCopy(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "dbm_install_" });
  for (const f of await buildContext()) {
    await Deno.mkdir(dirname(join(dir, f)), { recursive: true });
    await Deno.copyFile(join(ROOT, f), join(dir, f));
  }
  return dir;
}

async function sh(command: string, cwd: string): Promise<void> {
  const out = await new Deno.Command("sh", {
    args: ["-c", command],
    cwd,
    env: { PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}`, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  assert.ok(
    out.success,
    `${command} failed:\n${d.decode(out.stdout)}${d.decode(out.stderr)}`,
  );
}

/** `name@version` of every package in node_modules/.deno. */
async function installed(dir: string): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const e of Deno.readDir(join(dir, "node_modules/.deno"))) {
    // `@scope+name@1.2.3`, and a peer-dependency suffix (`_…`) after the version, if any
    const m = /^(@?[^@]+)@([^_]+)/.exec(e.name);
    if (e.isDirectory && m) out.add(`${m[1]!.replace("+", "/")}@${m[2]}`);
  }
  return out;
}

/** `name@version` of every npm package in src/main.ts's module graph, per `deno info`. */
async function graphPackages(dir: string): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--frozen", "src/main.ts"],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  const pkgs = Object.values(info.npmPackages as Record<string, { name: string; version: string }>);
  assert.ok(pkgs.some((p) => p.name === "postgres"), "the graph has the PostgreSQL driver");
  assert.ok(pkgs.some((p) => p.name === "@electric-sql/pglite"), "and, lazily, PGlite");
  return new Set(pkgs.map((p) => `${p.name}@${p.version}`));
}

async function assertOnlyMainsPackages(dir: string, what: string): Promise<void> {
  const got = await installed(dir);
  const want = await graphPackages(dir);
  const extra = [...got].filter((p) => !want.has(p)).sort();
  assert.deepEqual(extra, [], `${what} installs packages src/main.ts does not import`);
  const missing = [...want].filter((p) => !got.has(p)).sort();
  assert.deepEqual(missing, [], `${what} leaves out packages src/main.ts imports`);
  for (const name of TEST_ONLY) {
    assert.ok(
      ![...got].some((p) => p.startsWith(`${name}@`)),
      `${what} installs the test-only ${name}`,
    );
  }
}

Deno.test({
  name: "the Dockerfile's deno install puts only src/main.ts's packages into node_modules",
  sanitizeResources: false,
  async fn() {
    const df = await readDockerfile();
    const install = df.runs.find((r) => /\bdeno install\b/.test(r));
    assert.ok(install, "the Dockerfile runs deno install");
    const dir = await scratchCopy();
    try {
      await sh(install, dir);
      await assertOnlyMainsPackages(dir, `RUN ${install}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "deno task start on a clean clone puts only src/main.ts's packages into node_modules",
  sanitizeResources: false,
  async fn() {
    assert.match(denoJson.tasks.start, /^deno run .*src\/main\.ts\b/);
    const dir = await scratchCopy();
    try {
      // --version ends the program before it touches a database; the install happens first.
      await sh("deno task start --version", dir);
      await assertOnlyMainsPackages(dir, "deno task start");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deno.lock locks only the packages deno.json names; tests/deno.lock adds the test-only ones", async () => {
  const prod = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.lock")));
  const test = JSON.parse(await Deno.readTextFile(join(ROOT, "tests/deno.lock")));
  assert.deepEqual(
    Object.keys(prod.specifiers).sort(),
    Object.values(denoJson.imports).sort(),
    "deno.lock: exactly deno.json's imports (a test-only package here ends up in the image)",
  );
  // The two locks agree on every production package, to the byte.
  for (const [spec, resolved] of Object.entries(prod.specifiers)) {
    assert.equal(test.specifiers[spec], resolved, `tests/deno.lock resolves ${spec} alike`);
  }
  for (const [pkg, entry] of Object.entries(prod.npm)) {
    assert.deepEqual(test.npm[pkg], entry, `tests/deno.lock has ${pkg} alike`);
  }
  for (const name of TEST_ONLY) {
    assert.ok(
      Object.keys(test.specifiers).some((s) => s.startsWith(`npm:${name}@`)),
      `tests/deno.lock locks ${name}`,
    );
  }
});
