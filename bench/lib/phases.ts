// Timing marks for one db-migrate NOOP, taken inside the process with the program's own modules,
// in the order src/main.ts and the pipeline (src/core/pipeline.ts) do the work. Used by
// bench/profile.sh, never by a test.
//
//   POSTGRES_URL=... deno run -A --config deno.json bench/lib/phases.ts MIGRATIONS_DIR/postgres
//   POSTGRES_URL=... deno run -A --config deno.json bench/lib/phases.ts --runs=15 MIGRATIONS_DIR/postgres
//
// Prints one JSON line of milliseconds per phase; with --runs=K, runs itself K times (each a new
// process) and prints a Markdown table of the medians (min–max). "start" is the time from the runtime's time
// origin to this script's first line (Deno's own start-up after the process began is outside it:
// compare with `deno run empty.ts`). It reproduces the NOOP path, not every branch of it: a run
// that finds everything applied takes no lock (src/core/pipeline.ts), so neither does this.
const marks: [string, number][] = [["start", performance.now()]];
const mark = (name: string) => marks.push([name, performance.now()]);

const src = new URL("../../src/", import.meta.url);
const dir = Deno.args.find((a) => !a.startsWith("--"));
if (!dir) throw new Error("usage: phases.ts [--runs=K] MIGRATIONS_DIR/postgres");
const runsArg = Deno.args.find((a) => a.startsWith("--runs="));
if (runsArg) {
  await repeat(Number(runsArg.slice(7)), dir);
  Deno.exit(0);
}

/** Runs this script K times, each in its own process, and prints the medians per phase. */
async function repeat(k: number, dir: string): Promise<void> {
  const samples = new Map<string, number[]>();
  for (let i = 0; i < k + 1; i++) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--config",
        new URL("../deno.json", src).pathname,
        new URL(import.meta.url).pathname,
        dir,
      ],
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error("phases.ts failed");
    if (i === 0) continue; // warm-up
    const row: Record<string, number> = JSON.parse(new TextDecoder().decode(out.stdout));
    for (const [name, v] of Object.entries(row)) {
      samples.set(name, [...(samples.get(name) ?? []), v]);
    }
  }
  const med = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b), h = s.length >> 1;
    return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
  };
  let sum = 0;
  console.log(`| phase (in order) | ms, median of ${k} (min–max) |`);
  console.log("| --- | ---: |");
  for (const [name, xs] of samples) {
    sum += med(xs);
    console.log(
      `| ${name} | ${med(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${
        Math.max(...xs).toFixed(1)
      }) |`,
    );
  }
  console.log(`| sum of the medians | ${sum.toFixed(1)} |`);
}

// 1. The modules src/main.ts imports statically (read from its source, so the list stays current).
const mainText = await Deno.readTextFile(new URL("main.ts", src));
const specs = [...mainText.matchAll(/^import\s[^;]*?from\s+"(\.[^"]+)"/gms)].map((m) => m[1]!);
await Promise.all(
  specs.map((s) =>
    s.endsWith(".json")
      ? import(new URL(s, src).href, { with: { type: "json" } })
      : import(new URL(s, src).href)
  ),
);
mark("import src (main.ts's static graph)");

// 2. The kind (through the registry, as a run loads it): npm:postgres first, then the rest.
await import("postgres");
mark("import npm:postgres");
const { postgresKind } = await import(new URL("drivers/postgres/kind.ts", src).href);
mark("import drivers/postgres/");

// 3. List, read and SHA-256 every migration.
const { discoverMigrations } = await import(new URL("core/discover.ts", src).href);
const files = discoverMigrations(dir, "postgres");
mark(`list + read + hash ${files.length} files`);

// 4. Connect (postgres.js connects on the first query: CONNECT_SQL).
const target = {
  name: "postgres",
  kind: "postgres",
  url: Deno.env.get("POSTGRES_URL")!,
  urlSource: "POSTGRES_URL",
  urlVariable: "POSTGRES_URL",
  migrationsDir: dir,
  seedsDir: dir,
};
const driver = await postgresKind.open(target, {});
await driver.connect(10_000);
mark("connect + first query");

// 5. One read of every tracking row (the columns a plan compares).
const rows = (await driver.readTracking(false)) ?? [];
mark(`read ${rows.length} tracking rows`);

// 6. Plan (files vs rows).
const { planDatabase } = await import(new URL("core/plan.ts", src).href);
const plan = planDatabase(files, [], rows);
if (plan.pending.length || plan.drift.length) throw new Error("not a NOOP: apply everything first");
mark("plan");

// 7. Close.
await driver.close();
mark("close");

const out: Record<string, number> = {};
let prev = 0;
for (const [name, t] of marks) {
  out[name] = Math.round((t - prev) * 100) / 100;
  prev = t;
}
console.log(JSON.stringify(out));
Deno.exit(0);
