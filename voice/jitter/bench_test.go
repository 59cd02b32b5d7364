package jitter

import (
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/voice/codec"
)

// nopDecoder costs nothing, so the benchmark measures the buffer alone.
type nopDecoder struct{}

func (nopDecoder) Decode(pkt []byte, pcm []int16) (int, error) {
	if len(pkt) == 0 {
		return len(pcm), nil
	}
	return codec.PacketSamples(pkt, 48000)
}

func (nopDecoder) DecodeFEC(next []byte, pcm []int16) (int, error) { return len(pcm), nil }

// BenchmarkPushPull is one 20 ms packet in and one 20 ms frame out: the
// buffer's own cost per frame of a call, decoding excluded.
func BenchmarkPushPull(b *testing.B) {
	clk := clock.NewFake(epoch)
	buf, err := New(Config{Decoder: nopDecoder{}, Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	pcm := make([]int16, 960)
	p := payload(0, 20*time.Millisecond)
	for i := range 3 {
		buf.Push(uint16(i), uint32(i)*960, clk.Now(), p)
	}
	b.ReportAllocs()
	i := uint32(3)
	for b.Loop() {
		clk.Advance(20 * time.Millisecond)
		if err := buf.Push(uint16(i), i*960, clk.Now(), p); err != nil {
			b.Fatal(err)
		}
		if _, err := buf.Pull(pcm); err != nil {
			b.Fatal(err)
		}
		i++
	}
	if st := buf.Stats(); st.ConcealedSamples != 0 {
		b.Fatalf("concealed %d samples", st.ConcealedSamples)
	}
}
