#!/usr/bin/env bash
# demo.sh: a secure call between two simulated handsets through a local exchange.
#
# A technician makes an enrollment CA, starts the exchange (signaling and its
# TURN relay) on loopback, and provisions two handsets. Each handset is a real
# phoned on the sim board, driving a simulated Quectel modem (modemsim) on a
# real pty: SIM ready, LTE registration on a Pakistani operator, the private
# APN's data context up. Each handset's owner chooses a PIN; the technician
# enrolls the handset's own key, registers it at the exchange and publishes
# the signed directory. Then Ayesha calls Bilal: the call goes relay-only
# through the exchange's TURN, DTLS-SRTP (AES-256-GCM) outside, ML-KEM-1024 +
# AES-256-GCM inside. Both screens show the same security code. Speech is
# played into Ayesha's handset and recorded at Bilal's, and scored.
# The network also offers Bilal a plain voice call, which is refused.
# Logs, recordings and screenshots stay in out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=out/demo
bin=out/bin
rm -rf "$out"
mkdir -p "$out" "$bin"
speech=voice/audio/testdata/speech48k.wav

say() { printf '\n== %s\n' "$*"; }
pids=()
stop_all() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}
trap stop_all EXIT
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
	local n=$(($1 * 10)) what=$2
	shift 2
	for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "demo: timed out waiting for $what" >&2
	exit 1
}

say "building phoned, phonectl, modemsim and exchange"
go build -o "$bin/" ./cmd/...
ctl() { "$bin/phonectl" "$@"; }

say "technician: enrollment CA, exchange, publisher and technician certificates"
printf 'demo passphrase, not for real use\n' >"$out/ca.pass"
export MEHFOOZ_CA_PASSPHRASE="demo passphrase, not for real use"
ctl ca init --dir "$out/ca" --kdf-memory 8 --kdf-time 1
ctl ca issue --ca "$out/ca" --role exchange --host 127.0.0.1 --out "$out/exchange" >/dev/null
ctl ca issue --ca "$out/ca" --role publisher --name publisher --out "$out/publisher" >/dev/null
ctl ca issue --ca "$out/ca" --role technician --name tech-demo --out "$out/tech" >/dev/null
export MEHFOOZ_EXCHANGE=127.0.0.1:17444 MEHFOOZ_CA_CERT="$out/ca/ca.pem" MEHFOOZ_TECH_CERT="$out/tech.pem" MEHFOOZ_TECH_KEY="$out/tech.key"

say "exchange: mutual TLS 1.3 signaling on :17443, technician API on :17444, TURN/UDP relay on :13478"
"$bin/exchange" --ca "$out/ca/ca.pem" --cert "$out/exchange.pem" --key "$out/exchange.key" \
	--publisher-cert "$out/publisher.pem" --publisher-key "$out/publisher.key" \
	--listen 127.0.0.1:17443 --admin 127.0.0.1:17444 --db "$out/exchange.db" \
	--turn-udp 127.0.0.1:13478 --turn-tls "" --relay-ip 127.0.0.1 --relay-ports 41000-41999 \
	>"$out/exchange.log" 2>&1 &
pids+=($!)
wait_for 20 "the exchange" ctl fleet

# handset NAME DEVICE PLMN: provision, modem simulator, phoned.
handset() {
	local name=$1 dev=$2 plmn=$3 dir="$out/$1"
	mkdir -p "$dir"
	ctl provision --ca "$out/ca" --device "$dev" --exchange 127.0.0.1:17443 \
		--apn 41001=gov.secure.jazz --apn 41003=gov.secure.ufone --apn 41004=gov.secure.zong \
		--apn 41005=gov.secure.sco --apn 41006=gov.secure.telenor -o "$dir/provisioning.json"
	"$bin/modemsim" --link "$dir/modem" --control "$dir/modem.ctl" --plmn "$plmn" --register-delay 1s \
		>"$dir/modemsim.log" 2>&1 &
	pids+=($!)
	wait_for 10 "$name's modem" test -e "$dir/modem"
	"$bin/phoned" --board sim --data "$dir" --modem "$dir/modem" --audio-out "$dir/heard" "${@:4}" \
		>"$dir/phoned.log" 2>&1 &
	pids+=($!)
	wait_for 20 "$name's phoned" test -S "$dir/api.sock"
}

