// The Kubernetes manifests: the Kustomize base and each overlay, assembled, validated against the
// Kubernetes API schemas (kubernetes-models: its JSON-schema validators for types, enums and required
// fields, and its TypeScript types for unknown fields), and shaped as the contract asks.
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { listDatabaseFolders } from "../../src/core/discover.ts";
import { urlVariable } from "../../src/config.ts";
import { ROOT } from "../helpers.ts";
import { KUBERNETES_MODELS, loadModel, TEST_LOCK_FLAGS } from "./_packages.ts";
import {
  at,
  envGranted,
  kustomize,
  kustomizeDirs,
  type Obj,
  readPermissionSet,
  theJob,
} from "./_deploy.ts";

const K8S = join(ROOT, "k8s");
const BASE = join(K8S, "base");
const HELM = join(K8S, "overlays/helm-hook");
const ARGO = join(K8S, "overlays/argocd-presync");

/** The kubernetes-models module of a resource: `npm:kubernetes-models@…/batch/v1/Job`, `…/v1/Secret`. */
function modelModule(resource: Obj): string {
  const api = String(resource.apiVersion);
  return `${KUBERNETES_MODELS}/${api}/${resource.kind}`;
}

function container(job: Obj): Obj {
  const containers = at(job, "spec", "template", "spec", "containers") as Obj[];
  assert.equal(containers.length, 1);
  return containers[0]!;
}

function envOf(c: Obj): Record<string, string> {
  return Object.fromEntries(((c.env ?? []) as Obj[]).map((e) => [e.name, e.value]));
}

async function whichKubectl(): Promise<string | null> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      const path = join(dir, "kubectl");
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // not here
    }
  }
  return null;
}

Deno.test("k8s/ has the base and the Helm and Argo CD overlays", async () => {
  const dirs = (await kustomizeDirs()).map((d) => relative(K8S, d));
  assert.deepEqual(dirs, [
    "base",
    "overlays/argocd-presync",
    "overlays/helm-hook",
    "overlays/tenants",
  ]);
});

Deno.test("every assembled manifest is valid against the Kubernetes API schema", async () => {
  for (const dir of await kustomizeDirs()) {
    const resources = await kustomize(dir);
    assert.ok(resources.length > 0, `${dir} builds nothing`);
    for (const r of resources) {
      const mod = await loadModel(() => import(modelModule(r)));
      const Model = mod[String(r.kind)];
      try {
        new Model(r).validate();
      } catch (err) {
        assert.fail(`${relative(ROOT, dir)}: ${r.kind} ${(r.metadata as Obj)?.name}: ${err}`);
      }
    }
  }
});

Deno.test("the Kubernetes schema check rejects a wrong type and an unknown enum value", async () => {
  // A literal specifier: it puts the package in the tests' module graph, so it is installed.
  // deno-lint-ignore no-import-prefix -- test-only: kept out of deno.json (tests/deploy/_packages.ts)
  const { Job } = await loadModel(() => import("npm:kubernetes-models@5.1.0/batch/v1/Job"));
  const job = theJob(await kustomize(BASE));
  const badType = structuredClone(job);
  (badType.spec as Obj).backoffLimit = "two";
  assert.throws(() => new Job(badType).validate(), /backoffLimit must be integer/);
  const badEnum = structuredClone(job);
  (at(badEnum, "spec", "template", "spec") as Obj).restartPolicy = "Sometimes";
  assert.throws(() => new Job(badEnum).validate(), /allowed values/);
});

