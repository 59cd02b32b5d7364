//go:build opusref

// The differential oracle: libopus (through cgo) against our pure-Go codec.
// Run with: go test -tags 'opusref nolibopusfile' ./voice/codec/...
// (needs pkg-config and libopus-dev; nolibopusfile drops the unused
// libopusfile dependency of the binding).

package codec

import (
	"math"
	"testing"
	"time"

	"github.com/hraban/opus"

	"mehfooz/voice/quality"
)

func refEncodeAll(t *testing.T, cfg Config, x []int16) [][]byte {
	t.Helper()
	enc, err := opus.NewEncoder(cfg.SampleRate, cfg.Channels, opus.AppVoIP)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		enc.SetVBR(false),
		enc.SetDTX(false),
		enc.SetBitrate(cfg.Bitrate),
		enc.SetComplexity(cfg.Complexity),
		enc.SetMaxBandwidth(opus.Wideband),
		enc.SetInBandFEC(cfg.FEC),
		enc.SetPacketLossPerc(cfg.PacketLoss),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	n := cfg.FrameSamples()
	buf := make([]byte, MaxPacket)
	var pkts [][]byte
	for i := 0; i+n <= len(x); i += n {
		k, err := enc.Encode(x[i:i+n], buf)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, append([]byte(nil), buf[:k]...))
	}
	return pkts
}

// refDecodeAll decodes with libopus, recovering nil packets like decodeAll.
func refDecodeAll(t *testing.T, pkts [][]byte, frame int, fec bool) []int16 {
	t.Helper()
	dec, err := opus.NewDecoder(48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, 0, len(pkts)*frame)
	for i, p := range pkts {
		// libopus sizes PLC and FEC output by cap(pcm), not len.
		pcm := make([]int16, frame, frame)
		switch {
		case p != nil:
			var n int
			n, err = dec.Decode(p, pcm)
			if err == nil && n != frame {
				t.Fatalf("libopus decoded %d samples, want %d", n, frame)
			}
		case fec && i+1 < len(pkts) && pkts[i+1] != nil:
			err = dec.DecodeFEC(pkts[i+1], pcm)
		default:
			err = dec.DecodePLC(pcm)
		}
		if err != nil {
			t.Fatalf("libopus, packet %d: %v", i, err)
		}
		out = append(out, pcm...)
	}
	return out
}

// snr is the ratio of a to the difference a-b, in dB.
func snr(a, b []int16) float64 {
	var s, d float64
	for i := range min(len(a), len(b)) {
		s += float64(a[i]) * float64(a[i])
		e := float64(a[i]) - float64(b[i])
		d += e * e
	}
	if d == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(s/d)
}

func stoi(t *testing.T, x, y []int16) quality.Report {
	t.Helper()
	rep, err := quality.Compare(x, y, 48000, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestOracleCrossDecode decodes each encoder's stream with both decoders.
// The two decoders must agree sample for sample to within rounding, and the
// pure-Go encoder must code speech at least as well as libopus at the same
// operating point.
func TestOracleCrossDecode(t *testing.T) {
	x := speech(t)
	streams := map[string][][]byte{
		"gopus":   callPackets(t),
		"libopus": refEncodeAll(t, Call, x),
	}
	score := map[string]float64{}
	for enc, pkts := range streams {
		ours := decodeAll(t, pkts, 960, false)
		ref := refDecodeAll(t, pkts, 960, false)
		a, b := stoi(t, x, ours), stoi(t, x, ref)
		t.Logf("%s stream: gopus decode %v; libopus decode %v; decoders differ at %.1f dB SNR", enc, a, b, snr(ref, ours))
		if s := snr(ref, ours); s < 40 {
			t.Errorf("%s stream: the decoders differ, SNR %.1f dB < 40 dB", enc, s)
		}
		if math.Abs(a.STOI-b.STOI) > 0.005 {
			t.Errorf("%s stream: STOI %.3f (gopus) vs %.3f (libopus)", enc, a.STOI, b.STOI)
		}
		score[enc] = b.STOI
	}
	if score["gopus"] < score["libopus"]-0.01 {
		t.Errorf("gopus encoder STOI %.3f is worse than libopus %.3f", score["gopus"], score["libopus"])
	}
}

// TestOracleLossCrossDecode checks that libopus recovers our packets with its
// own FEC and PLC as well as our decoder does, and the other way round.
func TestOracleLossCrossDecode(t *testing.T) {
	x := speech(t)
	for enc, pkts := range map[string][][]byte{
		"gopus":   callPackets(t),
		"libopus": refEncodeAll(t, Call, x),
	} {
		for _, loss := range []float64{0.10, 0.20} {
			lost := lose(pkts, loss, 42)
			ours := stoi(t, x, decodeAll(t, lost, 960, true)).STOI
			ref := stoi(t, x, refDecodeAll(t, lost, 960, true)).STOI
			t.Logf("%s stream, %2.0f%% loss, FEC+PLC: gopus decode %.3f, libopus decode %.3f", enc, loss*100, ours, ref)
			if math.Abs(ours-ref) > 0.03 {
				t.Errorf("%s stream at %v loss: decoders disagree, %.3f vs %.3f", enc, loss, ours, ref)
			}
			if min(ours, ref) < 0.88 {
				t.Errorf("%s stream at %v loss: STOI %.3f / %.3f below 0.88", enc, loss, ours, ref)
			}
		}
	}
}