say "two handsets: Ayesha's on a Jazz SIM, Bilal's on a Zong SIM"
handset ayesha pk-gov-0001 41001 --audio-in "$speech"
handset bilal pk-gov-0002 41004
A="--socket $out/ayesha/api.sock"
B="--socket $out/bilal/api.sock"
ctl status $A --wait data-up --timeout 90s
ctl status $B --wait data-up --timeout 90s | sed -n 2,6p

say "each owner chooses a PIN; the technician enrolls each handset's own key and registers it"
for hd in ayesha:pk-gov-0001 bilal:pk-gov-0002; do
	h=${hd%%:*}
	printf '246810\n' | ctl unlock --socket "$out/$h/api.sock"
	ctl enroll --ca "$out/ca" --socket "$out/$h/api.sock" --device "${hd#*:}" --out "$out/$h/device.pem"
	ctl register "$out/$h/device.pem"
done

say "the technician publishes the signed directory: who may call whom"
cat >"$out/directory.json" <<JSON
{
  "entries": [
    {"id": "pk-gov-0001", "name": "Ayesha Khan", "office": "Joint Secretary, Ministry of Interior",
     "certificate": "ayesha/device.pem", "groups": ["cabinet"]},
    {"id": "pk-gov-0002", "name": "Bilal Raza", "office": "Director, Cabinet Division",
     "certificate": "bilal/device.pem", "groups": ["cabinet"]}
  ],
  "rules": [{"from": "cabinet", "to": "cabinet"}]
}
JSON
ctl directory publish --source "$out/directory.json" --publisher-cert "$out/publisher.pem" --publisher-key "$out/publisher.key"
ctl revoke --refresh --publisher-cert "$out/publisher.pem" --publisher-key "$out/publisher.key" >/dev/null
online() { ctl status --json $1 | grep -q '"online": true'; }
wait_for 60 "Ayesha to see Bilal online" online "$A"
wait_for 60 "Bilal to see Ayesha online" online "$B"
ctl status $A | sed -n 7,12p
ctl screenshot $A -o "$out/ayesha-contacts.png"
ctl screenshot $B -o "$out/bilal-contacts.png"

say "Ayesha calls Bilal; Bilal answers"
ctl call $A dial pk-gov-0002
phase() { ctl status --json $1 | grep -q "\"phase\": \"$2\""; }
wait_for 30 "Bilal's handset to ring" phase "$B" incoming
ctl call $B answer
sas() { ctl status --json $1 | grep -q '"sas": "'; }
wait_for 30 "Ayesha's call to connect" sas "$A"
wait_for 30 "Bilal's call to connect" sas "$B"
sas_a=$(ctl status --json $A | sed -n 's/.*"sas": "\([^"]*\)".*/\1/p')
sas_b=$(ctl status --json $B | sed -n 's/.*"sas": "\([^"]*\)".*/\1/p')
echo "security code on Ayesha's screen: $sas_a"
echo "security code on Bilal's screen:  $sas_b"
[ "$sas_a" = "$sas_b" ] || { echo "demo: the codes differ" >&2; exit 1; }
ctl call $A verdict match
ctl call $B verdict match
ctl screenshot $A -o "$out/ayesha-in-call.png"
ctl screenshot $B -o "$out/bilal-in-call.png"

say "during the call the network offers Bilal a plain voice call"
"$bin/modemsim" ctl --control "$out/bilal/modem.ctl" ring +923001234567 1

say "speech flows for a while; the call's figures from RTCP and the jitter buffer"
sleep 12
ctl status $A | grep -E '^(call|quality)'
ctl status $B | grep -E '^(call|quality|alert)'

say "Ayesha hangs up"
ctl call $A hangup
wait_for 20 "the call to end at Bilal's" phase "$B" ended
ctl status $B | grep '^call'

say "what Bilal heard, against what Ayesha said"
stop_all
heard=$(ls "$out"/bilal/heard/*.wav | head -n1)
ctl voice score --sent "$speech" --heard "$heard"
echo "recordings, screenshots and logs are in $out/"
