#!/usr/bin/env bash
# speech.sh regenerates speech48k.wav, the speech fixture of the voice tests:
# four Harvard sentences (IEEE 1969, phonetically balanced) spoken by espeak-ng,
# resampled by sox to 48 kHz mono 16-bit, about 10 s and 0.96 MB. The file is
# committed, so tests never need espeak-ng; rerunning this script with another
# espeak-ng version gives different but equivalent audio.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
espeak-ng -v en-us -s 160 -w "$tmp/speech.wav" \
	"The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. It's easy to tell the depth of a well. These days a chicken leg is a rare dish."
sox "$tmp/speech.wav" -r 48000 -b 16 -e signed -c 1 speech48k.wav
