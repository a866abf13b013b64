// The tenants overlay (k8s/overlays/tenants): the control database's Job and an Indexed Job of
// shards, shaped as the README says, and their declared command lines run against real databases:
// the control database migrated once, every tenant by exactly one shard.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "../helpers.ts";
import { runCli } from "../helpers.ts";
import { applied, hits, withFleet } from "../e2e/_tenants.ts";
import { at, envGranted, kustomize, type Obj, readPermissionSet } from "./_deploy.ts";

const OVERLAY = join(ROOT, "k8s/overlays/tenants");

async function jobs(): Promise<{ control: Obj; tenants: Obj }> {
  const resources = await kustomize(OVERLAY);
  assert.deepEqual(resources.map((r) => r.kind), ["Job", "Job"]);
  const byName = Object.fromEntries(
    resources.map((r) => [String((r.metadata as Obj).name), r]),
  );
  return { control: byName["db-migrate-control"]!, tenants: byName["db-migrate-tenants"]! };
}

function container(job: Obj): Obj {
  return (at(job, "spec", "template", "spec", "containers") as Obj[])[0]!;
}

function env(job: Obj): Record<string, string | null> {
  return Object.fromEntries(
    ((container(job).env ?? []) as Obj[]).map((e) => [
      String(e.name),
      typeof e.value === "string" ? e.value : null,
    ]),
  );
}

Deno.test("the tenants overlay is a control Job and an Indexed Job with one shard per index", async () => {
  const { control, tenants } = await jobs();
  const spec = tenants.spec as Obj;
  assert.equal(spec.completionMode, "Indexed");
  assert.equal(typeof spec.completions, "number");
  assert.ok((spec.parallelism as number) <= (spec.completions as number));
  assert.equal(Number(env(tenants).DB_MIGRATE_SHARDS), spec.completions);
  const args = container(tenants).args as string[];
  assert.ok(args.includes("--shard=auto"), `${args}`);
  // A shard names the tenant group only: it never migrates the control database.
  const group = args.find((a) => a.startsWith("--database="))!.slice(11);
  const controlArgs = container(control).args as string[];
  assert.deepEqual(controlArgs, ["--database=control"]);
  assert.notEqual(group, "control");
  // Both run restricted, as the base Job does, and stop on exit 2 and 3 at once.
  for (const job of [control, tenants]) {
    const pod = at(job, "spec", "template", "spec") as Obj;
    assert.equal(pod.restartPolicy, "Never");
    assert.equal((pod.securityContext as Obj).runAsNonRoot, true);
    assert.equal((container(job).securityContext as Obj).readOnlyRootFilesystem, true);
    const failJob = (at(job, "spec", "podFailurePolicy", "rules") as Obj[])
      .find((r) => r.action === "FailJob")!;
    assert.deepEqual((failJob.onExitCodes as Obj).values, [2, 3]);
  }
});

Deno.test("every variable of the tenants overlay is granted, but the control URL the user adds", async () => {
  const set = await readPermissionSet();
  const { control, tenants } = await jobs();
  for (const job of [control, tenants]) {
    for (const name of Object.keys(env(job))) {
      // CONTROL_URL_FILE comes with the user's migrations/control folder (k8s/README.md).
      if (name === "CONTROL_URL_FILE") continue;
      assert.ok(envGranted(set.env, name), `${name} is not in the container's env permissions`);
    }
  }
  assert.ok(envGranted(set.env, "JOB_COMPLETION_INDEX"));
});

Deno.test({
  name: "the overlay's command lines, all pods at once: control once, each tenant by one shard",
  sanitizeResources: false,
  async fn() {
    const { control, tenants } = await jobs();
    const shards = (tenants.spec as Obj).completions as number;
    const config = `databases:
  - name: control
  - name: tenant
    tenants:
      from: control
      query: SELECT id, db_name FROM tenants WHERE state = 'provisioned' ORDER BY id
      url: postgres://\${DB_MIGRATE_TENANT_USER}:\${DB_MIGRATE_TENANT_PASSWORD}@\${DB_MIGRATE_TENANT_HOST}/{db_name}
`;
    await withFleet(10, async (fleet) => {
      // The fixture made the tenants table by hand: to db-migrate, the control database still has
      // its V1 pending, so the shards must wait for the control Job.
      const urlFile = join(fleet.dir, "control-url");
      await Deno.writeTextFile(urlFile, `${fleet.controlUrl}\n`);
      const podEnv = (job: Obj, extra: Record<string, string> = {}) => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(env(job))) out[k] = v ?? "from-a-secret";
        return {
          ...out,
          CONTROL_URL_FILE: urlFile,
          DB_MIGRATE_TENANT_USER: fleet.env.TENANT_USER!,
          DB_MIGRATE_TENANT_HOST: fleet.env.TENANT_HOST!,
          DB_MIGRATE_WAIT: "60",
          ...extra,
        };
      };
      const run = (job: Obj, extra?: Record<string, string>) =>
        runCli(container(job).args as string[], { cwd: fleet.dir, env: podEnv(job, extra) });
      const pods = await Promise.all([
        ...Array.from(
          { length: shards },
          (_, i) => run(tenants, { JOB_COMPLETION_INDEX: String(i) }),
        ),
        run(control),
      ]);
      const seen: string[] = [];
      for (const [i, pod] of pods.slice(0, shards).entries()) {
        assert.equal(pod.code, 0, `shard ${i}: ${pod.stderr}\n${pod.stdout}`);
        const events = pod.stdout.trim().split("\n").map((l) => JSON.parse(l));
        for (const e of events) {
          if (e.event === "tenant") seen.push(e.tenant);
          assert.notEqual(e.database, "control", "a shard never migrates the control database");
        }
        assert.deepEqual(
          events.at(-1).tenants.total,
          events.filter((e: Obj) => e.event === "tenant").length,
        );
      }
      assert.equal(pods[shards]!.code, 0, pods[shards]!.stderr);
      assert.deepEqual(seen.sort(), fleet.ids);
      assert.deepEqual(await applied(fleet.controlUrl), ["V1__tenants.sql"]);
      for (const id of fleet.ids) assert.equal(await hits(fleet.urlOf(id)), 1, id);
    }, { config });
  },
});
