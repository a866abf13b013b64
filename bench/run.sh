#!/usr/bin/env bash
# bench/run.sh — times db-migrate against the psql limits and the peer tools, in one run.
#
#   deno task bench                              N = 50, 500 and 2000 (about 30 minutes on 2 cores)
#   NS="50 500" RUNS=3 FAST_RUNS=5 deno task bench
#   NS=50 RUNS=2 FAST_RUNS=2 SEEDS=0 bash bench/run.sh      a quick smoke test
#
# Settings (environment):
#   NS          workload sizes (default "50 500 2000")
#   RUNS        timed runs of each COLD and seed measurement (default 5, after 1 warm-up round)
#   FAST_RUNS   timed runs of each NOOP, --status, --dry-run, +1 and floor measurement (default 10)
#   PEERS_ON    1 (default) times dbmate, postgrator and node-pg-migrate too; 0 skips them
#   SEEDS       1 (default) runs the seed section; 0 skips it
#   SEED_*      the seed section's settings (see bench/seeds.sh)
#   SCRATCH     installs and workloads (default ${TMPDIR:-/tmp}/db-migrate-bench)
#   RESULTS     hyperfine JSON files, versions.txt and results.md (default bench/out)
#   PGHOST / PGPORT / PGUSER (default 127.0.0.1 / 5432 / postgres), PGPASSWORD if needed
#   BENCH_DB    prefix of the databases dropped and re-created all the time (default db_migrate_bench)
#
# Every figure is a whole-process wall time taken by `hyperfine -N` (no shell in between): start-up,
# module loading, connect, the work and exit. Measurements that are compared run in rounds: each
# round times every command of a section once, in turn, so a change of load on a shared machine
# hits all of them alike (round 0 is the warm-up and is not counted). The table (medians, min-max,
# ratios, targets) is printed at the end and written to $RESULTS/results.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/setup.sh"

NS=${NS:-"50 500 2000"}
RUNS=${RUNS:-5}
FAST_RUNS=${FAST_RUNS:-10}
PEERS_ON=${PEERS_ON:-1}
SEEDS=${SEEDS:-1}

install_all
mkdir -p "$RESULTS"
rm -rf "$RESULTS"/*.json "$RESULTS"/*.txt "$RESULTS"/results.md "$RESULTS/rounds"
mkdir -p "$RESULTS/rounds"
record_versions
echo "NS=\"$NS\" RUNS=$RUNS FAST_RUNS=$FAST_RUNS PEERS_ON=$PEERS_ON" > "$RESULTS/settings.txt"
cd "$WORKDIR"   # db-migrate runs from an empty working directory (see lib/setup.sh)

url() { echo "postgres://$PGUSER@$PGHOST:$PGPORT/$1"; }
psql_on() { echo "psql -X -q -v ON_ERROR_STOP=1 -d $1"; }
fresh() { "$BENCH/lib/fresh-db.sh" "$1"; }
drop_db() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"; }

# one NAME DATABASE CMD [PREPARE]: one timed run of CMD, kept as round $ROUND of NAME, with the
# database's URL in POSTGRES_URL (db-migrate) and DATABASE_URL (node-pg-migrate, Deno scripts).
one() {
  local name=$1 db=$2 cmd=$3 prepare=${4:-}
  local args=(-N --runs 1 --style none --export-json "$RESULTS/rounds/$name.r$ROUND.json" -n "$name")
  [[ -n $prepare ]] && args+=(--prepare "$prepare")
  POSTGRES_URL=$(url "$db") DATABASE_URL=$(url "$db") hyperfine "${args[@]}" "$cmd" >/dev/null ||
    { echo "bench: $name failed: $cmd" >&2; exit 1; }
  printf ' %s %s' "$(sed -E 's/\.n[0-9]+\././' <<<"$name")" "$(sed -n 's/.*"median": *\([0-9.]*\).*/\1/p' "$RESULTS/rounds/$name.r$ROUND.json" | head -1 | cut -c1-5)"
}

