# db-migrate as a one-shot container. The entry point is the program itself, so
#   docker run --rm IMAGE --seed=sample        (or: docker compose run --rm db-migrate --seed=sample)
# passes its flags straight to src/main.ts. tests/deploy/ checks this file and runs its ENTRYPOINT.

# The Deno the tests run (DENO_VERSION in tests/services.sh), pinned by tag and by the digest of that
# tag's multi-arch index, so a re-pushed tag cannot change what is built. The image provides the
# non-root user `deno` (uid and gid 1993) and DENO_DIR=/deno-dir.
FROM denoland/deno:2.9.6@sha256:2014dc167ece617ef7e7ba40631ac2234c59e75ce693e7cc2dc2602b3c87859d

# No update check (it would reach the network); never prompt for a permission on a TTY.
ENV DENO_NO_UPDATE_CHECK=1 \
    DENO_NO_PROMPT=1

WORKDIR /app

# Dependencies exactly as deno.lock pins them (--frozen fails instead of resolving anew), into
# /app/node_modules and /deno-dir at build time: at run time the container needs no network but its
# databases. deno.lock holds only what src/main.ts imports (the test-only packages are locked in
# tests/deno.lock; tests/deploy/install_test.ts checks this RUN on a copy of the build context).
# This layer changes only with deno.json and deno.lock.
COPY deno.json deno.lock ./
RUN deno install --frozen

# The program, loaded once with the container's permissions and without the network: a module that
# fails to load fails the build, and its compiled code stays in /deno-dir.
COPY src/ ./src/
RUN deno run --quiet --no-prompt --frozen --cached-only --permission-set=container src/main.ts --version

# The files the program applies; mount a volume over /app/migrations or /app/seeds to use others.
COPY migrations/ ./migrations/
COPY seeds/ ./seeds/

# Everything above belongs to root and is read-only for the runtime user. At run time Deno writes
# nothing: with /deno-dir read-only it keeps its caches in memory, so the root filesystem can be
# read-only too (the Kubernetes Job mounts it so; tests/deploy/ runs the entry point as uid 1993
# with every image file read-only and an empty, read-only DENO_DIR).
USER 1993:1993

# The permissions are the "container" set in deno.json, shared with the tests:
#   read   ./migrations, ./seeds, ./db-migrate.yaml (under /app), /run/secrets (*_URL_FILE) and
#          ./src (Deno checks read access when a Worker, here the bcrypt one, loads local modules)
#   write  /dev/termination-log (the Kubernetes termination message) and nothing else
#   net    the databases, whose hosts come from the URLs at run time
#   env    <NAME>_URL and <NAME>_URL_FILE of each database folder, DATABASE_URL(_FILE), SEED_MODE,
#          MIGRATIONS_DIR, SEEDS_DIR, BCRYPT_COST, DB_MIGRATE_* (the tool's own), PG* (the libpq
#          variables the PostgreSQL driver reads for anything a URL leaves out, such as PGPASSWORD)
#          and LOG_STREAM, LOG_TOKENS (debug switches the YAML parser reads on every parse)
# --quiet hides Deno's notice that permission sets are experimental; program output is unaffected.
# The program runs as PID 1 (this ENTRYPOINT replaces the base image's): it handles SIGTERM itself,
# rolling back the open file and exiting 143 (tests/deploy/sigterm_test.ts sends it to a PID 1).
ENTRYPOINT ["deno", "run", "--quiet", "--no-prompt", "--frozen", "--cached-only", "--permission-set=container", "src/main.ts"]
CMD []
