#!/usr/bin/env bash
# deps.sh installs what the tests, the demo and the benchmarks need on a fresh
# Debian machine that has Go: Debian packages (only the missing ones) and the
# Go modules of go.mod. It is idempotent and asks nothing, so CI can run it.
set -euo pipefail
cd "$(dirname "$0")/.."

# One line per need, so a reviewer can see why each package is here.
pkgs=(
	git        # go build stamps and the tests read the tree
	ca-certificates
	pkg-config  # the libopus oracle test of voice/codec finds libopus through it
	libopus-dev # libopus, the differential oracle of our pure-Go Opus (make test)
	qemu-system-x86 # the QEMU board: boot test, qemu-run, qemu-demo (TCG only)
	kmod            # depmod, for the kernel scripts/fetch-kernel.sh unpacks
	e2fsprogs       # mkfs.ext4 for the data partition phonectl flash --format makes
	cpio            # GNU cpio cross-checks image/cpio's archives
	netpbm          # pnmtopng turns QEMU screendumps into PNG
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
go mod download
