// deno run --allow-read bench/lib/seeds-summary.ts RESULTS_DIR
// The seed section of the bench (bench/seeds.sh): medians (min–max) of whole-process seconds,
// ratios to the servers' own tools within the same run (also paired: the median of the per-round
// ratios), peak memory, and the targets of issues 16 and 11 with PASS/FAIL. Read by people; nothing
// here is asserted. bench/lib/summarize.ts prints the same section.

interface R {
  median: number;
  min: number;
  max: number;
  cpu: number;
  byRound: Map<number, number>;
}

const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b), h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};

/** The seed section's Markdown lines, from the files bench/seeds.sh wrote under dir. */
export function seedSection(dir: string): string[] {
  const text = (f: string) => {
    try {
      return Deno.readTextFileSync(`${dir}/${f}`).trim();
    } catch {
      return null;
    }
  };
  const meta = text("seed.meta.txt");
  if (!meta) return [];
  const setting = (k: string) => new RegExp(`^${k}=(.*)$`, "m").exec(meta)?.[1] ?? "";
  const runs = new Map<string, { round: number; t: number; cpu: number }[]>();
  try {
    for (const e of Deno.readDirSync(`${dir}/rounds`)) {
      const m = /^(seed\..+)\.r(\d+)\.json$/.exec(e.name);
      if (!m || m[2] === "0") continue;
      try {
        const r = JSON.parse(Deno.readTextFileSync(`${dir}/rounds/${e.name}`)).results[0];
        const list = runs.get(m[1]!) ?? [];
        list.push({ round: Number(m[2]), t: r.median, cpu: r.user + r.system });
        runs.set(m[1]!, list);
      } catch {
        // a run still being written
      }
    }
  } catch {
    return [];
  }
  const get = (k: string): R | undefined => {
    const list = runs.get(k);
    if (!list?.length) return undefined;
    const ts = list.map((x) => x.t);
    return {
      median: med(ts),
      min: Math.min(...ts),
      max: Math.max(...ts),
      cpu: med(list.map((x) => x.cpu)),
      byRound: new Map(list.map((x) => [x.round, x.t])),
    };
  };
  const s = (x: number) => x.toFixed(3);
  const cell = (r?: R) => (r ? `${s(r.median)} (${s(r.min)}–${s(r.max)})` : "—");
  const paired = (a?: R, b?: R) => {
    if (!a || !b) return null;
    const rs = [...a.byRound.keys()].filter((k) => b.byRound.has(k));
    return rs.length ? med(rs.map((k) => a.byRound.get(k)! / b.byRound.get(k)!)) : null;
  };
  const x = (v: number | null) => (v === null ? "—" : `${v.toFixed(2)}×`);
  const ratio = (a?: R, b?: R) => (a && b ? a.median / b.median : null);
  const both = (a?: R, b?: R) => `${x(ratio(a, b))} (paired ${x(paired(a, b))})`;
  const rate = (
    rows: number,
    r?: R,
  ) => (r ? Math.round(rows / r.median).toLocaleString("en-US") : "—");
  const net = (rows: number, r?: R, base?: R) =>
    r && base && r.median > base.median
      ? Math.round(rows / (r.median - base.median)).toLocaleString("en-US")
      : "—";
  const mb = (f: string) => {
    const t = text(f);
    return t ? Number(t.split(" ")[0]) / 1024 : null;
  };
  const targets: [string, string, string, boolean | null][] = [];
  const target = (what: string, measured: string, limit: string, ok: boolean | null) =>
    targets.push([what, measured, limit, ok]);

  const out: string[] = [];
  const start = get("seed.start.db-migrate"), psqlStart = get("seed.start.psql");
  out.push("\n### Seeds at the server's speed (bench/seeds.sh)\n");
  out.push(
    `Whole-process seconds, median (min–max) of the rounds; load average ${
      setting("load_start")
    } at the start, ${setting("load_end") || "?"} at the end, ${setting("cores")} cores. *net* ` +
      `subtracts the tool's start-up: db-migrate \`--seed=none\` on the same database (${
        start ? s(start.median) : "?"
      } s), psql's connect + select 1 (${psqlStart ? s(psqlStart.median) : "?"} s).\n`,
  );

  out.push("| YAML seed into an empty table | rows | s | rows/s | net rows/s | ÷ psql \\copy |");
  out.push("| --- | ---: | --- | ---: | ---: | ---: |");
  for (const n of setting("yaml").split(/\s+/).filter(Boolean).map(Number)) {
    const dm = get(`seed.yaml.${n}.db-migrate`), pc = get(`seed.yaml.${n}.psql-copy`);
    out.push(
      `| **db-migrate** \`--seed=full\` | ${n} | ${cell(dm)} | ${rate(n, dm)} | ${
        net(n, dm, start)
      } | ${both(dm, pc)} |`,
    );
    out.push(
      `| psql \\copy of the same rows as CSV | ${n} | ${cell(pc)} | ${rate(n, pc)} | ${
        net(n, pc, psqlStart)
      } | 1.00× |`,
    );
    if (dm) {
      const r = n / dm.median;
      target(
        `YAML ${n} rows: rows/s (whole process)`,
        Math.round(r).toLocaleString("en-US"),
        "≥ 50,000",
        r >= 50000,
      );
    }
  }

  out.push("\n| CSV seed (PostgreSQL) | rows | s | ÷ psql \\copy + merge | ÷ bare psql \\copy |");
  out.push("| --- | ---: | --- | ---: | ---: |");
  for (const n of setting("csv").split(/\s+/).filter(Boolean).map(Number)) {
    const dm = get(`seed.csv.${n}.db-migrate`), pm = get(`seed.csv.${n}.psql-merge`);
    const pc = get(`seed.csv.${n}.psql-copy`);
    const again = get(`seed.csv-again.${n}.db-migrate`);
    const pmAgain = get(`seed.csv-again.${n}.psql-merge`);
    out.push(
      `| **db-migrate**, empty table | ${n} | ${cell(dm)} | ${both(dm, pm)} | ${both(dm, pc)} |`,
    );
    out.push(
      `| psql: \\copy into a temporary table + the same upsert | ${n} | ${cell(pm)} | 1.00× | ${
        both(pm, pc)
      } |`,
    );
    out.push(`| psql: bare \\copy into the empty table | ${n} | ${cell(pc)} | — | 1.00× |`);
    out.push(
      `| **db-migrate**, over the same rows (merge, all unchanged) | ${n} | ${cell(again)} | ${
        both(again, pmAgain)
      } | — |`,
    );
    out.push(
      `| psql: \\copy + the same upsert, over the same rows | ${n} | ${
        cell(pmAgain)
      } | 1.00× | — |`,
    );
    const r1 = ratio(dm, pm), r2 = ratio(dm, pc), r3 = ratio(again, pmAgain);
    target(
      `CSV ${n}, empty table ÷ psql \\copy + merge`,
      x(r1),
      "≤ 1.50×",
      r1 === null ? null : r1 <= 1.5,
    );
    target(
      `CSV ${n}, over the same rows ÷ psql \\copy + merge`,
      x(r3),
      "≤ 1.50×",
      r3 === null ? null : r3 <= 1.5,
    );
    target(
      `CSV ${n}, empty table ÷ bare psql \\copy`,
      x(r2),
      "≤ 2.00×",
      r2 === null ? null : r2 <= 2,
    );
  }

  const chWhy = text("seed.ch.unavailable.txt");
  out.push(
    "\n| CSV seed (ClickHouse) | rows | s | ÷ clickhouse-client INSERT | ÷ client INSERT + OPTIMIZE FINAL |",
  );
  out.push("| --- | ---: | --- | ---: | ---: |");
  if (chWhy) out.push(`| ${chWhy} | | | | |`);
  for (const n of setting("csv").split(/\s+/).filter(Boolean).map(Number)) {
    const dm = get(`seed.ch.${n}.db-migrate`), cl = get(`seed.ch.${n}.client`);
    const co = get(`seed.ch.${n}.client-optimize`);
    if (!dm && !cl) continue;
    out.push(
      `| **db-migrate** (INSERT, then OPTIMIZE TABLE FINAL) | ${n} | ${cell(dm)} | ${
        both(dm, cl)
      } | ${both(dm, co)} |`,
    );
    out.push(
      `| clickhouse-client \`INSERT ... FORMAT CSVWithNames\` | ${n} | ${cell(cl)} | 1.00× | — |`,
    );
    out.push(
      `| clickhouse-client INSERT, then OPTIMIZE TABLE FINAL | ${n} | ${cell(co)} | — | 1.00× |`,
    );
    const r = ratio(dm, cl), ro = ratio(dm, co);
    target(
      `ClickHouse CSV ${n} ÷ clickhouse-client INSERT`,
      x(r),
      "≤ 1.50×",
      r === null ? null : r <= 1.5,
    );
    target(
      `ClickHouse CSV ${n} ÷ client INSERT + OPTIMIZE`,
      x(ro),
      "≤ 1.50×",
      ro === null ? null : ro <= 1.5,
    );
  }

  const first = get("seed.bcrypt.first"), again = get("seed.bcrypt.again");
  const cores = Number(setting("cores")) || 1;
  out.push(
    `\n| !bcrypt (${setting("bcrypt_rows")} values, cost ${
      setting("bcrypt_cost")
    }) | s | client cpu s | cores busy (cpu ÷ wall) |`,
  );
  out.push("| --- | --- | ---: | ---: |");
  for (
    const [label, r] of [["first application (hashes every value)", first], [
      "applied again, hashes still match",
      again,
    ]] as const
  ) {
    out.push(
      `| ${label} | ${cell(r)} | ${r ? s(r.cpu) : "—"} | ${
        r ? (r.cpu / r.median).toFixed(2) : "—"
      } |`,
    );
  }
  if (first) {
    const busy = first.cpu / first.median;
    target(
      "!bcrypt first application: cores busy",
      busy.toFixed(2),
      `≥ ${(0.65 * cores).toFixed(2)} of ${cores}`,
      busy >= 0.65 * cores,
    );
  }
  const kept = text("seed.bcrypt.again.note.txt");
  if (kept !== null) {
    // bcrypt cannot tell a text from a stored hash without hashing it once more (compare costs a
    // hash): what "hashes nothing" can mean is that no stored hash is replaced.
    const ok = /\b0 inserted, 0 updated\b/.test(kept);
    target("!bcrypt applied again: hashes replaced", ok ? "none" : kept, "none", ok);
  }

  const full = get("seed.noop.full"), none = get("seed.noop.none");
  out.push("\n| no-op over the examples (postgres, aiml-postgres) | s | ÷ `--seed=none` |");
  out.push("| --- | --- | ---: |");
  out.push(
    `| \`--seed=full\`, every file applied and unchanged | ${cell(full)} | ${both(full, none)} |`,
  );
  out.push(`| \`--seed=none\` | ${cell(none)} | 1.00× |`);
  const rn = ratio(full, none);
  target("no-op --seed=full ÷ --seed=none", x(rn), "≤ 1.20×", rn === null ? null : rn <= 1.2);

  const rssRows: [string, string, number][] = [
    ["YAML, 100,000 rows", "seed.rss.yaml.100000.rss.txt", 300],
    ["YAML, 200,000 rows", "seed.rss.yaml.200000.rss.txt", 200],
    ["CSV, 2,000,000 rows (PostgreSQL)", "seed.rss.csv.2000000.rss.txt", 200],
    ["CSV, 2,000,000 rows (ClickHouse)", "seed.rss.ch.2000000.rss.txt", 200],
  ];
  if (rssRows.some(([, f]) => text(f))) {
    out.push("\n| peak memory (one run, /usr/bin/time) | RSS MB | s | limit |");
    out.push("| --- | ---: | ---: | ---: |");
    for (const [label, f, limit] of rssRows) {
      const v = mb(f);
      if (v === null) continue;
      out.push(`| ${label} | ${v.toFixed(0)} | ${text(f)!.split(" ")[1]} | < ${limit} |`);
      target(`peak RSS, ${label}`, `${v.toFixed(0)} MB`, `< ${limit} MB`, v < limit);
    }
  }

  out.push("\n| seed target | measured | limit | result |");
  out.push("| --- | --- | --- | --- |");
  for (const [what, measured, limit, ok] of targets) {
    out.push(
      `| ${what} | ${measured} | ${limit} | ${ok === null ? "—" : ok ? "**PASS**" : "**FAIL**"} |`,
    );
  }
  return out;
}

if (import.meta.main) console.log(seedSection(Deno.args[0] ?? "bench/out").join("\n"));