# one_or_fail NAME DATABASE CMD [PREPARE]: like one, for a command that may fail for a reason of the
# server, such as one transaction over 2000 CREATE TABLEs exceeding max_locks_per_transaction. A
# failure is recorded in NAME.failed.txt (shown in the table) instead of stopping the bench.
one_or_fail() {
  local name=$1 db=$2 cmd=$3 prepare=${4:-}
  local json=$RESULTS/rounds/$name.r$ROUND.json log=$RESULTS/rounds/$name.r$ROUND.log
  local args=(-N --runs 1 -i --show-output --export-json "$json" -n "$name")
  [[ -n $prepare ]] && args+=(--prepare "$prepare")
  POSTGRES_URL=$(url "$db") DATABASE_URL=$(url "$db") hyperfine "${args[@]}" "$cmd" >"$log" 2>&1 ||
    { echo "bench: $name failed: $cmd" >&2; cat "$log" >&2; exit 1; }
  local code
  code=$(tr -d ' \n' < "$json" | sed -n 's/.*"exit_codes":\[\([0-9]*\).*/\1/p')
  if [[ $code != 0 ]]; then
    printf 'exit %s: %s\n' "$code" "$(grep -m1 -E 'ERROR: |^error: ' "$log" | sed -E 's/^.*(ERROR|error): *//' | cut -c1-160)" > "$RESULTS/$name.failed.txt"
    rm -f "$json"
    printf ' %s FAILED' "$(sed -E 's/\.n[0-9]+\././' <<<"$name")"
    return 1
  fi
  rm -f "$log"
  printf ' %s %s' "$(sed -E 's/\.n[0-9]+\././' <<<"$name")" "$(sed -n 's/.*"median": *\([0-9.]*\).*/\1/p' "$json" | head -1 | cut -c1-5)"
}

# Fails the run unless DATABASE holds exactly N workload tables (t_0001 ... t_N).
check_applied() {
  local got
  got=$(psql -X -Atc "select count(*) from pg_tables where schemaname = 'public' and tablename ~ '^t_[0-9]+$'" -d "$2")
  [[ $got == "$1" ]] || { echo "bench: expected $1 tables t_NNNN in $2, found $got" >&2; exit 1; }
}

# prime DATABASE CMD: runs CMD once on DATABASE, untimed; shows its output only when it fails.
prime() {
  POSTGRES_URL=$(url "$1") DATABASE_URL=$(url "$1") bash -c "$2" >"$RESULTS/prime.log" 2>&1 ||
    { echo "bench: priming $1 failed: $2" >&2; cat "$RESULTS/prime.log" >&2; exit 1; }
}

# rounds TITLE COUNT FUNCTION: calls FUNCTION for ROUND = 0 (warm-up) .. COUNT, one line each.
rounds() {
  local title=$1 count=$2 fn=$3
  for ((ROUND = 0; ROUND <= count; ROUND++)); do
    printf '%s, round %d/%d%s:' "$title" "$ROUND" "$count" "$([[ $ROUND == 0 ]] && echo ' (warm-up)')"
    "$fn"
    echo
  done
}

echo; echo "### floors (the same for every N)"
FLOOR_DB=${DB}_floor
fresh "$FLOOR_DB"
floors_round() {
  one floor.drop-create-db "$DB" "$BENCH/lib/fresh-db.sh $DB"
  one floor.psql-select1 "$FLOOR_DB" "psql -X -Atc 'select 1' -d $FLOOR_DB"
  one floor.node-empty "$FLOOR_DB" "node -e 0"
  one floor.deno-empty "$FLOOR_DB" "$DENO_RUN $SCRATCH/deno/empty.ts"
  one floor.deno-select1 "$FLOOR_DB" "$DENO_RUN --allow-env --allow-net $SCRATCH/deno/select1.ts"
  one floor.db-migrate-version "$FLOOR_DB" "$DM --version"
}
rounds "floors" "$FAST_RUNS" floors_round

