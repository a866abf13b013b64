// deno run --allow-read bench/lib/summarize.ts RESULTS_DIR
// Turns the hyperfine JSON files bench/run.sh wrote into Markdown: medians (min–max) in seconds,
// ratios within the run, the targets with PASS/FAIL, and the seed rates. Nothing here is asserted:
// performance is read by people, never checked by `deno test`.

import { seedSection } from "./seeds-summary.ts";

interface R {
  median: number;
  min: number;
  max: number;
  cpu: number;
  name: string;
  /** Time of each counted round (bench/run.sh runs compared commands in rounds), by round. */
  byRound: Map<number, number>;
}

const dir = Deno.args[0] ?? "bench/out";
const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b), h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};
const readJson = (path: string) => {
  try {
    return JSON.parse(Deno.readTextFileSync(path)).results[0];
  } catch {
    return null; // a measurement still running (or stopped): its file is empty
  }
};
// Rounds: rounds/NAME.rK.json, one run each; round 0 is the warm-up and is left out.
const rounds = new Map<string, { round: number; t: number; cpu: number; name: string }[]>();
try {
  for (const e of Deno.readDirSync(`${dir}/rounds`)) {
    const mm = /^(.+)\.r(\d+)\.json$/.exec(e.name);
    if (!mm || mm[2] === "0") continue;
    const r = readJson(`${dir}/rounds/${e.name}`);
    if (!r) continue;
    const list = rounds.get(mm[1]!) ?? [];
    list.push({ round: Number(mm[2]), t: r.median, cpu: r.user + r.system, name: r.command });
    rounds.set(mm[1]!, list);
  }
} catch {
  // no rounds folder
}
const m = new Map<string, R>();
for (const [key, list] of rounds) {
  const ts = list.map((x) => x.t);
  m.set(key, {
    median: med(ts),
    min: Math.min(...ts),
    max: Math.max(...ts),
    cpu: list.reduce((a, x) => a + x.cpu, 0) / list.length,
    name: list[0]!.name,
    byRound: new Map(list.map((x) => [x.round, x.t])),
  });
}
// Plain hyperfine files (NAME.json, several runs each), as older runs wrote them.
for (const e of Deno.readDirSync(dir)) {
  if (!e.name.endsWith(".json") || m.has(e.name.slice(0, -5))) continue;
  const r = readJson(`${dir}/${e.name}`);
  if (!r) continue;
  m.set(e.name.slice(0, -5), {
    median: r.median,
    min: r.min,
    max: r.max,
    cpu: r.user + r.system,
    name: r.command,
    byRound: new Map(),
  });
}
/** The median over rounds of a/b, taken round by round (null without common rounds). */
const paired = (a?: R, b?: R) => {
  if (!a || !b) return null;
  const rs = [...a.byRound.keys()].filter((k) => b.byRound.has(k));
  return rs.length ? med(rs.map((k) => a.byRound.get(k)! / b.byRound.get(k)!)) : null;
};
const text = (f: string) => {
  try {
    return Deno.readTextFileSync(`${dir}/${f}`).trim();
  } catch {
    return null;
  }
};

const s = (x: number) => x.toFixed(3);
const cell = (r?: R) => (r ? `${s(r.median)} (${s(r.min)}–${s(r.max)})` : "—");
const cpu = (r?: R) => (r ? s(r.cpu) : "—");
const ratio = (a?: R, b?: R) => (a && b ? `${(a.median / b.median).toFixed(2)}×` : "—");
const ms = (x: number) => `${(x * 1000).toFixed(1)} ms`;

const ns = [...new Set([...m.keys()].map((k) => /\.n(\d+)\./.exec(k)?.[1]).filter(Boolean))]
  .map(Number).sort((a, b) => a - b);
const get = (kind: string, n: number, tool: string) => m.get(`${kind}.n${n}.${tool}`);

const out: string[] = [];
const versions = text("versions.txt");
const settings = text("settings.txt");
out.push("## db-migrate benchmark\n");
if (versions) out.push("```\n" + versions + (settings ? `\n${settings}` : "") + "\n```\n");
out.push(
  "Whole-process wall seconds from `hyperfine -N`, median (min–max). Ratios divide medians of the " +
    "same run. Read ratios, not absolute seconds, and treat differences under about 10 % as noise.\n",
);

