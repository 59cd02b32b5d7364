#!/usr/bin/env bash
# image-figures.sh measures the boot figures of docs/image.md: image sizes,
# QEMU start to phoned's ready line (and first frame), guest uptime, init
# duty time, and phoned's memory at ready and idle, for a few image variants,
# RUNS boots each (default 3). It prints a Markdown table.
#
# Usage: scripts/image-figures.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-kernel.sh >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
MEHFOOZ_BOOT_TEST=1 MEHFOOZ_FIGURES=1 MEHFOOZ_FIGURES_RUNS=${1:-3} MEHFOOZ_FIGURES_OUT=$out \
	go test -count=1 -timeout 60m -run '^TestFigures$' ./image/qemu >/dev/null
cat "$out"
