// verify.ts — what `db-migrate verify` costs as a process (issue 18): the examples, and N generated
// files (bench/gen-workload.ts's workload: a table, an index and 3 rows each, every 10th file also
// adds a column to the table before), each verified with the empty PGlite cluster kept by a first
// run ("warm", what CI and pre-commit pay after the first run) and without it ("cold").
//
//   deno run -A bench/verify.ts            # the examples, then N = 100 and 300
//   deno run -A bench/verify.ts 50 500     # other sizes (the examples always run first)
//
// Prints a Markdown table: files verified, the cold run, the median of 3 warm runs, and the
// check's own share (the warm run less a verify of an empty project, which is Deno's and PGlite's
// start-up).

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const sizes = Deno.args.length > 0 ? Deno.args.map(Number) : [100, 300];
const WARM_RUNS = 3;

/** One `verify` run in dir; its wall time in ms and its last line. Anything but exit 0 throws. */
async function run(dir: string, args: string[]): Promise<{ ms: number; summary: string }> {
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", `${ROOT}/deno.json`, `${ROOT}/src/main.ts`, "verify", ...args],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - started;
  const stdout = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(
      `verify ${args.join(" ")} exited ${out.code}:\n${stdout}` +
        new TextDecoder().decode(out.stderr),
    );
  }
  return { ms, summary: stdout.trim().split("\n").at(-1)! };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const rows: string[][] = [];

/** Cold once (no kept cluster), then warm WARM_RUNS times, in a fresh working directory. */
async function measure(label: string, args: string[], baseline: number | null): Promise<number> {
  const cwd = await Deno.makeTempDir({ prefix: "db-migrate-verify-bench-" });
  try {
    const cold = await run(cwd, args);
    const warm: number[] = [];
    let summary = cold.summary;
    for (let i = 0; i < WARM_RUNS; i++) {
      const r = await run(cwd, args);
      warm.push(r.ms);
      summary = r.summary;
    }
    const m = median(warm);
    const files = /^(\d+) files? verified/.exec(summary)?.[1] ?? "?";
    rows.push([
      label,
      files,
      s(cold.ms),
      s(m),
      baseline === null ? "" : s(Math.max(0, m - baseline)),
    ]);
    console.error(rows.at(-1)!.join("  "));
    return m;
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

// The floor: Deno, the program and one PGlite started from the kept cluster, on a one-line file.
const empty = await Deno.makeTempDir({ prefix: "db-migrate-verify-empty-" });
let floor: number;
try {
  await Deno.mkdir(`${empty}/migrations/postgres`, { recursive: true });
  await Deno.writeTextFile(`${empty}/migrations/postgres/V1__one.sql`, "select 1;\n");
  floor = await measure("one file (start-up)", [`--migrations=${empty}/migrations`], null);
} finally {
  await Deno.remove(empty, { recursive: true });
}
const examples = [`--migrations=${ROOT}/migrations`, `--seeds=${ROOT}/seeds`];
await measure("examples, --seed=sample", [...examples, "--seed=sample"], floor * 2);
await measure("examples, --seed=full", [...examples, "--seed=full"], floor * 2);
for (const n of sizes) {
  const dir = await Deno.makeTempDir({ prefix: "db-migrate-verify-gen-" });
  try {
    const gen = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}/bench/gen-workload.ts`, String(n), dir, "--db-migrate"],
      stdout: "null",
    });
    if (!(await gen.output()).success) throw new Error("gen-workload.ts failed");
    await measure(`generated N=${n}`, [`--migrations=${dir}/db-migrate`, "--seed=none"], floor);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const head = ["workload", "files", "cold", `warm (median of ${WARM_RUNS})`, "of which the check"];
console.log(`| ${head.join(" | ")} |\n|${head.map(() => " --- ").join("|")}|`);
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
