#!/usr/bin/env bash
# bench/seeds.sh — YAML and CSV seeds beside what the servers' own tools need for the same work, in
# one run (issue 16), and the peak memory of large seeds (issue 11). bench/run.sh runs it when
# SEEDS=1; alone:
#
#   bash bench/seeds.sh                                  about 15 minutes on 2 cores
#   RUNS=2 SEED_YAML_SIZES=10000 SEED_CSV_SIZES=100000 SEED_RSS=0 bash bench/seeds.sh   a smoke test
#
# Settings (environment), besides lib/setup.sh's PG* and SCRATCH/RESULTS:
#   RUNS               timed rounds after one warm-up round (default 5)
#   SEED_YAML_SIZES    YAML rows (default "10000 100000")
#   SEED_CSV_SIZES     CSV rows (default "100000 1000000")
#   SEED_RSS           1 (default): one run each of the memory cases (YAML 100,000 and 200,000 rows,
#                      CSV 2,000,000 rows on PostgreSQL and ClickHouse) under /usr/bin/time
#   SEED_BCRYPT_ROWS   rows with a !bcrypt value (default 200), at SEED_BCRYPT_COST (default 8)
#   CLICKHOUSE_ON      1 (default): start a private ClickHouse and time the ClickHouse CSV rows
#                      against clickhouse-client (Debian's clickhouse-client; installed with apt
#                      when missing); 0 leaves them out
#
# Every timed figure is a whole-process wall time from `hyperfine -N --runs 1`, kept as
# $RESULTS/rounds/seed.*.rK.json; the commands compared run in rounds (round 0 is a warm-up), so a
# change of load hits all of them alike. `--prepare` (truncate, delete the seed's tracking row,
# reload a table) is outside the timing. bench/lib/seeds-summary.ts prints the tables.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$BENCH/lib/setup.sh"
source "$BENCH/lib/clickhouse.sh"

RUNS=${RUNS:-5}
SEED_YAML_SIZES=${SEED_YAML_SIZES:-"10000 100000"}
SEED_CSV_SIZES=${SEED_CSV_SIZES:-"100000 1000000"}
SEED_RSS=${SEED_RSS:-1}
SEED_BCRYPT_ROWS=${SEED_BCRYPT_ROWS:-200}
SEED_BCRYPT_COST=${SEED_BCRYPT_COST:-8}
CLICKHOUSE_ON=${CLICKHOUSE_ON:-1}

for t in psql hyperfine; do
  command -v "$t" >/dev/null || { echo "bench: $t is required" >&2; exit 1; }
done
DENO=${DENO:-$(command -v deno || true)}
[[ -x $DENO ]] || { echo "bench: deno is required on the PATH" >&2; exit 1; }
DM="$DENO run -A --config $REPO/deno.json $REPO/src/main.ts"
WORKDIR=$SCRATCH/cwd
S=$SCRATCH/seeds
mkdir -p "$WORKDIR" "$S" "$RESULTS/rounds"
rm -f "$RESULTS"/rounds/seed.*.json "$RESULTS"/seed.*.txt
cd "$WORKDIR"   # an empty working directory: no ./db-migrate.yaml is picked up

SDB=${DB}_seeds
URL="postgres://$PGUSER@$PGHOST:$PGPORT/$SDB"
P="psql -X -q -v ON_ERROR_STOP=1 -d $SDB"
fresh() { "$BENCH/lib/fresh-db.sh" "$1"; }

# one NAME CMD [PREPARE] [ENV...]: one timed run of CMD, kept as round $ROUND of NAME.
one() {
  local name=$1 cmd=$2 prepare=${3:-}
  shift 3 || shift $#
  local args=(-N --runs 1 --style none --export-json "$RESULTS/rounds/$name.r$ROUND.json" -n "$name")
  [[ -n $prepare ]] && args+=(--prepare "$prepare")
  env POSTGRES_URL="$URL" "$@" hyperfine "${args[@]}" "$cmd" >/dev/null ||
    { echo "bench: $name failed: $cmd" >&2; exit 1; }
  printf ' %s %s' "$name" "$(sed -n 's/.*"median": *\([0-9.]*\).*/\1/p' "$RESULTS/rounds/$name.r$ROUND.json" | head -1 | cut -c1-5)"
}

