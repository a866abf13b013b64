#!/usr/bin/env bash
# lib/verify-generator.sh REFERENCE_GEN_SCRIPT [N...]
# Checks that bench/gen-workload.ts writes byte for byte what a reference generator writes (the
# peer benchmark's gen-workload.sh, which takes N and OUTDIR), for each N (default 50 500).
# Not used by run.sh: the bench needs no reference at run time; this is how its sameness is checked.
set -euo pipefail
ref=${1:?usage: verify-generator.sh REFERENCE_GEN_SCRIPT [N...]}; shift
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for n in "${@:-50 500}"; do
  for k in $n; do
    bash "$ref" "$k" "$tmp/ref$k" >/dev/null
    deno run --quiet --allow-read --allow-write "$BENCH/gen-workload.ts" "$k" "$tmp/ours$k" >/dev/null
    diff -r "$tmp/ref$k" "$tmp/ours$k" && echo "N=$k: identical ($(find "$tmp/ours$k" -type f | wc -l) files)"
  done
done