// ---------------------------------------------------------------------------------------------
const coldTools: [string, string][] = [
  ["psql-1tx", "psql -1 -f all.sql (limit: 1 tx)"],
  ["psql-tx-per-file", "psql, BEGIN/\\i/COMMIT per file"],
  ["psql-tx-per-file-tracked", "psql, tx per file + INSERT into _schema_migrations (target base)"],
  ["db-migrate", "**db-migrate**"],
  ["dbmate", "dbmate 2.36 (Go binary)"],
  ["postgrator", "postgrator-cli 9.1"],
  ["node-pg-migrate", "node-pg-migrate 9.0 (all pending in 1 tx)"],
  ["node-pg-migrate-tx-per-file", "node-pg-migrate 9.0 --no-single-transaction"],
];
out.push("### COLD: apply all N migrations to an empty database\n");
out.push("| tool | N | s | ÷ psql -1 | ÷ psql tx/file + INSERT | client cpu s |");
out.push("| --- | ---: | --- | ---: | ---: | ---: |");
for (const n of ns) {
  const lim1 = get("cold", n, "psql-1tx"), limT = get("cold", n, "psql-tx-per-file-tracked");
  for (const [t, label] of coldTools) {
    const r = get("cold", n, t);
    const failed = text(`cold.n${n}.${t}.failed.txt`);
    if (r) {
      out.push(
        `| ${label} | ${n} | ${cell(r)} | ${ratio(r, lim1)} | ${ratio(r, limT)} | ${cpu(r)} |`,
      );
    } else if (failed) {
      out.push(`| ${label} | ${n} | failed (${failed.replaceAll("|", "\\|")}) | — | — | — |`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
const noopTools: [string, string][] = [
  ["psql-1query", "psql, 1 query on _schema_migrations (native client limit)"],
  ["deno-noop-floor", "deno noop-floor.ts: list + SHA-256, lock, 1 query (target base)"],
  ["read-native", "find + sha256sum of the N files (native; no database)"],
  ["deno-read-floor", "deno read-floor.ts: list + read the N files (no hash, no database)"],
  ["db-migrate", "**db-migrate**"],
  ["dbmate", "dbmate 2.36 (Go binary)"],
  ["dbmate-npm-wrapper", "dbmate 2.36 via its npm wrapper"],
  ["postgrator", "postgrator-cli 9.1"],
  ["node-pg-migrate", "node-pg-migrate 9.0"],
];
out.push("\n### NOOP: run again with all N applied (the release that has nothing to do)\n");
out.push("| tool | N | s | ÷ psql 1 query | ÷ deno floor | client cpu s |");
out.push("| --- | ---: | --- | ---: | ---: | ---: |");
for (const n of ns) {
  const q = get("noop", n, "psql-1query"), f = get("noop", n, "deno-noop-floor");
  for (const [t, label] of noopTools) {
    const r = get("noop", n, t);
    if (r) {
      out.push(`| ${label} | ${n} | ${cell(r)} | ${ratio(r, q)} | ${ratio(r, f)} | ${cpu(r)} |`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
out.push("\n### db-migrate's read-only modes\n");
out.push(
  "| N | NOOP s | `--status` s | ÷ NOOP | `--dry-run`, all applied s | ÷ NOOP | `--dry-run`, empty database (N pending) s | ÷ NOOP |",
);
out.push("| ---: | --- | --- | ---: | --- | ---: | --- | ---: |");
for (const n of ns) {
  const noop = get("noop", n, "db-migrate");
  const st = get("status", n, "db-migrate"), dr = get("dryrun", n, "db-migrate");
  const de = get("dryrun-empty", n, "db-migrate");
  if (!noop && !st && !dr && !de) continue;
  out.push(
    `| ${n} | ${cell(noop)} | ${cell(st)} | ${ratio(st, noop)} | ${cell(dr)} | ${
      ratio(dr, noop)
    } | ${cell(de)} | ${ratio(de, noop)} |`,
  );
}

// ---------------------------------------------------------------------------------------------
const plusTools: [string, string][] = [
  ["psql-tracked", "psql: BEGIN; \\i file; INSERT; COMMIT (limit)"],
  ["db-migrate", "**db-migrate**"],
  ["dbmate", "dbmate 2.36 (Go binary)"],
  ["postgrator", "postgrator-cli 9.1"],
  ["node-pg-migrate", "node-pg-migrate 9.0"],
];
out.push("\n### +1: one new migration on top of N applied\n");
out.push("| tool | N | s | ÷ psql | − db-migrate NOOP | client cpu s |");
out.push("| --- | ---: | --- | ---: | ---: | ---: |");
for (const n of ns) {
  const lim = get("plus1", n, "psql-tracked");
  for (const [t, label] of plusTools) {
    const r = get("plus1", n, t);
    const noop = get("noop", n, t);
    const d = r && noop ? r.median - noop.median : 0;
    const extra = t === "db-migrate" && r && noop ? `${d >= 0 ? "+" : "−"}${ms(Math.abs(d))}` : "";
    if (r) out.push(`| ${label} | ${n} | ${cell(r)} | ${ratio(r, lim)} | ${extra} | ${cpu(r)} |`);
  }
}

// ---------------------------------------------------------------------------------------------
if (ns.length >= 2) {
  const [lo, hi] = [ns[0]!, ns.at(-1)!];
  out.push(
    `\n### Growth from N=${lo} to N=${hi}: extra ms per migration (difference of medians ÷ ${
      hi - lo
    })\n`,
  );
  out.push("| tool | COLD ms/migration | NOOP ms/migration | NOOP N=" + hi + " − N=" + lo + " |");
  out.push("| --- | ---: | ---: | ---: |");
  const seen = new Set<string>();
  for (const [t, label] of [...coldTools, ...noopTools]) {
    if (seen.has(t)) continue;
    seen.add(t);
    const c1 = get("cold", lo, t),
      c2 = get("cold", hi, t),
      o1 = get("noop", lo, t),
      o2 = get("noop", hi, t);
    if (!(c1 && c2) && !(o1 && o2)) continue;
    const per = (
      a?: R,
      b?: R,
    ) => (a && b ? (((b.median - a.median) / (hi - lo)) * 1000).toFixed(2) : "—");
    out.push(
      `| ${label} | ${per(c1, c2)} | ${per(o1, o2)} | ${
        o1 && o2 ? ms(o2.median - o1.median) : "—"
      } |`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
out.push("\n### Targets (issue 6), from this run\n");
out.push(
  "PASS/FAIL is judged on the ratio of the medians. *paired* is the cross-check: the median, over " +
    "the rounds, of the ratio within each round (both commands timed back to back), which a change " +
    "of load on a shared machine disturbs less.\n",
);
out.push("| target | measured | paired | limit | result |");
out.push("| --- | --- | --- | --- | --- |");
const target = (
  what: string,
  measured: number | null,
  pair: number | null,
  limit: number,
  fmt: (x: number) => string,
) =>
  out.push(
    `| ${what} | ${measured === null ? "not measured" : fmt(measured)} | ${
      pair === null ? "—" : fmt(pair)
    } | ≤ ${fmt(limit)} | ${
      measured === null ? "—" : measured <= limit ? "**PASS**" : "**FAIL**"
    } |`,
  );
const x = (v: number) => `${v.toFixed(2)}×`;
const rat = (a?: R, b?: R) => (a && b ? a.median / b.median : null);
{
  const a = get("cold", 500, "db-migrate"), b = get("cold", 500, "psql-tx-per-file-tracked");
  target("COLD N=500 ÷ psql tx-per-file + INSERT", rat(a, b), paired(a, b), 1.05, x);
}
{
  const a = get("noop", 500, "db-migrate"), b = get("noop", 500, "deno-noop-floor");
  target("NOOP N=500 ÷ Deno NOOP floor (noop-floor.ts)", rat(a, b), paired(a, b), 1.2, x);
}
/** Seconds a tool's NOOP grows from N=50 to N=2000 (null unless both were measured). */
const growth = (t: string) => {
  const a = get("noop", 50, t), b = get("noop", 2000, t);
  return a && b ? b.median - a.median : null;
};
const dmGrowth = growth("db-migrate");
target("NOOP N=2000 − NOOP N=50", dmGrowth, null, 0.010, ms);
for (const n of ns) {
  const a = get("status", n, "db-migrate"), b = get("noop", n, "db-migrate");
  if (a || b) target(`\`--status\` N=${n} ÷ NOOP N=${n}`, rat(a, b), paired(a, b), 1.2, x);
}
// The growth target is read against what reading the files costs at all in the same run.
const readGrowth = ([
  ["deno read-floor.ts (list + read, no hash)", growth("deno-read-floor")],
  ["native find + sha256sum", growth("read-native")],
  ["deno noop-floor.ts", growth("deno-noop-floor")],
] as const).filter(([, g]) => g !== null);
if (readGrowth.length) {
  const floor = growth("deno-read-floor");
  out.push(
    "\nFor the growth target, the same run's growth from N=50 to N=2000 of processes that only " +
      "read the files: " + readGrowth.map(([what, g]) => `${what} ${ms(g!)}`).join("; ") + "." +
      (dmGrowth !== null && floor !== null
        ? ` db-migrate's NOOP grows ${ms(dmGrowth - floor)} more than deno read-floor.ts.`
        : ""),
  );
}

// ---------------------------------------------------------------------------------------------
out.push(...seedSection(dir));

// ---------------------------------------------------------------------------------------------
out.push("\n### Floors (independent of N)\n");
out.push("| what | s |");
out.push("| --- | --- |");
for (
  const [k, label] of [
    ["drop-create-db", "drop + create database (empty)"],
    ["psql-select1", "psql: connect, select 1"],
    ["node-empty", "node -e 0"],
    ["deno-empty", "deno run empty.ts"],
    ["deno-select1", "deno run select1.ts (import npm:postgres, connect, select 1, end)"],
    [
      "db-migrate-version",
      "db-migrate --version (Deno start-up + db-migrate's static module graph)",
    ],
  ]
) {
  const r = m.get(`floor.${k}`);
  if (r) out.push(`| ${label} | ${cell(r)} |`);
}

console.log(out.join("\n"));