# rss NAME CMD PREPARE [ENV...]: one run of CMD under /usr/bin/time; its peak RSS in KB.
rss() {
  local name=$1 cmd=$2 prepare=$3
  shift 3
  bash -c "$prepare" >/dev/null
  env POSTGRES_URL="$URL" "$@" /usr/bin/time -f '%M %e' -o "$RESULTS/$name.rss.txt" bash -c "exec $cmd" >/dev/null 2>"$RESULTS/$name.log" ||
    { echo "bench: $name failed: $cmd" >&2; cat "$RESULTS/$name.log" >&2; exit 1; }
  echo "$name: $(cut -d' ' -f1 "$RESULTS/$name.rss.txt") KB peak RSS, $(cut -d' ' -f2 "$RESULTS/$name.rss.txt") s"
}

rounds() {
  local title=$1 fn=$2
  for ((ROUND = 0; ROUND <= RUNS; ROUND++)); do
    printf '%s, round %d/%d%s:' "$title" "$ROUND" "$RUNS" "$([[ $ROUND == 0 ]] && echo ' (warm-up)')"
    "$fn"
    echo
  done
}

echo "== seed workloads under $S"
gen() { "$DENO" run --quiet --allow-read --allow-write "$BENCH/lib/gen-seeds.ts" "$@" >/dev/null; }
for n in $SEED_YAML_SIZES; do gen "$S/y$n" "$n" 0; done
for n in $SEED_CSV_SIZES; do gen "$S/c$n" 0 "$n"; done
if [[ $SEED_RSS == 1 ]]; then
  [[ -d $S/y200000 ]] || gen "$S/y200000" 200000 0
  [[ -d $S/y100000 ]] || gen "$S/y100000" 100000 0
  [[ -d $S/c2000000 ]] || gen "$S/c2000000" 0 2000000
fi
# The schema, once: the two tables of gen-seeds.ts and one for !bcrypt.
M=$S/migrations
rm -rf "$M" && mkdir -p "$M/postgres"
cp "$S/y$(set -- $SEED_YAML_SIZES; echo "$1")/migrations/postgres/V1__bench_seed_tables.sql" "$M/postgres/"
echo "CREATE TABLE IF NOT EXISTS bench_users (id bigint PRIMARY KEY, password_hash text NOT NULL);" > "$M/postgres/V2__bench_users.sql"
B=$S/bcrypt/seeds/postgres/full
rm -rf "$S/bcrypt" && mkdir -p "$B"
{ echo "bench_users:"; for ((i = 1; i <= SEED_BCRYPT_ROWS; i++)); do echo "  - { id: $i, password_hash: !bcrypt pass-$i }"; done; } > "$B/010_bench_users.yaml"
COLS="id, name, email, score, active"
for n in $SEED_CSV_SIZES 2000000; do
  f=$S/c$n/seeds-csv/postgres/full/010_bench_csv_rows.csv
  [[ -f $f ]] || continue
  # What psql must do for the same merge: \copy into a temporary table, then the same upsert.
  cat > "$S/c$n/psql-merge.sql" <<EOF
begin;
create temp table s (id bigint, name text, email text, score integer, active boolean) on commit drop;
\\copy s ($COLS) from '$f' with (format csv, header true)
insert into bench_csv_rows as t ($COLS) select $COLS from s
on conflict (id) do update set name = excluded.name, email = excluded.email, score = excluded.score, active = excluded.active
where (t.name::text, t.email::text, t.score::text, t.active::text) is distinct from (excluded.name::text, excluded.email::text, excluded.score::text, excluded.active::text);
commit;
EOF
  echo "\\copy bench_csv_rows ($COLS) from '$f' with (format csv, header true)" > "$S/c$n/psql-copy.sql"
done
for n in $SEED_YAML_SIZES 100000 200000; do
  [[ -d $S/y$n ]] || continue
  echo "\\copy bench_yaml_rows ($COLS) from '$S/y$n/psql/yaml_rows.csv' with (format csv, header true)" > "$S/y$n/psql-copy.sql"
done

fresh "$SDB"
env POSTGRES_URL="$URL" bash -c "$DM --seed=none --migrations=$M" >/dev/null
reset() { echo "$P -c 'TRUNCATE $1' -c \"DELETE FROM _schema_migrations WHERE kind = 'seed'\""; }
untrack() { echo "$P -c \"DELETE FROM _schema_migrations WHERE kind = 'seed'\""; }
dm() { echo "$DM --migrations=$M --seed=full --seeds=$1"; }

