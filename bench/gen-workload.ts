// gen-workload.ts N OUTDIR — the benchmark workload: N migrations in every tool's layout.
//
//   deno run --allow-write --allow-read bench/gen-workload.ts 500 /tmp/db-migrate-bench/workload/n500
//
// Writes, byte for byte, what the peer benchmark's reference generator writes (so figures compare
// with its published anchors):
//
//   OUTDIR/flyway/V0001__create_t_0001.sql          our format (V<version>__<description>.sql)
//   OUTDIR/dbmate/0001_create_t_0001.sql            dbmate: -- migrate:up / -- migrate:down
//   OUTDIR/postgrator/0001.do.create_t_0001.sql     postgrator: <version>.do.<name>.sql
//   OUTDIR/node-pg-migrate/0001_create_t_0001.sql   node-pg-migrate: -- Up Migration / -- Down Migration
//   OUTDIR/psql/all.sql                             every migration concatenated (psql -1 -f)
//   OUTDIR/psql/per-file.sql                        BEGIN; \ir file; COMMIT; per migration
//   OUTDIR/psql/per-file-tracked.sql                same, plus an INSERT into _schema_migrations
//                                                   (SHA-256 of the file) in each transaction
//
// Migration i creates t_i (bigint primary key, text NOT NULL, timestamptz DEFAULT now()) with an
// index on name and 3 rows (ON CONFLICT DO NOTHING); every 10th one also adds a column to t_{i-1}
// and back-fills it. Every migration is idempotent; the up-SQL bytes are identical in all layouts.
//
// With --db-migrate, it also writes OUTDIR/db-migrate/postgres/ (the flyway files, hard-linked):
// db-migrate reads one folder per database, so `--migrations=OUTDIR/db-migrate` is database
// "postgres", reached through POSTGRES_URL. That folder is not part of the reference layout.
import { createHash } from "node:crypto";

const args = Deno.args.filter((a) => !a.startsWith("--"));
const withDbMigrate = Deno.args.includes("--db-migrate");
const N = Number(args[0] ?? 500);
if (!Number.isSafeInteger(N) || N < 1) throw new Error(`bad N: ${args[0]}`);
const OUT = args[1] ?? `/tmp/db-migrate-bench/workload/n${N}`;

const pad = (i: number) => String(i).padStart(4, "0");

/** The neutral up-SQL of migration i, without its final line break (as `$(up_sql i)` yields it). */
function upSql(i: number): string {
  const v = pad(i);
  let s = `-- migration ${v}: create t_${v}
CREATE TABLE IF NOT EXISTS t_${v} (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS t_${v}_name ON t_${v} (name);
INSERT INTO t_${v} (id, name) VALUES (1, 'alpha'), (2, 'beta'), (3, 'gamma') ON CONFLICT DO NOTHING;`;
  if (i % 10 === 0) {
    const p = pad(i - 1);
    s += `
ALTER TABLE t_${p} ADD COLUMN IF NOT EXISTS note text;
UPDATE t_${p} SET note = 'backfilled' WHERE note IS NULL;`;
  }
  return s;
}

const downSql = (i: number) => `DROP TABLE IF EXISTS t_${pad(i)};`;

await Deno.remove(OUT, { recursive: true }).catch((e) => {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
});
for (const d of ["flyway", "dbmate", "postgrator", "node-pg-migrate", "psql"]) {
  await Deno.mkdir(`${OUT}/${d}`, { recursive: true });
}
if (withDbMigrate) await Deno.mkdir(`${OUT}/db-migrate/postgres`, { recursive: true });

const all: string[] = [];
const perFile: string[] = [];
const tracked: string[] = [`CREATE TABLE IF NOT EXISTS _schema_migrations (
  version bigint PRIMARY KEY,
  description text NOT NULL,
  file_name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  execution_ms integer NOT NULL DEFAULT 0,
  success boolean NOT NULL DEFAULT true
);
`];
const write = (path: string, text: string) => Deno.writeTextFileSync(path, text);

for (let i = 1; i <= N; i++) {
  const v = pad(i);
  const name = `create_t_${v}`;
  const up = upSql(i);
  const flyway = `V${v}__${name}.sql`;
  const body = `${up}\n`;
  write(`${OUT}/flyway/${flyway}`, body);
  if (withDbMigrate) {
    Deno.linkSync(`${OUT}/flyway/${flyway}`, `${OUT}/db-migrate/postgres/${flyway}`);
  }
  write(
    `${OUT}/dbmate/${v}_${name}.sql`,
    `-- migrate:up\n${up}\n\n-- migrate:down\n${downSql(i)}\n`,
  );
  write(`${OUT}/postgrator/${v}.do.${name}.sql`, body);
  write(
    `${OUT}/node-pg-migrate/${v}_${name}.sql`,
    `-- Up Migration\n${up}\n\n-- Down Migration\n${downSql(i)}\n`,
  );
  all.push(body);
  perFile.push(`BEGIN;\n\\ir ../flyway/${flyway}\nCOMMIT;\n`);
  const sum = createHash("sha256").update(body).digest("hex");
  tracked.push(
    `BEGIN;\n\\ir ../flyway/${flyway}\nINSERT INTO _schema_migrations (version, description, file_name, checksum, execution_ms) VALUES (${i}, 'create t ${v}', '${flyway}', '${sum}', 1);\nCOMMIT;\n`,
  );
}
write(`${OUT}/psql/all.sql`, all.join(""));
write(`${OUT}/psql/per-file.sql`, perFile.join(""));
write(`${OUT}/psql/per-file-tracked.sql`, tracked.join(""));

console.log(`wrote ${N} migrations in 4 layouts + psql scripts under ${OUT}`);
