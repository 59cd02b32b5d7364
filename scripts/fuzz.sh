#!/usr/bin/env bash
# fuzz.sh runs every go test -fuzz target in the tree for a while each.
# Usage: scripts/fuzz.sh [fuzztime, default 30s] [package pattern, default ./...]
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-30s}
pattern=${2:-./...}
for pkg in $(go list "$pattern"); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "== $pkg $target ($fuzztime)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
	done
done