for n in $NS; do
  echo; echo "### N = $n"
  W=$SCRATCH/workload/n$n
  W1=$SCRATCH/workload/n$n-plus1
  "$DENO" run --quiet --allow-read --allow-write "$BENCH/gen-workload.ts" --db-migrate "$n" "$W"
  "$DENO" run --quiet --allow-read --allow-write "$BENCH/gen-workload.ts" --db-migrate $((n + 1)) "$W1"
  tail -n 4 "$W1/psql/per-file-tracked.sql" > "$W1/psql/plus1.sql"   # BEGIN; \ir V(N+1); INSERT; COMMIT;
  v1=$(printf %04d $((n + 1)))

  dmig() { echo "$DM --seed=none --migrations=$1/db-migrate"; }
  dbmate_args() { echo "--url '$(url "$2")?sslmode=disable' --migrations-dir $1/dbmate --no-dump-schema migrate"; }
  dbmate() { echo "$DBMATE $(dbmate_args "$1" "$2")"; }
  postgrator() { echo "$NPM_BIN/postgrator --no-config -r pg -h $PGHOST -o $PGPORT -u $PGUSER -d $2 -m '$1/postgrator/*'"; }
  npgm() { echo "$NPM_BIN/node-pg-migrate up -m $1/node-pg-migrate"; }   # DATABASE_URL

  # COLD: apply all N migrations to an empty database. --prepare drops and re-creates it before
  # every run, outside the timing.
  declare -A FAILED=()
  cold_round() {
    local t cmd
    for t in psql-1tx psql-tx-per-file psql-tx-per-file-tracked db-migrate \
      $([[ $PEERS_ON == 1 ]] && echo dbmate postgrator node-pg-migrate node-pg-migrate-tx-per-file); do
      case $t in
        psql-1tx) cmd="$(psql_on "$DB") -1 -f $W/psql/all.sql" ;;
        psql-tx-per-file) cmd="$(psql_on "$DB") -f $W/psql/per-file.sql" ;;
        psql-tx-per-file-tracked) cmd="$(psql_on "$DB") -f $W/psql/per-file-tracked.sql" ;;
        db-migrate) cmd=$(dmig "$W") ;;
        dbmate) cmd=$(dbmate "$W" "$DB") ;;
        postgrator) cmd=$(postgrator "$W" "$DB") ;;
        node-pg-migrate) cmd=$(npgm "$W") ;;
        node-pg-migrate-tx-per-file) cmd="$(npgm "$W") --no-single-transaction" ;;
      esac
      [[ -n ${FAILED[$t]:-} ]] && continue
      if [[ $t == psql-1tx || $t == node-pg-migrate ]]; then   # one transaction for all N
        one_or_fail "cold.n$n.$t" "$DB" "$cmd" "$BENCH/lib/fresh-db.sh $DB" || { FAILED[$t]=1; continue; }
      else
        one "cold.n$n.$t" "$DB" "$cmd" "$BENCH/lib/fresh-db.sh $DB"
      fi
      check_applied "$n" "$DB"
    done
  }
  rounds "COLD N=$n" "$RUNS" cold_round
  drop_db "$DB"

  # NOOP: everything applied. Each tool has its own database, applied once by the tool itself (by
  # psql/per-file-tracked.sql for the psql and Deno-floor rows, which read its table).
  T=${DB}_tracked; DMDB=${DB}_dbm; EMPTY=${DB}_empty
  MATE=${DB}_dbmate; PGR=${DB}_postgrator; NPGM=${DB}_npgm
  fresh "$T"; prime "$T" "$(psql_on "$T") -f $W/psql/per-file-tracked.sql"; check_applied "$n" "$T"
  fresh "$DMDB"; prime "$DMDB" "$(dmig "$W")"; check_applied "$n" "$DMDB"
  fresh "$EMPTY"
  if [[ $PEERS_ON == 1 ]]; then
    fresh "$MATE"; prime "$MATE" "$(dbmate "$W" "$MATE")"; check_applied "$n" "$MATE"
    fresh "$PGR"; prime "$PGR" "$(postgrator "$W" "$PGR")"; check_applied "$n" "$PGR"
    # (one transaction per file: one transaction over 2000 tables exceeds the server's lock table)
    fresh "$NPGM"; prime "$NPGM" "$(npgm "$W") --no-single-transaction"; check_applied "$n" "$NPGM"
  fi
  noop_round() {
    one "noop.n$n.psql-1query" "$T" "psql -X -Atc 'select version, checksum from _schema_migrations order by version' -d $T"
    one "noop.n$n.deno-noop-floor" "$T" "$DENO_RUN --allow-env --allow-net --allow-read $SCRATCH/deno/noop-floor.ts $W/flyway"
    # What reading the files costs at all, without a database: the floor of NOOP's growth with N.
    one "noop.n$n.read-native" "$T" "find $W/flyway -name *.sql -exec sha256sum {} +"
    one "noop.n$n.deno-read-floor" "$T" "$DENO_RUN --allow-read $SCRATCH/deno/read-floor.ts $W/flyway"
    one "noop.n$n.db-migrate" "$DMDB" "$(dmig "$W")"
    one "status.n$n.db-migrate" "$DMDB" "$(dmig "$W") --status"
    one "dryrun.n$n.db-migrate" "$DMDB" "$(dmig "$W") --dry-run"
    one "dryrun-empty.n$n.db-migrate" "$EMPTY" "$(dmig "$W") --dry-run"
    if [[ $PEERS_ON == 1 ]]; then
      one "noop.n$n.dbmate" "$MATE" "$(dbmate "$W" "$MATE")"
      one "noop.n$n.dbmate-npm-wrapper" "$MATE" "$NPM_BIN/dbmate $(dbmate_args "$W" "$MATE")"
      one "noop.n$n.postgrator" "$PGR" "$(postgrator "$W" "$PGR")"
      one "noop.n$n.node-pg-migrate" "$NPGM" "$(npgm "$W")"
    fi
  }
  rounds "NOOP N=$n" "$FAST_RUNS" noop_round

  # +1: one new migration (N+1) on top of N applied, on the same databases. Each tool applies
  # N+1 once; before every timed run, --prepare drops t_{N+1} and deletes its tracking row.
  undo() { # undo TOOL SQL: writes the undo script of TOOL
    printf 'DROP TABLE IF EXISTS t_%s; %s\n' "$v1" "$2" > "$W1/undo.$1.sql"
    echo "$(psql_on "$3") -f $W1/undo.$1.sql"
  }
  prime "$T" "$(psql_on "$T") -f $W1/psql/plus1.sql"; check_applied $((n + 1)) "$T"
  prime "$DMDB" "$(dmig "$W1")"; check_applied $((n + 1)) "$DMDB"
  U_PSQL=$(undo psql "DELETE FROM _schema_migrations WHERE version = $((n + 1));" "$T")
  U_DM=$(undo db-migrate "DELETE FROM _schema_migrations WHERE kind = 'migration' AND version = $((n + 1));" "$DMDB")
  if [[ $PEERS_ON == 1 ]]; then
    prime "$MATE" "$(dbmate "$W1" "$MATE")"; check_applied $((n + 1)) "$MATE"
    prime "$PGR" "$(postgrator "$W1" "$PGR")"; check_applied $((n + 1)) "$PGR"
    prime "$NPGM" "$(npgm "$W1")"; check_applied $((n + 1)) "$NPGM"
    U_MATE=$(undo dbmate "DELETE FROM schema_migrations WHERE version = '$v1';" "$MATE")
    U_PGR=$(undo postgrator "DELETE FROM schemaversion WHERE version = $((n + 1));" "$PGR")
    U_NPGM=$(undo node-pg-migrate "DELETE FROM pgmigrations WHERE name = '${v1}_create_t_$v1';" "$NPGM")
  fi
  plus1_round() {
    one "plus1.n$n.psql-tracked" "$T" "$(psql_on "$T") -f $W1/psql/plus1.sql" "$U_PSQL"
    one "plus1.n$n.db-migrate" "$DMDB" "$(dmig "$W1")" "$U_DM"
    if [[ $PEERS_ON == 1 ]]; then
      one "plus1.n$n.dbmate" "$MATE" "$(dbmate "$W1" "$MATE")" "$U_MATE"
      one "plus1.n$n.postgrator" "$PGR" "$(postgrator "$W1" "$PGR")" "$U_PGR"
      one "plus1.n$n.node-pg-migrate" "$NPGM" "$(npgm "$W1")" "$U_NPGM"
    fi
  }
  rounds "+1 on N=$n" "$FAST_RUNS" plus1_round
  for d in "$T" "$DMDB"; do check_applied $((n + 1)) "$d"; done
  for d in "$T" "$DMDB" "$EMPTY" "$MATE" "$PGR" "$NPGM"; do drop_db "$d"; done
done

# Seeds: YAML and CSV seeds against psql and clickhouse-client, and their peak memory (bench/seeds.sh,
# which also runs alone).
if [[ $SEEDS == 1 ]]; then
  echo; echo "### seeds (bench/seeds.sh)"
  RUNS=$RUNS RESULTS=$RESULTS DENO=$DENO bash "$BENCH/seeds.sh" >/dev/null
fi

drop_db "$FLOOR_DB"
drop_db "$DB"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$RESULTS/versions.txt"
echo
"$DENO" run --quiet --allow-read "$BENCH/lib/summarize.ts" "$RESULTS" | tee "$RESULTS/results.md"
