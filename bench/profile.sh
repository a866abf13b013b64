#!/usr/bin/env bash
# bench/profile.sh — where db-migrate's NOOP time goes (the release that has nothing to do).
#
#   bash bench/profile.sh               N=500, 10 runs of each
#   N=2000 K=20 bash bench/profile.sh
#
# Applies an N-migration workload once, then, with everything applied:
#   1. times whole processes with hyperfine -N: db-migrate, the Deno NOOP floor, deno empty.ts and
#      select1.ts (npm:postgres + connect + select 1);
#   2. takes timing marks inside the process with the program's own modules (lib/phases.ts):
#      module load, npm:postgres import, list + read + hash, connect, read the tracking rows, plan, close;
#   3. records K CPU profiles of the real program (`deno run --cpu-prof`) and summarises them
#      (lib/cpuprofile.ts): by phase, by owner of the code, top functions.
# Output: printed, and in $RESULTS/profile.md (the .cpuprofile files in $RESULTS/profile/, which
# Chrome DevTools' Performance panel opens).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/setup.sh"
N=${N:-500}
K=${K:-10}
INTERVAL=${INTERVAL:-250}   # CPU profile sampling interval, microseconds
install_all >/dev/null
W=$SCRATCH/workload/n$N
P=$RESULTS/profile
rm -rf "$P"; mkdir -p "$P/cpu"
cd "$WORKDIR"

"$DENO" run --quiet --allow-read --allow-write "$BENCH/gen-workload.ts" --db-migrate "$N" "$W" >/dev/null
"$BENCH/lib/fresh-db.sh" "$DB"
DMIG="$DM --seed=none --migrations=$W/db-migrate"
bash -c "$DMIG" >/dev/null                                   # apply everything once
# The Deno floor reads a _schema_migrations of its own layout: a second database.
FLOOR_DB=${DB}_floor
"$BENCH/lib/fresh-db.sh" "$FLOOR_DB"
psql -X -q -v ON_ERROR_STOP=1 -d "$FLOOR_DB" -f "$W/psql/per-file-tracked.sql"
export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$FLOOR_DB"   # noop-floor.ts and select1.ts

{
  echo "## db-migrate NOOP, N=$N: where the time goes"
  echo
  echo '```'
  echo "date (UTC): $(date -u +%F' '%H:%M), cores: $(nproc), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "$($DENO --version | head -1), db-migrate $(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo '```'
  echo
  echo "### Whole process (hyperfine -N, $K runs)"
  echo
} > "$P/../profile.md"
hyperfine -N --style none --warmup 1 --runs "$K" --export-markdown "$P/whole.md" \
  -n "db-migrate NOOP" "$DMIG" \
  -n "deno noop-floor.ts" "$DENO_RUN --allow-env --allow-net --allow-read $SCRATCH/deno/noop-floor.ts $W/flyway" \
  -n "deno run select1.ts" "$DENO_RUN --allow-env --allow-net $SCRATCH/deno/select1.ts" \
  -n "deno run empty.ts" "$DENO_RUN $SCRATCH/deno/empty.ts" >/dev/null
cat "$P/whole.md" >> "$P/../profile.md"

{
  echo
  echo "### Timing marks inside the process (bench/lib/phases.ts, the program's own modules)"
  echo
  "$DENO" run -A --config "$REPO/deno.json" "$BENCH/lib/phases.ts" --runs="$K" "$W/db-migrate/postgres"
  echo
  echo "### CPU profiles of the real program ($K runs, deno run --cpu-prof, ${INTERVAL} µs sampling)"
  echo
} >> "$P/../profile.md"
for ((i = 0; i < K; i++)); do
  $DENO run --cpu-prof --cpu-prof-interval="$INTERVAL" --cpu-prof-dir="$P/cpu" -A --config "$REPO/deno.json" \
    "$REPO/src/main.ts" --seed=none --migrations="$W/db-migrate" >/dev/null
done
"$DENO" run --quiet --allow-read "$BENCH/lib/cpuprofile.ts" "$P"/cpu/*.cpuprofile >> "$P/../profile.md"
PGOPTIONS='-c client_min_messages=warning' psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" \
  -c "DROP DATABASE IF EXISTS \"$FLOOR_DB\" WITH (FORCE)"
cat "$P/../profile.md"
