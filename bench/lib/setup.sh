# Sourced by bench/run.sh (and bench/profile.sh): settings, installs and tool paths.
# Installs go under $SCRATCH (default ${TMPDIR:-/tmp}/db-migrate-bench): the peers from npm at pinned
# versions, the Deno helper scripts' npm packages, and Deno itself only when `deno` is missing.
# Nothing is installed globally except hyperfine (Debian package, needs root), only when missing.

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$BENCH/.." && pwd)
SCRATCH=${SCRATCH:-${TMPDIR:-/tmp}/db-migrate-bench}
RESULTS=${RESULTS:-$BENCH/out}

# The server: any PostgreSQL 15+ that PGUSER may create databases on (trust auth or PGPASSWORD).
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=${BENCH_DB:-db_migrate_bench}        # dropped and created again many times: never a real database
export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"   # node-pg-migrate and the Deno scripts
export POSTGRES_URL=$DATABASE_URL                              # db-migrate's database "postgres"
unset POSTGRES_URL_FILE DATABASE_URL_FILE SEED_MODE MIGRATIONS_DIR SEEDS_DIR DB_MIGRATE_CONFIG

# Peer versions, pinned so that results compare between runs (and with the published anchors).
PEERS=(dbmate@2.36.0 postgrator@8.0.0 postgrator-cli@9.1.1 node-pg-migrate@9.0.0 pg@8.23.1)
DENO_PIN=deno@2.9.6

install_all() {
  mkdir -p "$SCRATCH" "$RESULTS"
  if ! command -v hyperfine >/dev/null; then
    echo "== installing hyperfine (Debian package)"
    apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null
  fi
  for t in psql npm node; do
    command -v "$t" >/dev/null || { echo "bench: $t is required (PostgreSQL client, Node.js >= 20 with npm)" >&2; exit 1; }
  done
  local pkgs=("${PEERS[@]}")
  command -v deno >/dev/null || pkgs+=("$DENO_PIN")
  local stamp; stamp="$SCRATCH/.installed-$(IFS=_; echo "${pkgs[*]}")"
  if [[ ! -f $stamp ]]; then
    echo "== installing into $SCRATCH from npm: ${pkgs[*]}"
    [[ -f $SCRATCH/package.json ]] || echo '{ "name": "db-migrate-bench", "private": true }' > "$SCRATCH/package.json"
    (cd "$SCRATCH" && npm install --no-audit --no-fund --silent "${pkgs[@]}")
    touch "$stamp"
  fi
  find_tools
  echo "== preparing the Deno helper scripts in $SCRATCH/deno"
  mkdir -p "$SCRATCH/deno"
  cp "$BENCH"/lib/deno/*.ts "$BENCH"/lib/deno/deno.json "$SCRATCH/deno/"
  (cd "$SCRATCH/deno" && "$DENO" install --quiet --entrypoint ./*.ts)
}

find_tools() {
  NPM_BIN=$SCRATCH/node_modules/.bin
  # The native binary dbmate's npm package ships, not its Node wrapper (timed once, separately).
  DBMATE=$(ls "$SCRATCH"/node_modules/@dbmate/*/bin/dbmate 2>/dev/null | head -1)
  DENO=$(command -v deno || ls "$SCRATCH"/node_modules/@deno/*/deno 2>/dev/null | head -1)
  [[ -x $DBMATE ]] || { echo "bench: dbmate binary missing under $SCRATCH/node_modules" >&2; exit 1; }
  [[ -x $DENO ]] || { echo "bench: no deno on PATH nor under $SCRATCH/node_modules" >&2; exit 1; }
  DENO_RUN="$DENO run --quiet --config $SCRATCH/deno/deno.json"
  # db-migrate exactly as users run it (`deno run -A src/main.ts`), started from an empty working
  # directory so that no ./db-migrate.yaml, ./migrations or ./seeds is picked up by accident.
  WORKDIR=$SCRATCH/cwd
  mkdir -p "$WORKDIR"
  DM="$DENO run -A --config '$REPO/deno.json' '$REPO/src/main.ts'"
}

record_versions() {
  {
    echo "date (UTC): $(date -u +%F' '%H:%M)"
    echo "cores: $(nproc), memory: $(free -g | awk '/^Mem:/{print $2}') GiB, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "server: $(psql -X -Atc 'select version()' -d postgres)"
    echo "server settings: $(psql -X -Atc "select string_agg(name || '=' || setting, ' ' order by name) from pg_settings where name in ('fsync','synchronous_commit','wal_sync_method','shared_buffers','full_page_writes')" -d postgres)"
    echo "psql: $(psql --version)"
    echo "node: $(node --version)"
    echo "deno: $($DENO --version | head -1)"
    echo "dbmate: $($DBMATE --version)"
    echo "hyperfine: $(hyperfine --version)"
    echo "npm peers: ${PEERS[*]}"
    echo "db-migrate: $(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$REPO" && [[ -n $(git status --porcelain -- src deno.json 2>/dev/null) ]] && echo ' (+ uncommitted changes in src/)')"
  } | tee "$RESULTS/versions.txt"
}