{
  echo "yaml=$SEED_YAML_SIZES"
  echo "csv=$SEED_CSV_SIZES"
  echo "bcrypt_rows=$SEED_BCRYPT_ROWS"
  echo "bcrypt_cost=$SEED_BCRYPT_COST"
  echo "cores=$(nproc)"
  echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RESULTS/seed.meta.txt"

echo; echo "### PostgreSQL seeds"
pg_round() {
  local n
  one seed.start.db-migrate "$DM --migrations=$M --seed=none" ""
  one seed.start.psql "psql -X -Atc 'select 1' -d $SDB" ""
  for n in $SEED_YAML_SIZES; do
    one "seed.yaml.$n.db-migrate" "$(dm "$S/y$n/seeds-yaml")" "$(reset bench_yaml_rows)"
    one "seed.yaml.$n.psql-copy" "$P -f $S/y$n/psql-copy.sql" "$(reset bench_yaml_rows)"
  done
  for n in $SEED_CSV_SIZES; do
    # Into the empty table: db-migrate copies straight into it.
    one "seed.csv.$n.db-migrate" "$(dm "$S/c$n/seeds-csv")" "$(reset bench_csv_rows)"
    one "seed.csv.$n.psql-merge" "$P -f $S/c$n/psql-merge.sql" "$(reset bench_csv_rows)"
    one "seed.csv.$n.psql-copy" "$P -f $S/c$n/psql-copy.sql" "$(reset bench_csv_rows)"
    # Over the same rows (a changed file applied again): the merge, every row unchanged.
    one "seed.csv-again.$n.db-migrate" "$(dm "$S/c$n/seeds-csv")" "$(untrack)"
    one "seed.csv-again.$n.psql-merge" "$P -f $S/c$n/psql-merge.sql" "$(untrack)"
  done
  # !bcrypt: the first application hashes every value (in workers, one per core); applied again
  # with the stored hashes matching, it hashes nothing.
  one seed.bcrypt.first "$(dm "$S/bcrypt/seeds")" "$(reset bench_users)" BCRYPT_COST="$SEED_BCRYPT_COST"
  one seed.bcrypt.again "$(dm "$S/bcrypt/seeds")" "$(untrack)" BCRYPT_COST="$SEED_BCRYPT_COST"
}
rounds "PostgreSQL seeds" pg_round

# A no-op over the project's examples: --seed=full skips its unchanged seed files by checksum
# without parsing them, so it should cost about what --seed=none costs.
echo; echo "### no-op over the examples"
EX1=${DB}_ex_postgres EX2=${DB}_ex_aiml
fresh "$EX1"; fresh "$EX2"
EXENV=(POSTGRES_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$EX1" AIML_POSTGRES_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$EX2")
EXCMD="$DM --migrations=$REPO/migrations --seeds=$REPO/seeds --database=postgres --database=aiml-postgres"
env "${EXENV[@]}" bash -c "$EXCMD --seed=full" >/dev/null
noop_round() {
  ROUND=$ROUND one seed.noop.full "$EXCMD --seed=full" "" "${EXENV[@]}"
  ROUND=$ROUND one seed.noop.none "$EXCMD --seed=none" "" "${EXENV[@]}"
}
rounds "no-op, examples" noop_round

CH=0
if [[ $CLICKHOUSE_ON == 1 ]]; then
  if ! command -v clickhouse-client >/dev/null; then
    echo "== installing clickhouse-client (Debian package)"
    { apt-get install -y -qq clickhouse-client || { apt-get update -qq && apt-get install -y -qq clickhouse-client; }; } >/dev/null 2>&1 || true
  fi
  if command -v clickhouse-client >/dev/null && ch_start; then
    CH=1
  else
    echo "ClickHouse rows left out: clickhouse-client or clickhouse-server is missing" | tee "$RESULTS/seed.ch.unavailable.txt"
  fi
fi
if [[ $CH == 1 ]]; then
  echo; echo "### ClickHouse CSV seeds (private server, HTTP $CH_HTTP, native $CH_TCP)"
  CHURL="http://default@127.0.0.1:$CH_HTTP/bench"
  CHM=$S/ch/migrations
  rm -rf "$S/ch" && mkdir -p "$CHM/clickhouse"
  cat > "$CHM/clickhouse/V1__bench_csv_rows.sql" <<'EOF'
CREATE TABLE IF NOT EXISTS bench_csv_rows (id UInt64, name String, email String, score Int32, active String)
ENGINE = ReplacingMergeTree ORDER BY id;
EOF
  for n in $SEED_CSV_SIZES 2000000; do
    f=$S/c$n/seeds-csv/postgres/full/010_bench_csv_rows.csv
    [[ -f $f ]] || continue
    mkdir -p "$S/ch/c$n/clickhouse/full"
    ln -f "$f" "$S/ch/c$n/clickhouse/full/010_bench_csv_rows.csv"
  done
  chdm() { echo "$DM --migrations=$CHM --seed=full --seeds=$S/ch/c$1"; }
  # Before each db-migrate run: an empty database with the table and db-migrate's tracking table.
  chreset="bash -c \"clickhouse-client --host 127.0.0.1 --port $CH_TCP --query 'DROP DATABASE IF EXISTS bench' && CLICKHOUSE_URL=$CHURL $DM --migrations=$CHM --seed=none >/dev/null\""
  chtrunc="clickhouse-client --host 127.0.0.1 --port $CH_TCP --query 'TRUNCATE TABLE bench.bench_csv_rows'"
  ch_round() {
    local n f
    for n in $SEED_CSV_SIZES; do
      f=$S/c$n/seeds-csv/postgres/full/010_bench_csv_rows.csv
      one "seed.ch.$n.db-migrate" "$(chdm "$n")" "$chreset" CLICKHOUSE_URL="$CHURL"
      one "seed.ch.$n.client" "bash -c \"clickhouse-client --host 127.0.0.1 --port $CH_TCP --query 'INSERT INTO bench.bench_csv_rows FORMAT CSVWithNames' < $f\"" "$chtrunc"
      one "seed.ch.$n.client-optimize" "bash -c \"clickhouse-client --host 127.0.0.1 --port $CH_TCP --query 'INSERT INTO bench.bench_csv_rows FORMAT CSVWithNames' < $f && clickhouse-client --host 127.0.0.1 --port $CH_TCP --query 'OPTIMIZE TABLE bench.bench_csv_rows FINAL'\"" "$chtrunc"
    done
  }
  bash -c "$chreset"
  rounds "ClickHouse CSV seeds" ch_round
fi

if [[ $SEED_RSS == 1 ]]; then
  echo; echo "### peak memory (one run each; the shipped Job's limit is 256 Mi)"
  for n in 100000 200000; do
    rss "seed.rss.yaml.$n" "$(dm "$S/y$n/seeds-yaml")" "$(reset bench_yaml_rows)"
  done
  rss seed.rss.csv.2000000 "$(dm "$S/c2000000/seeds-csv")" "$(reset bench_csv_rows)"
  if [[ $CH == 1 ]]; then
    rss seed.rss.ch.2000000 "$(chdm 2000000)" "$chreset" CLICKHOUSE_URL="$CHURL"
  fi
fi

# !bcrypt applied again with matching hashes must replace none (the progress line says so).
env POSTGRES_URL="$URL" BCRYPT_COST="$SEED_BCRYPT_COST" bash -c "$(untrack) && $(dm "$S/bcrypt/seeds")" |
  grep -o '[0-9]* inserted, [0-9]* updated, [0-9]* unchanged' > "$RESULTS/seed.bcrypt.again.note.txt" || true

# The rows loaded must be all there.
for n in $SEED_YAML_SIZES; do
  env POSTGRES_URL="$URL" bash -c "$(reset bench_yaml_rows) && $(dm "$S/y$n/seeds-yaml")" >/dev/null
  got=$(psql -X -Atc "select count(*) from bench_yaml_rows" -d "$SDB")
  [[ $got == "$n" ]] || { echo "bench: db-migrate loaded $got of $n YAML rows" >&2; exit 1; }
done
echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$RESULTS/seed.meta.txt"
for d in "$SDB" "$EX1" "$EX2"; do
  PGOPTIONS='-c client_min_messages=warning' psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)"
done
echo
"$DENO" run --quiet --allow-read "$BENCH/lib/seeds-summary.ts" "$RESULTS" | tee "$RESULTS/seeds.md"
