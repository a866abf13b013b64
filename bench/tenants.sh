#!/usr/bin/env bash
# bench/tenants.sh — a tenant fleet: db-migrate over TENANTS databases beside the script users write,
# `xargs -P N` over the tenants running `psql -1 -f` for each file (one transaction per file, as
# db-migrate commits each migration), and its fastest form, one psql per tenant with every file in
# one transaction (`psql -1 -f V01 -f V02 …`), in one run.
#
#   bash bench/tenants.sh                         1,000 tenants x 20 migrations, --max-parallel 1 5 20
#   TENANTS=200 PARALLEL="1 5 20" bash bench/tenants.sh      a smaller fleet on a loaded machine
#
# Settings (environment):
#   TENANTS    tenant databases (default 1000), created once and kept (BENCH_KEEP=0 drops them)
#   MIGRATIONS migrations per tenant (default 20)
#   PARALLEL   --max-parallel values, and xargs -P values (default "1 5 20")
#   RUNS       timed runs of each measurement; the median is reported (default 1)
#   PER_FILE   1 (default) times the psql-per-file script too; 0 leaves it out (it spawns a psql per
#              file and tenant: 20,000 at the default size)
#   BENCH_DB   prefix of the databases it creates, empties and drops (default db_migrate_bench)
#   PGHOST / PGPORT / PGUSER (default 127.0.0.1 / 5432 / postgres)
#   RESULTS    where tenants.md goes (default bench/out)
#
# COLD: every tenant empty (its public schema dropped and made again, no DROP DATABASE), then all
# migrations applied. NOOP: the same run again, everything up to date: db-migrate reads each
# tracking table and applies nothing; the psql script has no tracking and runs every file again
# (each is idempotent, as the project's rule asks). Times are whole-process wall times; db-migrate's
# peak memory (RSS) is read by /usr/bin/time.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
TENANTS=${TENANTS:-1000}
MIGRATIONS=${MIGRATIONS:-20}
PARALLEL=${PARALLEL:-"1 5 20"}
RUNS=${RUNS:-1}
DB=${BENCH_DB:-db_migrate_bench}
RESULTS=${RESULTS:-$BENCH/out}
DENO=${DENO:-$(command -v deno)}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/db-migrate-tenants.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$RESULTS" "$WORK/migrations/control" "$WORK/migrations/tenant"
export PGOPTIONS='-c client_min_messages=warning'   # no NOTICE for each IF NOT EXISTS
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
PER_FILE=${PER_FILE:-1}

# The workload: each migration a table and an index, idempotent.
for i in $(seq -w 1 "$MIGRATIONS"); do
  cat > "$WORK/migrations/tenant/V${i}__table_$i.sql" <<SQL
CREATE TABLE IF NOT EXISTS t_$i (id bigserial PRIMARY KEY, name text NOT NULL, created_at timestamptz DEFAULT now());
CREATE INDEX IF NOT EXISTS t_${i}_name ON t_$i (name);
SQL
done
echo "CREATE TABLE IF NOT EXISTS tenants (id text PRIMARY KEY, db_name text NOT NULL);" \
  > "$WORK/migrations/control/V1__tenants.sql"
cat > "$WORK/db-migrate.yaml" <<YAML
databases:
  - name: control
    url: postgres://$PGUSER@$PGHOST:$PGPORT/${DB}_control
  - name: tenant
    tenants:
      from: control
      query: SELECT id, db_name FROM tenants ORDER BY id
      url: postgres://$PGUSER@$PGHOST:$PGPORT/{db_name}
YAML

# The fleet: created once (CREATE DATABASE is the slow part), listed by the control database.
names=$(seq -f "${DB}_t%04g" 1 "$TENANTS")
existing=$(psql -X -Atc "select datname from pg_database where datname like '${DB}_t%'" -d postgres)
missing=$(comm -23 <(sort <<<"$names") <(sort <<<"$existing"))
[[ -n $missing ]] && echo "== creating $(wc -l <<<"$missing") tenant databases" &&
  xargs -P 4 -I{} psql -X -q -d postgres -c 'CREATE DATABASE "{}"' <<<"$missing"
q -d postgres -c "DROP DATABASE IF EXISTS \"${DB}_control\"" -c "CREATE DATABASE \"${DB}_control\""
q -d "${DB}_control" -c "CREATE TABLE tenants (id text PRIMARY KEY, db_name text NOT NULL)" \
  -c "INSERT INTO tenants SELECT 't' || lpad(i::text, 4, '0'), '${DB}_t' || lpad(i::text, 4, '0') FROM generate_series(1, $TENANTS) i"
(cd "$WORK" && $DENO run -A --config "$REPO/deno.json" "$REPO/src/main.ts" --database=control >/dev/null)

