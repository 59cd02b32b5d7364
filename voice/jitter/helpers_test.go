package jitter

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/voice/codec"
)

// Fake payloads are valid Opus framing: a TOC byte naming a SILK wideband
// frame of the wanted duration, then the frame's index. The fake decoder
// turns index i into a 200 Hz tone segment starting at sample i*n, so
// consecutive frames join into a continuous tone, and it logs every call.
func payload(idx uint32, dur time.Duration) []byte {
	cfg := map[time.Duration]byte{10: 8, 20: 9, 40: 10, 60: 11}[dur/time.Millisecond]
	p := make([]byte, 5)
	p[0] = cfg << 3
	binary.BigEndian.PutUint32(p[1:], idx)
	return p
}

type fakeDecoder struct {
	rate  int
	calls []string
	fail  map[uint32]bool // indices whose decode fails
}

func (d *fakeDecoder) tone(pcm []int16, start int) {
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*200*float64(start+i)/float64(d.rate)))
	}
}

func (d *fakeDecoder) Decode(pkt []byte, pcm []int16) (int, error) {
	if len(pkt) == 0 {
		d.calls = append(d.calls, "plc")
		for i := range pcm {
			pcm[i] = 0
		}
		return len(pcm), nil
	}
	n, err := codec.PacketSamples(pkt, d.rate)
	if err != nil {
		return 0, err
	}
	idx := binary.BigEndian.Uint32(pkt[1:])
	if d.fail[idx] {
		return 0, fmt.Errorf("fake: corrupt frame %d", idx)
	}
	d.calls = append(d.calls, fmt.Sprintf("d%d", idx))
	d.tone(pcm[:n], int(idx)*n)
	return n, nil
}

func (d *fakeDecoder) DecodeFEC(next []byte, pcm []int16) (int, error) {
	idx := binary.BigEndian.Uint32(next[1:])
	d.calls = append(d.calls, fmt.Sprintf("fec%d", idx-1))
	d.tone(pcm, int(idx-1)*len(pcm))
	return len(pcm), nil
}

func (d *fakeDecoder) count(prefix string) int {
	n := 0
	for _, c := range d.calls {
		if len(c) >= len(prefix) && c[:len(prefix)] == prefix && (prefix != "d" || c[1] >= '0' && c[1] <= '9') {
			n++
		}
	}
	return n
}

var epoch = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// arrival is one packet of a synthetic trace.
type arrival struct {
	at      time.Duration
	seq     uint16
	ts      uint32
	payload []byte
}

// stream returns n packets of 20 ms sent every 20 ms from t=0, arriving
// after delay(i); lost(i) drops packet i. Timestamps start at ts0.
func stream(n int, ts0 uint32, delay func(i int) time.Duration, lost func(i int) bool) []arrival {
	var a []arrival
	for i := range n {
		if lost != nil && lost(i) {
			continue
		}
		a = append(a, arrival{
			at:      time.Duration(i)*20*time.Millisecond + delay(i),
			seq:     uint16(1000 + i),
			ts:      ts0 + uint32(i)*960,
			payload: payload(uint32(i), 20*time.Millisecond),
		})
	}
	return a
}

func fixed(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }

// sim drives a Buffer with a trace on a fake clock: arrivals are pushed at
// their times, and the sink pulls a frame every period of its clock.
type sim struct {
	t   *testing.T
	clk *clock.Fake
	dec *fakeDecoder
	b   *Buffer
	ops []Op
	out []int16
	lvl []time.Duration // level after each pull
}

func newSim(t *testing.T, cfg Config) *sim {
	t.Helper()
	s := &sim{t: t, clk: clock.NewFake(epoch), dec: &fakeDecoder{rate: 48000}}
	cfg.Decoder, cfg.Clock = s.dec, s.clk
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.b = b
	return s
}

// run plays the trace for dur, pulling every period (20 ms skewed by ppm).
func (s *sim) run(trace []arrival, dur time.Duration, ppm float64) {
	s.t.Helper()
	slices.SortStableFunc(trace, func(a, b arrival) int { return int(a.at - b.at) })
	period := float64(20*time.Millisecond) * 1e6 / (1e6 + ppm)
	start := s.clk.Now()
	pcm := make([]int16, 960)
	i := 0
	for k := 1; ; k++ {
		pullAt := time.Duration(float64(k) * period)
		if pullAt > dur {
			break
		}
		for ; i < len(trace) && trace[i].at <= pullAt; i++ {
			s.clk.Set(start.Add(trace[i].at))
			if err := s.b.Push(trace[i].seq, trace[i].ts, s.clk.Now(), trace[i].payload); err != nil {
				s.t.Fatalf("push %d: %v", trace[i].seq, err)
			}
		}
		s.clk.Set(start.Add(pullAt))
		op, err := s.b.Pull(pcm)
		if err != nil {
			s.t.Fatal(err)
		}
		s.ops = append(s.ops, op)
		s.out = append(s.out, pcm...)
		s.lvl = append(s.lvl, s.b.Stats().Level)
	}
}

func (s *sim) countOps(op Op) int {
	n := 0
	for _, o := range s.ops {
		if o&op != 0 {
			n++
		}
	}
	return n
}

// decoded returns the frame indices the decoder decoded, in order.
func (s *sim) decoded() []int {
	var idx []int
	for _, c := range s.dec.calls {
		var i int
		if _, err := fmt.Sscanf(c, "d%d", &i); err == nil {
			idx = append(idx, i)
		}
	}
	return idx
}
