#!/usr/bin/env bash
# bench.sh runs every Go benchmark once per -count and prints one table:
# package, benchmark, ns/op, B/op, allocs/op and any custom metrics.
# Usage: scripts/bench.sh [count, default 3] [package pattern, default ./...]
# The raw output is kept in out/bench.txt for benchstat.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-3}
pattern=${2:-./...}
mkdir -p out
go test -run '^$' -bench . -benchmem -count "$count" -timeout 30m "$pattern" | tee out/bench.txt >/dev/null
awk '
/^pkg: / { pkg = $2 }
/^Benchmark/ {
	line = sprintf("| %s | %s |", pkg, $1)
	for (i = 3; i < NF; i += 2) line = line sprintf(" %s %s;", $i, $(i+1))
	print line
}' out/bench.txt | sed 's/;$//' | { echo "| package | benchmark | result |"; echo "|---|---|---|"; cat; }
