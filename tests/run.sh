#!/usr/bin/env bash
# The one command that runs every test, on a fresh machine too: `deno task test [PATHS...]`
# (the README's form is `npx --yes deno@2.9.6 task test`). Arguments go to `deno test`, so
# `deno task test tests/unit` narrows the run. Its exit code is deno test's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Starts PostgreSQL and ClickHouse as needed, exports PG_TEST_URL and CLICKHOUSE_TEST_URL, sets
# DENO_VERSION, and stops on exit only what it started.
# shellcheck source=tests/services.sh
source tests/services.sh

# The pinned Deno: the one on PATH when it is that version (npx and the Dockerfile put it there),
# else a copy installed from npm into .tools/ (ignored by git).
deno_version() { "$1" --version 2>/dev/null | awk 'NR == 1 { print $2 }'; }
DENO=""
if command -v deno >/dev/null 2>&1 && [ "$(deno_version deno)" = "$DENO_VERSION" ]; then
	DENO="$(command -v deno)"
elif [ -x .tools/node_modules/.bin/deno ] && [ "$(deno_version .tools/node_modules/.bin/deno)" = "$DENO_VERSION" ]; then
	DENO=.tools/node_modules/.bin/deno
else
	echo "run.sh: installing deno@$DENO_VERSION from npm into .tools/" >&2
	npm install --prefix .tools --no-save --no-audit --no-fund "deno@$DENO_VERSION" >&2
	DENO=.tools/node_modules/.bin/deno
fi
echo "run.sh: $DENO ($("$DENO" --version | head -n1))" >&2

# node_modules exactly as the tests' lock says: deno.lock's packages (what src/main.ts imports) and
# the test-only ones (tests/deploy/_packages.ts); --frozen fails instead of rewriting the lock.
# --quiet: a fresh clone (every CI run) fills node_modules again, and deno printed a line for each
# package the lock pins (Download on a cold cache, Initialize on a warm one, then `+ npm:...`), which
# told nothing; an error is still printed.
LOCK=tests/deno.lock
"$DENO" install --quiet --frozen --lock="$LOCK"
# deno test's own closing line is "ok | N passed | N failed"; CI systems that read a plain
# "N passed, N failed" line get one too. The exit code stays deno test's.
log=$(mktemp)
set +e
"$DENO" test -A --frozen --lock="$LOCK" "$@" 2>&1 | tee "$log"
code=${PIPESTATUS[0]}
set -e
summary=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(ok|FAILED) \| [0-9]+ passed' | tail -n 1)
rm -f "$log"
if [ -n "$summary" ]; then
	passed=$(sed -E 's/.*\| ([0-9]+) passed.*/\1/' <<<"$summary")
	failed=$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$summary")
	echo "tests: $passed passed, $failed failed"
fi
exit "$code"
