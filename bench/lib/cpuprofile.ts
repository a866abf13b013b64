// deno run --allow-read bench/lib/cpuprofile.ts FILE.cpuprofile...
// Summarises V8 CPU profiles (`deno run --cpu-prof`) of db-migrate: where the samples fall, by the
// code that owns the innermost frame, and by phase (the innermost db-migrate or postgres.js function
// on the stack). Several files are averaged. Used by bench/profile.sh.

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface Node {
  id: number;
  callFrame: Frame;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const files = Deno.args;
if (files.length === 0) throw new Error("usage: cpuprofile.ts FILE.cpuprofile...");

/** Who owns a frame's code. */
function owner(f: Frame): string {
  const u = f.url;
  if (f.functionName === "(idle)") return "(idle: waiting for the server, the disk or a timer)";
  if (f.functionName === "(garbage collector)") return "(garbage collector)";
  if (f.functionName === "(program)") {
    return "(program: V8 and Deno native work: parse, compile, instantiate, ops)";
  }
  if (f.functionName === "(root)") return "(root)";
  if (/\/postgres@[\d.]+\//.test(u)) return "npm:postgres (postgres.js)";
  if (u.includes("/node_modules/")) {
    return `npm: ${/node_modules\/(@[^/]+\/[^/]+|[^/]+)\//.exec(u)?.[1] ?? u}`;
  }
  const src = /\/src\/(.+)$/.exec(u);
  if (src && u.startsWith("file:")) return `db-migrate src/${src[1]}`;
  if (u.startsWith("ext:deno_node") || u.startsWith("node:")) {
    return "Deno's Node compatibility layer (ext:deno_node)";
  }
  if (u.startsWith("ext:")) return "Deno runtime JS (ext:*)";
  return u || "(native)";
}

const byOwner = new Map<string, number>();
const byPhase = new Map<string, number>();
const byFn = new Map<string, number>();
let total = 0, wall = 0;

/** The phase of a stack: named after the innermost frame we can name. */
function phase(stack: Frame[]): string {
  const leaf = stack.at(-1)!;
  if (leaf.functionName === "(idle)") {
    return "idle (waiting: server round trips, file reads, timers)";
  }
  if (leaf.functionName === "(garbage collector)") return "garbage collection";
  const names = stack.map((f) => f.functionName);
  const urls = stack.map((f) => f.url);
  const has = (re: RegExp) => names.some((n) => re.test(n));
  if (has(/^checksum$|^decodeFile$|^readTracked$/)) return "read + decode + SHA-256 of the files";
  if (has(/^discoverMigrations$|^discoverSeeds$|^listDatabaseFolders$/)) return "list the folders";
  if (urls.some((u) => /\/postgres@[\d.]+\//.test(u))) {
    // postgres.js code: loading it (top-level module code) or running a query.
    const pg = stack.filter((f) => /\/postgres@[\d.]+\//.test(f.url));
    return pg.some((f) => f.functionName === "") && !has(/^(connect|handle|data|execute|end)$/)
      ? "evaluate npm:postgres modules"
      : "postgres.js at work (connect, queries, end)";
  }
  if (urls.some((u) => u.startsWith("ext:deno_node") || u.startsWith("node:"))) {
    return "Node compatibility layer (loading node:* modules or running them)";
  }
  if (leaf.functionName === "(program)") {
    return "V8/Deno native: parse, compile, instantiate modules, ops";
  }
  if (urls.some((u) => u.startsWith("file:") && u.includes("/src/"))) {
    const top = stack.find((f) => f.url.startsWith("file:") && f.url.includes("/src/"))!;
    return top.functionName === ""
      ? "evaluate db-migrate's modules (top-level code)"
      : "db-migrate code (config, plan, report)";
  }
  if (urls.some((u) => u.startsWith("ext:"))) return "Deno runtime JS (bootstrap, ops glue)";
  return "other";
}

for (const file of files) {
  const p: Profile = JSON.parse(await Deno.readTextFile(file));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stackOf = (id: number) => {
    const out: Frame[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      out.push(byId.get(cur)!.callFrame);
    }
    return out.reverse().slice(1); // drop (root)
  };
  wall += (p.endTime - p.startTime) / 1000;
  p.samples.forEach((id, i) => {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000; // the time until the next sample
    const stack = stackOf(id);
    if (stack.length === 0) return;
    const leaf = stack.at(-1)!;
    total += dt;
    byOwner.set(owner(leaf), (byOwner.get(owner(leaf)) ?? 0) + dt);
    const ph = phase(stack);
    byPhase.set(ph, (byPhase.get(ph) ?? 0) + dt);
    const fn = `${leaf.functionName || "(top level)"} ${
      leaf.url.replace(/^.*\/(src|node_modules)\//, "$1/")
    }:${leaf.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + dt);
  });
}

const k = files.length;
const table = (title: string, m: Map<string, number>, limit = 99) => {
  console.log(`\n${title}\n`);
  console.log("| | ms per run | share |");
  console.log("| --- | ---: | ---: |");
  for (const [name, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    console.log(
      `| ${name.replaceAll("|", "\\|")} | ${(t / k).toFixed(1)} | ${
        ((t / total) * 100).toFixed(0)
      } % |`,
    );
  }
};
console.log(
  `${k} profile(s); profiled time ${(wall / k).toFixed(1)} ms per run (sampled ${
    (total / k).toFixed(1)
  } ms)`,
);
table("By phase (innermost frame we can name)", byPhase);
table("By owner of the innermost frame (self time)", byOwner);
table("Top functions (self time)", byFn, 15);
