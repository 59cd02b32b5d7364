#!/usr/bin/env bash
# qemu-run.sh boots one emulated handset: the qemu-x86_64 board under QEMU
# TCG, from a signed image flashed into a disk-image file, with the modem
# simulator on its second serial port. Testers use it; the demo starts two.
#
# Usage: scripts/qemu-run.sh [NAME]   (default NAME: a)
#
# State lives in out/qemu/NAME/ (disk.img, sockets) and out/qemu/keys/ (a
# test image signing key made on first use). The first run builds and
# flashes version 1; delete out/qemu/NAME/disk.img to start afresh. Give
# your own inputs with CA=cert.pem CONFIG=provisioning.json.
#
# While it runs, in another shell:
#   out/bin/phonectl qemu key --qmp out/qemu/NAME/qmp.sock down ret
#   out/bin/phonectl qemu screenshot --qmp out/qemu/NAME/qmp.sock --out screen.png
#   out/bin/phonectl status --bench out/qemu/NAME/bench.sock   (the bench line)
# Ctrl-C presses the power button: phoned powers off cleanly and QEMU exits.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:-a}
dir=out/qemu/$name
keys=out/qemu/keys
mkdir -p "$dir" "$keys" out/bin

kernel=$(./scripts/fetch-kernel.sh)
go build -o out/bin/phonectl ./cmd/phonectl
go build -o out/bin/modemsim ./cmd/modemsim
phonectl=out/bin/phonectl

if [ ! -f "$keys/sign.pem" ]; then
	$phonectl image key --out "$keys/sign.pem"
fi
ca=${CA:-}
if [ -z "$ca" ]; then
	ca=$keys/test-ca.pem
	if [ ! -f "$ca" ]; then
		# A throwaway CA for a tester's own boards; enrollment uses phonectl ca.
		MEHFOOZ_CA_PASSPHRASE=qemu-run-test-ca $phonectl ca init --dir "$keys/ca" --kdf-memory 1 --kdf-time 1 >/dev/null
		cp "$keys/ca/ca.pem" "$ca"
	fi
fi
config=${CONFIG:-$keys/provisioning.json}
[ -f "$config" ] || echo '{}' >"$config"

if [ ! -f "$dir/disk.img" ]; then
	$phonectl image build --board qemu-x86_64 --version 1 --label "qemu-run $name" \
		--key "$keys/sign.pem" --ca "$ca" --config "$config" --kernel "$kernel" --out "$dir/image.img"
	$phonectl flash --board qemu-x86_64 --pub "$keys/sign.pub.pem" --image "$dir/image.img" \
		--target "$dir/disk.img" --format --size 512M
fi

rm -f "$dir/modem.sock"
out/bin/modemsim --socket "$dir/modem.sock" --log-level warn &
modemsim=$!
trap 'kill $modemsim 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -S "$dir/modem.sock" ] && break; sleep 0.1; done

$phonectl qemu run --disk "$dir/disk.img" --pub "$keys/sign.pub.pem" --modem-socket "$dir/modem.sock" --dir "$dir"
