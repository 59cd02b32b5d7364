package jitter

import (
	"encoding/binary"
	"testing"
	"time"

	"mehfooz/clock"
)

// FuzzPush drives a Buffer with hostile sequence numbers, timestamps,
// arrival times and payloads, interleaved with Pulls. Each 8-byte record is
// seq (2), ts (4), milliseconds to advance (1) and a kind byte choosing the
// payload's duration, a garbage payload, or a Pull.
func FuzzPush(f *testing.F) {
	var seed []byte
	for i := range 40 {
		rec := make([]byte, 8)
		binary.BigEndian.PutUint16(rec, uint16(i))
		binary.BigEndian.PutUint32(rec[2:], uint32(i*960))
		rec[6], rec[7] = 20, byte(i%3)
		seed = append(seed, rec...)
	}
	f.Add(seed)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0x80, 0, 0, 0, 30, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		clk := clock.NewFake(epoch)
		b, err := New(Config{Decoder: &fakeDecoder{rate: 48000}, Clock: clk, Capacity: 16})
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, 960)
		durs := []time.Duration{10, 20, 40, 60}
		for ; len(data) >= 8; data = data[8:] {
			seq := binary.BigEndian.Uint16(data)
			ts := binary.BigEndian.Uint32(data[2:])
			clk.Advance(time.Duration(data[6]) * time.Millisecond)
			switch kind := data[7] % 8; {
			case kind < 4:
				p := payload(uint32(seq), durs[kind]*time.Millisecond)
				if err := b.Push(seq, ts, clk.Now(), p); err != nil {
					t.Fatalf("valid payload refused: %v", err)
				}
			case kind == 4:
				b.Push(seq, ts, clk.Now(), data[:8]) // garbage; may or may not parse
			default:
				if _, err := b.Pull(pcm); err != nil {
					t.Fatalf("Pull: %v", err)
				}
			}
			if n := b.store.len(); n > 16 {
				t.Fatalf("holds %d packets, capacity 16", n)
			}
			if st := b.Stats(); st.Level < 0 || st.TargetDelay < 40*time.Millisecond || st.TargetDelay > 150*time.Millisecond {
				t.Fatalf("level %v, target %v", st.Level, st.TargetDelay)
			}
			if len(b.pending) > 4*5760 {
				t.Fatalf("pending grew to %d samples", len(b.pending))
			}
		}
	})
}
