// The NOOP floor of our job's own design (not the job): everything a run that finds nothing to do
// must do, and nothing else.
//   1. list DIR, keep V<digits>__<desc>.sql, sort by version;
//   2. read each file and take its SHA-256 (hex) - what drift detection needs;
//   3. connect with npm:postgres, take the advisory lock, read _schema_migrations, unlock;
//   4. compare; print "0 applied, N skipped, 0 failed"; exit 0 (exit 3 on drift, 1 if pending).
// The table is the one psql/per-file-tracked.sql creates (see gen-workload.sh).
// Usage: DATABASE_URL=... deno run --allow-env --allow-net --allow-read noop-floor.ts DIR
import postgres from "postgres";

const dir = Deno.args[0];
const files: { version: number; name: string }[] = [];
for await (const e of Deno.readDir(dir)) {
  const m = /^V(\d+)__(.+)\.sql$/.exec(e.name);
  if (e.isFile && m) files.push({ version: Number(m[1]), name: e.name });
}
files.sort((a, b) => a.version - b.version);

const hex = (b: ArrayBuffer) =>
  Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
const sums = await Promise.all(
  files.map(async (f) =>
    hex(await crypto.subtle.digest("SHA-256", await Deno.readFile(`${dir}/${f.name}`)))
  ),
);

const sql = postgres(Deno.env.get("DATABASE_URL")!, { max: 1, onnotice: () => {} });
const applied = await sql.begin(async (tx) => {
  await tx`select pg_advisory_xact_lock(7241865325823964)`;
  return await tx`select version, checksum from _schema_migrations order by version`;
});
await sql.end();

const byVersion = new Map(applied.map((r) => [Number(r.version), r.checksum as string]));
let pending = 0, drift = 0;
files.forEach((f, i) => {
  const sum = byVersion.get(f.version);
  if (sum === undefined) pending++;
  else if (sum !== sums[i]) drift++;
});
console.log(
  `0 applied, ${
    files.length - pending - drift
  } skipped, 0 failed (pending ${pending}, drift ${drift})`,
);
Deno.exit(drift ? 3 : pending ? 1 : 0);
