// verify.ts — what `verify`'s idempotency check costs on PGlite (issue 18), before the command is
// wired: the engine (src/verify/) driven as tests/verify/_harness.ts drives it.
//
//   deno run -A bench/verify.ts            # the examples, then N = 100 and 300 generated files
//   deno run -A bench/verify.ts 50 500     # other sizes (the examples always run first)
//
// For each workload and each way of telling whether a file changed something:
//   snapshot  a full snapshot after every file of the second pass
//   versions  the catalogs' and tables' row versions first (takeFingerprint), a snapshot if moved
//   mark      the next transaction ID first (takeWriteMark), then versions, then a snapshot; the
//             second pass runs the files without tracking rows, as the command will
// it prints the wall time of the check, the part spent applying files, and the snapshots and
// fingerprints read. Generated workloads are bench/gen-workload.ts's, seeds none.
import { describeVerdict } from "../src/verify/idempotency.ts";
import { takeSnapshot } from "../src/verify/snapshot.ts";
import { projectFiles, startPglite, verifyFiles } from "../tests/verify/_harness.ts";
import type { SeedMode } from "../src/types.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const sizes = Deno.args.length > 0 ? Deno.args.map(Number) : [100, 300];
const STRATEGIES = ["snapshot", "versions", "mark"] as const;

const ms = (n: number) => `${Math.round(n).toLocaleString("en-US")} ms`;
const rows: string[][] = [];

async function measure(label: string, root: string, database: string, seed: SeedMode) {
  const files = projectFiles(root, database, seed);
  for (const strategy of STRATEGIES) {
    let started = performance.now();
    const scratch = await startPglite(files.map((f) => f.text));
    const startMs = performance.now() - started;
    try {
      const timings: Record<string, number> = {};
      started = performance.now();
      const result = await verifyFiles(scratch, files, database, {
        embedded: true,
        fingerprint: strategy === "snapshot" ? false : strategy,
        exec: scratch.exec!,
        timings,
      });
      const total = performance.now() - started;
      const findings = result.verdicts.flatMap((v) => describeVerdict(v));
      if (findings.length > 0) throw new Error(`${label}: not clean:\n${findings.join("\n")}`);
      started = performance.now();
      const snap = await takeSnapshot(scratch.query);
      const one = performance.now() - started;
      rows.push([
        label,
        String(files.length),
        strategy,
        ms(startMs),
        ms(total),
        ms(timings.apply ?? 0),
        ms((timings.snapshot ?? 0) + (timings.fingerprint ?? 0) + (timings.mark ?? 0)),
        String(result.snapshots),
        String(result.fingerprints),
        `${ms(one)} (${Object.keys(snap.objects).length} objects)`,
      ]);
      console.error(rows.at(-1)!.join("  "));
    } finally {
      await scratch.close();
    }
  }
}

await measure("examples postgres (sample)", ROOT, "postgres", "sample");
await measure("examples aiml-postgres (full)", ROOT, "aiml-postgres", "full");
for (const n of sizes) {
  const dir = await Deno.makeTempDir({ prefix: "db-migrate-verify-bench-" });
  try {
    const gen = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}/bench/gen-workload.ts`, String(n), dir, "--db-migrate"],
      stdout: "null",
    });
    if (!(await gen.output()).success) throw new Error("gen-workload.ts failed");
    await Deno.symlink(`${dir}/db-migrate`, `${dir}/migrations`);
    await measure(`generated N=${n}`, dir, "postgres", "none");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const head = [
  "workload",
  "files",
  "change test",
  "PGlite start",
  "check",
  "of which apply",
  "of which snapshots + fingerprints",
  "snapshots",
  "fingerprints",
  "one snapshot",
];
console.log(`| ${head.join(" | ")} |\n|${head.map(() => " --- ").join("|")}|`);
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
