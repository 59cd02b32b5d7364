package codec

import (
	"fmt"
	"testing"
	"time"

	"mehfooz/voice/quality"
)

// BenchmarkEncodeComplexity prices the encoder's complexity setting, the
// main lever on a call's CPU: time per 20 ms frame, and the STOI-like score
// and log-spectral distance of the speech fixture encoded and decoded at
// that setting (clean channel).
//
//	go test -run '^$' -bench EncodeComplexity -count 3 ./voice/codec/
func BenchmarkEncodeComplexity(b *testing.B) {
	x := speech(b)
	for _, cx := range []int{0, 1, 2, 3, 5} {
		b.Run(fmt.Sprintf("complexity=%d", cx), func(b *testing.B) {
			cfg := Call
			cfg.Complexity = cx
			enc, err := NewEncoder(cfg)
			if err != nil {
				b.Fatal(err)
			}
			out := make([]byte, MaxPacket)
			i := 0
			for b.Loop() {
				if _, err := enc.Encode(x[i:i+960], out); err != nil {
					b.Fatal(err)
				}
				if i += 960; i+960 > len(x) {
					i = 0
				}
			}
			b.StopTimer()
			pkts := encodeAll(b, cfg, x)
			dec, err := NewDecoder(48000, 1)
			if err != nil {
				b.Fatal(err)
			}
			got := make([]int16, 0, len(x))
			pcm := make([]int16, 960)
			for _, p := range pkts {
				n, err := dec.Decode(p, pcm)
				if err != nil {
					b.Fatal(err)
				}
				got = append(got, pcm[:n]...)
			}
			rep, err := quality.Compare(x, got, 48000, 100*time.Millisecond)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(rep.STOI, "stoi")
			b.ReportMetric(rep.LSD, "lsd-dB")
		})
	}
}
