package voice

import (
	"crypto/rand"
	"os"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"mehfooz/voice/audio"
	"mehfooz/voice/codec"
	"mehfooz/voice/seal"
)

// speech reads the shared 48 kHz speech fixture.
func speech(tb testing.TB) (audio.Format, []int16) {
	tb.Helper()
	f, err := os.Open("audio/testdata/speech48k.wav")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	format, pcm, err := audio.ReadWAV(f, 48000*60)
	if err != nil {
		tb.Fatal(err)
	}
	return format, pcm
}

// BenchmarkFramePipeline is the whole per-frame cost of a call on one
// handset, for one 20 ms frame of speech each way: Opus encode (the call's
// operating point), inner seal, RTP and SRTP AEAD_AES_256_GCM encrypt, then
// SRTP decrypt with its replay check, inner open and Opus decode. At 50
// frames a second, ns/op x 50 / 1e9 is the share of one core.
func BenchmarkFramePipeline(b *testing.B) {
	_, pcm := speech(b)
	enc, err := codec.NewEncoder(codec.Call)
	if err != nil {
		b.Fatal(err)
	}
	dec, err := codec.NewDecoder(codec.Call.SampleRate, codec.Call.Channels)
	if err != nil {
		b.Fatal(err)
	}
	n := codec.Call.FrameSamples()
	prk := make([]byte, 48)
	rand.Read(prk)
	sealer, _, _ := seal.New(prk, true)
	_, opener, _ := seal.New(prk, false)
	key, salt := make([]byte, 32), make([]byte, 12)
	rand.Read(key)
	rand.Read(salt)
	srtpEnc, _ := srtp.CreateContext(key, salt, srtp.ProtectionProfileAeadAes256Gcm)
	srtpDec, _ := srtp.CreateContext(key, salt, srtp.ProtectionProfileAeadAes256Gcm, srtp.SRTPReplayProtection(64))
	hdr := rtp.Header{Version: 2, PayloadType: 111, SSRC: 0x1234}
	opus := make([]byte, codec.MaxPacket)
	out := make([]int16, n)
	var sealed, wire, clear, plain []byte
	frame := 0
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if (frame+1)*n > len(pcm) {
			frame = 0
		}
		k, err := enc.Encode(pcm[frame*n:(frame+1)*n], opus)
		if err != nil {
			b.Fatal(err)
		}
		frame++
		sealed, _ = sealer.Seal(sealed[:0], opus[:k], 0)
		hdr.SequenceNumber++
		hdr.Timestamp += 960
		p := rtp.Packet{Header: hdr, Payload: sealed}
		raw, _ := p.Marshal()
		if wire, err = srtpEnc.EncryptRTP(wire[:0], raw, nil); err != nil {
			b.Fatal(err)
		}
		if clear, err = srtpDec.DecryptRTP(clear[:0], wire, nil); err != nil {
			b.Fatal(err)
		}
		var q rtp.Packet
		if err := q.Unmarshal(clear); err != nil {
			b.Fatal(err)
		}
		if plain, _, err = opener.Open(plain[:0], q.Payload); err != nil {
			b.Fatal(err)
		}
		if _, err := dec.Decode(plain, out); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time, unlike ns/op, does not grow when other processes share the
	// cores: the figure to hold against the per-call budget.
	perFrame := float64(cpuTime()-cpu0) / float64(b.N)
	b.ReportMetric(perFrame/1000, "cpu-µs/frame")
	b.ReportMetric(perFrame*50/1e9*100, "cpu-%-of-a-core")
}
