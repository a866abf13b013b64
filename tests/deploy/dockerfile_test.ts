// The Dockerfile's structure, read with dockerfile-ast, and the build context .dockerignore leaves.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "../helpers.ts";
import {
  buildContext,
  isIgnored,
  parseDockerignore,
  PERMISSION_SET,
  pinnedDenoVersion,
  readDockerfile,
} from "./_deploy.ts";
import { numericUser } from "./_image.ts";

Deno.test("the Dockerfile's base image is denoland/deno at the tests' Deno version, by tag and digest", async () => {
  const df = await readDockerfile();
  const version = await pinnedDenoVersion();
  assert.equal(Deno.version.deno, version, "the tests must run on the pinned Deno");
  assert.equal(df.from.image, "denoland/deno");
  assert.equal(df.from.tag, version);
  assert.match(df.from.digest ?? "", /^sha256:[0-9a-f]{64}$/);
  assert.equal(df.instructions.filter((i) => i.getKeyword() === "FROM").length, 1);
});

Deno.test("the Dockerfile runs as a numeric non-root user", async () => {
  const df = await readDockerfile();
  const user = numericUser(df.user);
  assert.ok(user, `USER must be numeric (uid:gid), not ${df.user}`);
  assert.notEqual(user.uid, 0);
  assert.notEqual(user.gid, 0);
  // denoland/deno's own user `deno` is uid 1993: the base image's DENO_DIR belongs to it.
  assert.equal(user.uid, 1993);
  const keywords = df.instructions.map((i) => i.getKeyword());
  assert.ok(
    keywords.lastIndexOf("USER") > keywords.lastIndexOf("RUN"),
    "nothing may run as root after USER",
  );
});

Deno.test("the ENTRYPOINT is exec form and runs src/main.ts with the deno.json permission set only", async () => {
  const df = await readDockerfile();
  assert.ok(df.entrypoint, "ENTRYPOINT must be a JSON array (exec form)");
  assert.ok(df.cmd, "CMD must be exec form too (an empty array: the flags come from the user)");
  assert.deepEqual(df.cmd, []);
  const [deno, sub, ...flags] = df.entrypoint;
  assert.equal(deno, "deno");
  assert.equal(sub, "run");
  assert.equal(flags[flags.length - 1], "src/main.ts");
  assert.ok(flags.includes(`--permission-set=${PERMISSION_SET}`));
  for (const f of flags) {
    assert.ok(
      !/^(-A|--allow-|-[RWNES]\b|--unsafely)/.test(f),
      `${f}: every permission comes from the permission set`,
    );
  }
  // No network at run time, no prompt on a TTY, the lock exactly as committed.
  for (const f of ["--cached-only", "--frozen", "--no-prompt"]) assert.ok(flags.includes(f), f);
  assert.equal(df.workdir, "/app");
});

Deno.test("the Dockerfile installs dependencies from deno.lock frozen and copies migrations and seeds", async () => {
  const df = await readDockerfile();
  assert.ok(
    df.runs.some((r) => /\bdeno install --frozen\b/.test(r)),
    "RUN deno install --frozen",
  );
  const copied = df.copies.flatMap((c) => c.sources.map((s) => s.replace(/\/$/, "")));
  for (const needed of ["deno.json", "deno.lock", "src", "migrations", "seeds"]) {
    assert.ok(copied.includes(needed), `COPY ${needed}`);
  }
  assert.ok(!("DENO_DIR" in df.env), "DENO_DIR stays the base image's /deno-dir");
});

Deno.test(".dockerignore keeps tests, benches, local data and node_modules out of the build context", async () => {
  const rules = parseDockerignore(await Deno.readTextFile(join(ROOT, ".dockerignore")));
  for (
    const out of [
      "tests/helpers.ts",
      "tests/deploy/contract_test.ts",
      "bench/run.sh",
      ".db-migrate/postgres/PG_VERSION",
      "node_modules/postgres/package.json",
      ".git/HEAD",
      ".tools/services/x",
      ".env",
      "migrations/postgres/.db-migrate/x",
      "src/node_modules/x",
      "k8s/base/job.yaml",
    ]
  ) assert.ok(isIgnored(rules, out), `${out} must stay out`);
  for (
    const kept of [
      "deno.json",
      "deno.lock",
      "src/main.ts",
      "src/seeds/bcrypt_worker.ts",
      "migrations/postgres/V001__extensions.sql",
      "seeds/postgres/reference/010_rbac.yaml",
    ]
  ) assert.ok(!isIgnored(rules, kept), `${kept} must be in the context`);
});

Deno.test("every file the Dockerfile copies is in the build context", async () => {
  const df = await readDockerfile();
  const context = await buildContext();
  for (const copy of df.copies) {
    for (const source of copy.sources) {
      const src = source.replace(/\/+$/, "");
      assert.ok(
        context.some((f) => f === src || f.startsWith(`${src}/`)),
        `COPY ${source}: .dockerignore leaves it out`,
      );
    }
  }
  assert.ok(context.every((f) => !f.startsWith("tests/") && !f.startsWith("node_modules/")));
});