/** Type-checks resources against kubernetes-models' API types: an unknown field is an error there. */
async function typeCheck(resources: Obj[]): Promise<{ ok: boolean; output: string }> {
  const dir = await Deno.makeTempDir({ prefix: "dbm_k8s_types_" });
  try {
    const lines = resources.map((r, i) => {
      const iface = `I${r.kind}`;
      return `import type { ${iface} as T${i} } from "${modelModule(r)}";\n` +
        `export const r${i}: T${i} = ${JSON.stringify(r, null, 2)};`;
    });
    const file = join(dir, "manifests.ts");
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "--config", join(ROOT, "deno.json"), ...TEST_LOCK_FLAGS, file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const d = new TextDecoder();
    return { ok: out.success, output: d.decode(out.stdout) + d.decode(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "no assembled manifest has a field the Kubernetes API types do not know",
  sanitizeResources: false,
  async fn() {
    const all: Obj[] = [];
    for (const dir of await kustomizeDirs()) all.push(...await kustomize(dir));
    const result = await typeCheck(all);
    assert.ok(result.ok, result.output);

    const typo = structuredClone(theJob(await kustomize(BASE)));
    (at(container(typo), "securityContext") as Obj).readOnlyRootFileSystem = true;
    const bad = await typeCheck([typo]);
    assert.equal(bad.ok, false);
    assert.match(bad.output, /readOnlyRootFileSystem/);
  },
});

/** What `kubectl kustomize DIR` printed for each Kustomize directory, recorded beside the tests. */
function recorded(dir: string): string {
  return join(ROOT, "tests/fixtures/kustomize", `${relative(K8S, dir).replaceAll("/", "-")}.yaml`);
}

const RECORD =
  "record it again: for d in base overlays/argocd-presync overlays/helm-hook overlays/tenants; do " +
  "kubectl kustomize k8s/$d > tests/fixtures/kustomize/$(echo $d | tr / -).yaml; done";

Deno.test("the assembly here matches what kubectl kustomize printed for each directory", async () => {
  // The output kubectl kustomize gave is recorded, so the hand-made build is checked on every
  // machine, with or without kubectl; the next test keeps the record true where kubectl exists.
  const { parseAllDocuments } = await import("yaml");
  for (const dir of await kustomizeDirs()) {
    const text = await Deno.readTextFile(recorded(dir)).catch(() => {
      throw new Error(`no recorded kubectl kustomize output for ${relative(ROOT, dir)}: ${RECORD}`);
    });
    const theirs = parseAllDocuments(text).map((doc) => doc.toJS());
    assert.deepEqual(
      await kustomize(dir),
      theirs,
      `${relative(ROOT, dir)} differs from ${relative(ROOT, recorded(dir))}; if the manifests ` +
        `changed, ${RECORD}`,
    );
  }
});

const kubectl = await whichKubectl();

Deno.test({
  name: kubectl
    ? "the recorded kubectl kustomize output is what kubectl kustomize prints now"
    : "the recorded kubectl kustomize output is what kubectl kustomize prints now (no kubectl here)",
  ignore: kubectl === null,
  sanitizeResources: false,
  async fn() {
    for (const dir of await kustomizeDirs()) {
      const out = await new Deno.Command("kubectl", {
        args: ["kustomize", dir],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const d = new TextDecoder();
      assert.ok(out.success, d.decode(out.stderr));
      assert.equal(
        d.decode(out.stdout),
        await Deno.readTextFile(recorded(dir)),
        `${relative(ROOT, recorded(dir))} is stale: ${RECORD}`,
      );
    }
  },
});

Deno.test("the Job runs once, bounded in time and retries, and keeps its pod a day", async () => {
  const job = theJob(await kustomize(BASE));
  const spec = job.spec as Obj;
  const pod = at(spec, "template", "spec") as Obj;
  assert.equal(pod.restartPolicy, "Never");
  assert.ok(typeof spec.backoffLimit === "number" && spec.backoffLimit <= 3);
  assert.ok(typeof spec.activeDeadlineSeconds === "number" && spec.activeDeadlineSeconds > 0);
  assert.ok(typeof spec.ttlSecondsAfterFinished === "number" && spec.ttlSecondsAfterFinished > 0);
  // The deadline leaves room for the waits the program itself is told to make.
  const env = envOf(container(job));
  assert.ok(
    Number(env.DB_MIGRATE_WAIT) + Number(env.DB_MIGRATE_LOCK_TIMEOUT) <
      (spec.activeDeadlineSeconds as number),
  );
});

Deno.test("the Job's podFailurePolicy fails at once on exit 2 or 3 and ignores disruptions", async () => {
  const job = theJob(await kustomize(BASE));
  const rules = at(job, "spec", "podFailurePolicy", "rules") as Obj[];
  const failJob = rules.filter((r) => r.action === "FailJob");
  const codes = failJob.flatMap((r) => {
    const on = r.onExitCodes as Obj;
    assert.equal(on.operator, "In");
    assert.equal(on.containerName, "db-migrate");
    return on.values as number[];
  });
  assert.ok(codes.includes(2) && codes.includes(3), `FailJob on ${codes}`);
  assert.ok(!codes.includes(4), "exit 4 (unreachable, lock busy) is worth a retry");
  assert.ok(
    rules.some((r) =>
      r.action === "Ignore" &&
      (r.onPodConditions as Obj[]).some((c) => c.type === "DisruptionTarget")
    ),
  );
});

Deno.test("the Job's pod runs restricted: non-root, read-only root, no capabilities, no token", async () => {
  const job = theJob(await kustomize(BASE));
  const pod = at(job, "spec", "template", "spec") as Obj;
  assert.equal(pod.automountServiceAccountToken, false);
  const podSc = pod.securityContext as Obj;
  assert.equal(podSc.runAsNonRoot, true);
  assert.equal(podSc.runAsUser, 1993);
  assert.deepEqual(podSc.seccompProfile, { type: "RuntimeDefault" });
  const c = container(job);
  const sc = c.securityContext as Obj;
  assert.equal(sc.allowPrivilegeEscalation, false);
  assert.equal(sc.readOnlyRootFilesystem, true);
  assert.deepEqual((sc.capabilities as Obj).drop, ["ALL"]);
  const resources = c.resources as Obj;
  assert.ok((resources.requests as Obj).cpu && (resources.requests as Obj).memory);
  assert.ok((resources.limits as Obj).memory);
  // The only writable mount is an emptyDir; the Secret is read-only.
  const volumes = Object.fromEntries((pod.volumes as Obj[]).map((v) => [v.name, v]));
  for (const m of c.volumeMounts as Obj[]) {
    const v = volumes[String(m.name)]!;
    assert.ok(v, `volume ${m.name}`);
    if (v.secret) assert.equal(m.readOnly, true);
    else assert.ok(v.emptyDir, `${m.name} must be an emptyDir`);
  }
});

Deno.test("the Job's image is this version, with the program as its entry point", async () => {
  const c = container(theJob(await kustomize(BASE)));
  assert.equal(c.image, `db-migrate:${denoJson.version}`);
  assert.equal(c.command, undefined, "the image's ENTRYPOINT is the program");
});

Deno.test("the Job takes every database's URL from the mounted Secret, as files it may read", async () => {
  const job = theJob(await kustomize(BASE));
  const pod = at(job, "spec", "template", "spec") as Obj;
  const c = container(job);
  const env = envOf(c);
  const set = await readPermissionSet();
  for (const name of Object.keys(env)) {
    assert.ok(envGranted(set.env, name), `${name} is not in the container's env permissions`);
  }
  const secretMount = (c.volumeMounts as Obj[]).find((m) =>
    (pod.volumes as Obj[]).some((v) => v.name === m.name && v.secret)
  );
  assert.ok(secretMount, "a Secret volume is mounted");
  const mountPath = String(secretMount.mountPath);
  const readable = (set.read as string[]).filter((p) => p.startsWith("/"));
  assert.ok(readable.some((p) => mountPath === p || mountPath.startsWith(`${p}/`)));
  for (const db of listDatabaseFolders(join(ROOT, "migrations"))) {
    const file = env[`${urlVariable(db)}_FILE`];
    assert.ok(file, `${urlVariable(db)}_FILE for migrations/${db}`);
    assert.ok(file.startsWith(`${mountPath}/`), `${file} is not in the Secret's mount`);
  }
  assert.equal(c.terminationMessagePath, "/dev/termination-log");
  assert.equal(c.terminationMessagePolicy, "FallbackToLogsOnError");
  assert.ok((set.write as string[]).includes(String(c.terminationMessagePath)));
});

Deno.test("the Helm overlay makes the Job a pre-install and pre-upgrade hook", async () => {
  const job = theJob(await kustomize(HELM));
  const a = at(job, "metadata", "annotations") as Obj;
  assert.equal(a["helm.sh/hook"], "pre-install,pre-upgrade");
  assert.equal(typeof a["helm.sh/hook-weight"], "string");
  assert.equal(a["helm.sh/hook-delete-policy"], "before-hook-creation");
  // Everything else is the base's Job.
  const base = theJob(await kustomize(BASE));
  assert.deepEqual(job.spec, base.spec);
});

Deno.test("the Argo CD overlay makes the Job a PreSync hook", async () => {
  const job = theJob(await kustomize(ARGO));
  const a = at(job, "metadata", "annotations") as Obj;
  assert.equal(a["argocd.argoproj.io/hook"], "PreSync");
  assert.equal(a["argocd.argoproj.io/hook-delete-policy"], "BeforeHookCreation");
  const base = theJob(await kustomize(BASE));
  assert.deepEqual(job.spec, base.spec);
});
