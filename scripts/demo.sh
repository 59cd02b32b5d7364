#!/usr/bin/env bash
# demo.sh: a simulated handset comes up on a simulated modem.
#
# It builds the four programs, makes an enrollment CA, provisions a handset,
# starts modemsim on a real pty and phoned against it, and shows the handset
# come up: SIM ready, registered on LTE to a Pakistani operator, the private
# APN's data context active. Then the "network" offers it a plain voice call
# and a silent SMS, which the handset refuses and reports. Everything stops
# cleanly at the end. Output and logs stay in out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=out/demo
bin=out/bin
rm -rf "$out"
mkdir -p "$out/a" "$bin"

say() { printf '\n== %s\n' "$*"; }
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

say "building phoned, phonectl, modemsim, exchange"
go build -o "$bin/" ./cmd/...
ctl() { "$bin/phonectl" "$@"; }

say "technician: an enrollment CA and the handset's provisioning"
printf 'demo passphrase, not for real use\n' >"$out/ca.pass"
ctl ca init --dir "$out/ca" --passphrase-file "$out/ca.pass" --kdf-memory 8 --kdf-time 1
ctl provision --ca "$out/ca" --device pk-gov-0001 --exchange 127.0.0.1:7443 \
	--apn 41001=gov.secure.jazz --apn 41003=gov.secure.ufone --apn 41004=gov.secure.zong \
	--apn 41005=gov.secure.sco --apn 41006=gov.secure.telenor -o "$out/a/provisioning.json"

say "modemsim: a Quectel EG25-G style modem with a Jazz SIM, on a pty"
"$bin/modemsim" --link "$out/modem-a" --control "$out/modem-a.ctl" --plmn 41001 --register-delay 1s \
	>"$out/modemsim.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -e "$out/modem-a" ] && break; sleep 0.1; done
cat "$out/modemsim.log"

say "phoned: the handset daemon, board sim, opening the pty as a serial port"
"$bin/phoned" --board sim --data "$out/a" --modem "$out/modem-a" >"$out/phoned.log" 2>&1 &
pids+=($!)
sock="$out/a/api.sock"
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
ctl status --socket "$sock" --wait data-up --timeout 90s

say "the network offers a plain voice call and a silent SMS"
"$bin/modemsim" ctl --control "$out/modem-a.ctl" ring +923001234567 2
"$bin/modemsim" ctl --control "$out/modem-a.ctl" sms type0 +923001234567
for _ in $(seq 100); do
	ctl status --socket "$sock" | grep -q 'type 0' && break
	sleep 0.1
done
ctl status --socket "$sock"

say "what the modem saw (last lines of the simulator's transcript)"
"$bin/modemsim" ctl --control "$out/modem-a.ctl" transcript 14

say "the handset's screen"
ctl screenshot --socket "$sock" -o "$out/handset-a.png"

say "stopping"
cleanup
pids=()
grep -h 'mehfooz:' "$out/phoned.log" || true
echo "logs and screenshots are in $out/"
