#!/usr/bin/env bash
# fresh-db.sh DBNAME [-- CMD ARG...]
# Drops DBNAME (closing any session on it) and creates it empty, from template1.
# With "-- CMD ...", then execs CMD: a COLD run wrapped for a timer that has no "prepare" step
# (time this script alone too, and subtract it).
# Connection: the usual libpq variables (PGHOST, PGPORT, PGUSER), set by bench/run.sh.
set -euo pipefail
db=$1; shift
PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -d postgres \
  -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" \
  -c "CREATE DATABASE \"$db\""
if [[ ${1:-} == -- ]]; then shift; exec "$@"; fi
