#!/usr/bin/env bash
# fetch-kernel.sh downloads Debian's stock kernel package for the QEMU board,
# unpacks it into a cache folder outside the source tree and runs depmod, so
# `phonectl image build --board qemu-x86_64` finds vmlinuz and the modules.
#
# Usage: scripts/fetch-kernel.sh [cache dir, default out/kernel]
# Prints the kernel directory (the one holding boot/ and lib/modules/).
#
# The .deb ships no modules.dep (its postinst makes it), hence depmod -b.
# The package is resolved through the linux-image-amd64 metapackage unless
# KERNEL_PKG names one; the folder is reused when it is already complete.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${1:-out/kernel}
pkg=${KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
fi
if [ -z "$pkg" ]; then
	echo "fetch-kernel: cannot resolve linux-image-amd64 (run apt-get update?)" >&2
	exit 1
fi
kver=${pkg#linux-image-}
dir="$cache/$kver"
if [ -f "$dir/.complete" ]; then
	echo "$dir"
	exit 0
fi
command -v depmod >/dev/null || { echo "fetch-kernel: depmod missing (apt-get install kmod)" >&2; exit 1; }
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp/deb"
(cd "$dir.tmp/deb" && apt-get download -q "$pkg" >&2)
dpkg -x "$dir.tmp"/deb/*.deb "$dir.tmp/root"
depmod -b "$dir.tmp/root" "$kver"
mv "$dir.tmp/root" "$dir.tmp/root.done"
rm -rf "$dir"
mkdir -p "$dir"
mv "$dir.tmp/root.done"/* "$dir/"

rm -rf "$dir.tmp"
touch "$dir/.complete"
echo "$dir"