empty_all() {
  xargs -P 8 -I{} psql -X -q -d {} -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' \
    2>/dev/null <<<"$names"
}
files=$(ls "$WORK"/migrations/tenant/*.sql | sed 's/^/-f /' | tr '\n' ' ')
loop=$(ls "$WORK"/migrations/tenant/*.sql | tr '\n' ' ')
psql_fleet() { # P: the obvious script, P tenants at a time, a psql -1 -f per file
  xargs -P "$1" -I{} sh -c "for f in $loop; do psql -X -q -1 -v ON_ERROR_STOP=1 -d {} -f \$f >/dev/null || exit 1; done" <<<"$names"
}
psql_one() { # P: one psql per tenant, every file in one transaction
  xargs -P "$1" -I{} sh -c "psql -X -q -1 -v ON_ERROR_STOP=1 -d {} $files >/dev/null" <<<"$names"
}
dm_fleet() { # P
  (cd "$WORK" && /usr/bin/time -f '%M' -o "$WORK/rss" $DENO run -A --config "$REPO/deno.json" \
    "$REPO/src/main.ts" --database=tenant --max-parallel="$1" --seed=none >"$WORK/out" 2>&1) ||
    { tail -20 "$WORK/out"; exit 1; }
}
now() { date +%s.%N; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

results="$RESULTS/tenants.md"
{
  echo "# Tenants: $TENANTS databases x $MIGRATIONS migrations"
  echo
  echo "$(date -u +%F' '%H:%M) UTC; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg) at the start; RUNS=$RUNS"
  echo
  echo "| P | COLD psql per file | COLD psql per tenant | COLD db-migrate | ratio | NOOP psql per file | NOOP psql per tenant | NOOP db-migrate | speed-up | peak RSS |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
} > "$results"
for P in $PARALLEL; do
  cp=() co=() cd=() np=() no=() nd=() rss=0
  for _ in $(seq 1 "$RUNS"); do
    if [[ $PER_FILE == 1 ]]; then
      empty_all; t=$(now); psql_fleet "$P"; cp+=("$(echo "$(now) - $t" | bc)")
      t=$(now); psql_fleet "$P"; np+=("$(echo "$(now) - $t" | bc)")
    else
      cp+=(0) np+=(0)
    fi
    empty_all; t=$(now); psql_one "$P"; co+=("$(echo "$(now) - $t" | bc)")
    t=$(now); psql_one "$P"; no+=("$(echo "$(now) - $t" | bc)")
    empty_all; t=$(now); dm_fleet "$P"; cd+=("$(echo "$(now) - $t" | bc)")
    rss=$(( $(cat "$WORK/rss") > rss ? $(cat "$WORK/rss") : rss ))
    grep -q "^$((TENANTS * MIGRATIONS)) applied, 0 skipped, 0 failed" "$WORK/out" ||
      { echo "bench: the COLD run did not apply every file:"; tail -3 "$WORK/out"; exit 1; }
    t=$(now); dm_fleet "$P"; nd+=("$(echo "$(now) - $t" | bc)")
    rss=$(( $(cat "$WORK/rss") > rss ? $(cat "$WORK/rss") : rss ))
    grep -q "^0 applied, $((TENANTS * MIGRATIONS)) skipped, 0 failed" "$WORK/out" ||
      { echo "bench: the NOOP run was not a no-op:"; tail -3 "$WORK/out"; exit 1; }
  done
  c1=$(echo "${cp[*]}" | median) c0=$(echo "${co[*]}" | median) c2=$(echo "${cd[*]}" | median)
  n1=$(echo "${np[*]}" | median) n0=$(echo "${no[*]}" | median) n2=$(echo "${nd[*]}" | median)
  div() { [[ $2 == 0 ]] && echo 0 || echo "$1 / $2" | bc -l; }   # 0: left out (PER_FILE=0)
  printf '| %s | %.2f s | %.2f s | %.2f s | %.2fx / %.2fx | %.2f s | %.2f s | %.2f s | %.1fx / %.1fx | %d MB |\n' \
    "$P" "$c1" "$c0" "$c2" "$(div "$c2" "$c1")" "$(div "$c2" "$c0")" \
    "$n1" "$n0" "$n2" "$(div "$n1" "$n2")" "$(div "$n0" "$n2")" $((rss / 1024)) |
    tee -a "$results"
done
echo >> "$results"
echo "ratio: COLD db-migrate / psql per file, and / psql per tenant (target <= 1.1 at the same P);" >> "$results"
echo "speed-up: NOOP psql per file / db-migrate, and psql per tenant / db-migrate (target >= 3)" >> "$results"
[[ ${BENCH_KEEP:-1} == 0 ]] && xargs -P 2 -I{} psql -X -q -d postgres -c 'DROP DATABASE "{}"' <<<"$names"
cat "$results"
