// gen-seeds.ts OUTDIR [YAML_ROWS] [CSV_ROWS] — the seed benchmark's files (defaults 10000, 100000).
//
//   OUTDIR/migrations/postgres/V1__bench_seed_tables.sql     two empty tables with the same columns
//   OUTDIR/seeds-yaml/postgres/full/010_bench_yaml_rows.yaml YAML_ROWS rows (plain list, default key)
//   OUTDIR/seeds-csv/postgres/full/010_bench_csv_rows.csv    CSV_ROWS rows (header = columns)
//   OUTDIR/psql/yaml_rows.csv                                the YAML's rows as CSV, for psql \copy
//
// Row i: id i, name "user <i>", email "user<i>@example.test", score (i*7919) % 1000, active i odd.
const [out, yamlArg, csvArg] = Deno.args;
if (!out) throw new Error("usage: gen-seeds.ts OUTDIR [YAML_ROWS] [CSV_ROWS]");
const yamlRows = Number(yamlArg ?? 10000), csvRows = Number(csvArg ?? 100000);

await Deno.remove(out, { recursive: true }).catch(() => {});
for (
  const d of ["migrations/postgres", "seeds-yaml/postgres/full", "seeds-csv/postgres/full", "psql"]
) {
  await Deno.mkdir(`${out}/${d}`, { recursive: true });
}

const table = (name: string) =>
  `CREATE TABLE IF NOT EXISTS ${name} (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL,
  score integer NOT NULL,
  active boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
`;
await Deno.writeTextFile(
  `${out}/migrations/postgres/V1__bench_seed_tables.sql`,
  table("bench_yaml_rows") + table("bench_csv_rows"),
);

const row = (i: number) => ({
  id: i,
  name: `user ${i}`,
  email: `user${i}@example.test`,
  score: (i * 7919) % 1000,
  active: i % 2 === 1,
});
const HEADER = "id,name,email,score,active\n";
const csvLine = (i: number) => {
  const r = row(i);
  return `${r.id},${r.name},${r.email},${r.score},${r.active}\n`;
};

const yaml: string[] = ["bench_yaml_rows:\n"];
const yamlCsv: string[] = [HEADER];
for (let i = 1; i <= yamlRows; i++) {
  const r = row(i);
  yaml.push(
    `  - { id: ${r.id}, name: "${r.name}", email: "${r.email}", score: ${r.score}, active: ${r.active} }\n`,
  );
  yamlCsv.push(csvLine(i));
}
await Deno.writeTextFile(`${out}/seeds-yaml/postgres/full/010_bench_yaml_rows.yaml`, yaml.join(""));
await Deno.writeTextFile(`${out}/psql/yaml_rows.csv`, yamlCsv.join(""));

const csv: string[] = [HEADER];
for (let i = 1; i <= csvRows; i++) csv.push(csvLine(i));
await Deno.writeTextFile(`${out}/seeds-csv/postgres/full/010_bench_csv_rows.csv`, csv.join(""));

console.log(`wrote a ${yamlRows}-row YAML seed and a ${csvRows}-row CSV seed under ${out}`);
