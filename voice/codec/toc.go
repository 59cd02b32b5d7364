package codec

import "fmt"

// PacketSamples returns the duration of an Opus packet in samples per channel
// at rate, read from its TOC byte and frame count (RFC 6716 §3.1, §3.2). The
// receiver derives every frame's duration this way and never assumes 20 ms:
// a peer may send 10, 40 or 60 ms packets.
func PacketSamples(pkt []byte, rate int) (int, error) {
	if len(pkt) < 1 {
		return 0, fmt.Errorf("%w: empty", ErrPacket)
	}
	toc := pkt[0]
	per := frameSamples48k(toc)
	var frames int
	switch toc & 0x3 { // frame count code, §3.2
	case 0:
		frames = 1
	case 1, 2:
		frames = 2
	case 3:
		if len(pkt) < 2 {
			return 0, fmt.Errorf("%w: code 3 packet without a frame count byte", ErrPacket)
		}
		frames = int(pkt[1] & 0x3f)
		if frames == 0 {
			return 0, fmt.Errorf("%w: code 3 packet with zero frames", ErrPacket)
		}
	}
	total := per * frames
	if total > 5760 { // §3.2.5: at most 120 ms of audio per packet
		return 0, fmt.Errorf("%w: %d frames of %d samples exceed 120 ms", ErrPacket, frames, per)
	}
	return total * rate / 48000, nil
}

// frameSamples48k is the frame duration a TOC configuration names, in
// samples at 48 kHz (RFC 6716 §3.1, Table 2).
func frameSamples48k(toc byte) int {
	config := toc >> 3
	switch {
	case config < 12: // SILK-only: 10, 20, 40, 60 ms
		return [4]int{480, 960, 1920, 2880}[config&3]
	case config < 16: // Hybrid: 10, 20 ms
		return [2]int{480, 960}[config&1]
	default: // CELT-only: 2.5, 5, 10, 20 ms
		return [4]int{120, 240, 480, 960}[config&3]
	}
}
