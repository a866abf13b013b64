#!/usr/bin/env bash
# memory.sh: the peak resident memory (RSS) of db-migrate applying one large migration to a fresh
# PostgreSQL database, measured with /usr/bin/time -v, for each shape of bench/lib/gen-large.ts.
# Not a timed test: one run per shape, the numbers go in bench/README.md ("Memory").
#   MB=60 SHAPES="rows wide mixed single" bash bench/memory.sh
# Connection: the libpq variables, as bench/run.sh (PGHOST, PGPORT, PGUSER; database BENCH_DB).
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=${BENCH_DB:-db_migrate_bench}_memory
MB=${MB:-60}
SHAPES=${SHAPES:-rows wide mixed single}
SCRATCH=${SCRATCH:-${TMPDIR:-/tmp}/db-migrate-bench}/memory
DENO=$(command -v deno)
[[ -x /usr/bin/time ]] || { echo "memory.sh: /usr/bin/time is required (Debian package time)" >&2; exit 1; }
mkdir -p "$SCRATCH/cwd"

printf '%-8s %8s %10s %8s  %s\n' shape "file MB" "peak RSS" "seconds" outcome
for shape in $SHAPES; do
  rm -rf "$SCRATCH/$shape"
  "$DENO" run --quiet --allow-write "$BENCH/lib/gen-large.ts" "$shape" "$MB" "$SCRATCH/$shape"
  file=$SCRATCH/$shape/postgres/V1__large.sql
  bash "$BENCH/lib/fresh-db.sh" "$DB"
  out=$(cd "$SCRATCH/cwd" && POSTGRES_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB" \
    /usr/bin/time -v "$DENO" run -A --config "$REPO/deno.json" "$REPO/src/main.ts" \
    --seed=none "--migrations=$SCRATCH/$shape" 2>&1) || true
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' <<<"$out")
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' <<<"$out")
  outcome=$(grep -E '^postgres +V1__large.sql|^error:' <<<"$out" | head -1 | cut -c1-110)
  printf '%-8s %8s %7d MB %8s  %s\n' "$shape" "$(awk "BEGIN { printf \"%.1f\", $(stat -c %s "$file") / 1048576 }")" \
    "$((rss / 1024))" "$wall" "$outcome"
done
PGOPTIONS='-c client_min_messages=warning' psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)"
