package codec

import (
	"errors"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"mehfooz/voice/audio"
	"mehfooz/voice/quality"
)

var fixture struct {
	once   sync.Once
	speech []int16
	call   [][]byte // speech encoded at the Call operating point
	err    error
}

// speech is the committed speech fixture, 48 kHz mono.
func speech(tb testing.TB) []int16 {
	tb.Helper()
	fixture.once.Do(func() {
		f, err := os.Open("../audio/testdata/speech48k.wav")
		if err != nil {
			fixture.err = err
			return
		}
		defer f.Close()
		_, fixture.speech, fixture.err = audio.ReadWAV(f, 1<<21)
	})
	if fixture.err != nil {
		tb.Fatal(fixture.err)
	}
	return fixture.speech
}

// callPackets is the fixture encoded once with Call; callers must not modify it.
func callPackets(tb testing.TB) [][]byte {
	tb.Helper()
	x := speech(tb)
	if fixture.call == nil {
		fixture.call = encodeAll(tb, Call, x)
	}
	return fixture.call
}

// encodeAll encodes x in frames with a fresh encoder of cfg.
func encodeAll(tb testing.TB, cfg Config, x []int16) [][]byte {
	tb.Helper()
	enc, err := NewEncoder(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	n := enc.FrameSamples()
	var pkts [][]byte
	buf := make([]byte, MaxPacket)
	for i := 0; i+n <= len(x); i += n {
		k, err := enc.Encode(x[i:i+n], buf)
		if err != nil {
			tb.Fatal(err)
		}
		pkts = append(pkts, append([]byte(nil), buf[:k]...))
	}
	return pkts
}

// decodeAll decodes pkts with a fresh decoder; a nil packet is lost and is
// recovered by FEC from the next packet when fec is set, else concealed.
func decodeAll(tb testing.TB, pkts [][]byte, frame int, fec bool) []int16 {
	tb.Helper()
	dec, err := NewDecoder(48000, 1)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]int16, 0, len(pkts)*frame)
	pcm := make([]int16, frame)
	for i, p := range pkts {
		var n int
		switch {
		case p != nil:
			n, err = dec.Decode(p, pcm)
		case fec && i+1 < len(pkts) && pkts[i+1] != nil:
			n, err = dec.DecodeFEC(pkts[i+1], pcm)
		default:
			n, err = dec.Decode(nil, pcm)
		}
		if err != nil {
			tb.Fatalf("packet %d: %v", i, err)
		}
		if n != frame {
			tb.Fatalf("packet %d decoded to %d samples, want %d", i, n, frame)
		}
		out = append(out, pcm...)
	}
	return out
}

func lose(pkts [][]byte, loss float64, seed uint64) [][]byte {
	r := rand.New(rand.NewPCG(seed, 0))
	out := make([][]byte, len(pkts))
	for i, p := range pkts {
		if r.Float64() >= loss {
			out[i] = p
		}
	}
	return out
}

func TestConfigValidate(t *testing.T) {
	if err := Call.Validate(); err != nil {
		t.Fatalf("Call: %v", err)
	}
	if got := Call.FrameSamples(); got != 960 {
		t.Fatalf("Call frame = %d samples, want 960", got)
	}
	bad := []func(*Config){
		func(c *Config) { c.SampleRate = 44100 },
		func(c *Config) { c.Channels = 3 },
		func(c *Config) { c.Frame = 25 * time.Millisecond },
		func(c *Config) { c.Bitrate = 1000 },
		func(c *Config) { c.Complexity = 11 },
		func(c *Config) { c.MaxBandwidth = 0 },
		func(c *Config) { c.PacketLoss = 101 },
	}
	for i, f := range bad {
		c := Call
		f(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("case %d: %+v validated", i, c)
		}
		if _, err := NewEncoder(c); err == nil {
			t.Errorf("case %d: NewEncoder accepted %+v", i, c)
		}
	}
}

// TestCallPacketsAreConstantSize checks the property traffic analysis
// depends on: every packet of a call has the same length, silence included.
func TestCallPacketsAreConstantSize(t *testing.T) {
	pkts := callPackets(t)
	want := Call.Bitrate / 8 * int(Call.Frame/time.Millisecond) / 1000
	fec := 0
	for i, p := range pkts {
		if len(p) != want {
			t.Fatalf("packet %d is %d bytes, want %d (CBR)", i, len(p), want)
		}
		if n, err := PacketSamples(p, 48000); err != nil || n != 960 {
			t.Fatalf("packet %d: TOC says %d samples (%v), want 960", i, n, err)
		}
		if bw := p[0] >> 3; bw > 11 {
			t.Fatalf("packet %d: TOC config %d is above wideband SILK", i, bw)
		}
		if HasFEC(p) {
			fec++
		}
	}
	if fec < len(pkts)/2 {
		t.Fatalf("only %d of %d packets carry FEC", fec, len(pkts))
	}
	t.Logf("%d packets of %d bytes, %d with FEC", len(pkts), want, fec)
}

func TestRoundTripQuality(t *testing.T) {
	x := speech(t)
	enc, _ := NewEncoder(Call)
	look := time.Duration(enc.Lookahead()) * time.Second / 48000
	// FEC sized for 10 % loss takes bits from the primary frames; without
	// expected loss the same bitrate codes the speech better.
	noLoss := Call
	noLoss.PacketLoss = 0
	for _, c := range []struct {
		name string
		cfg  Config
		want float64
	}{{"call", Call, 0.95}, {"no expected loss", noLoss, 0.98}} {
		pkts := callPackets(t)
		if c.cfg != Call {
			pkts = encodeAll(t, c.cfg, x)
		}
		y := decodeAll(t, pkts, 960, false)
		rep, err := quality.Compare(x, y, 48000, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s, lossless: %v", c.name, rep)
		if rep.STOI < c.want {
			t.Errorf("%s: STOI %.3f, want >= %.2f", c.name, rep.STOI, c.want)
		}
		// The only delay is the encoder lookahead (6.5 ms at 48 kHz).
		if d := rep.Delay - look; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("%s: delay %v, want the %v lookahead", c.name, rep.Delay, look)
		}
		if lvl := quality.DBFS(rep.DegRMS) - quality.DBFS(rep.RefRMS); lvl < -3 || lvl > 3 {
			t.Errorf("%s: level changed by %.1f dB", c.name, lvl)
		}
	}
}

// TestLossRecovery checks that concealment beats silence and that in-band
// FEC beats concealment, at the loss rates a bad cell produces.
func TestLossRecovery(t *testing.T) {
	x := speech(t)
	pkts := callPackets(t)
	for _, loss := range []float64{0.10, 0.20} {
		lost := lose(pkts, loss, 42)
		score := func(y []int16) float64 {
			rep, err := quality.Compare(x, y, 48000, 100*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			return rep.STOI
		}
		zero := decodeAll(t, lost, 960, false)
		for i, p := range lost {
			if p == nil {
				clear(zero[i*960 : (i+1)*960])
			}
		}
		silence, plc, fec := score(zero), score(decodeAll(t, lost, 960, false)), score(decodeAll(t, lost, 960, true))
		t.Logf("%2.0f%% loss: STOI silence %.3f, PLC %.3f, FEC+PLC %.3f", loss*100, silence, plc, fec)
		if plc < silence+0.01 {
			t.Errorf("%v loss: PLC %.3f does not beat silence %.3f", loss, plc, silence)
		}
		if fec < plc+0.01 {
			t.Errorf("%v loss: FEC %.3f does not beat PLC %.3f", loss, fec, plc)
		}
		if fec < 0.90 {
			t.Errorf("%v loss: FEC+PLC STOI %.3f, want >= 0.90", loss, fec)
		}
	}
}

// TestDurationFromTOC feeds the decoder packets of every frame duration a
// peer may choose; the decoder reports each duration from the TOC.
func TestDurationFromTOC(t *testing.T) {
	x := speech(t)[:48000]
	dec, _ := NewDecoder(48000, 1)
	pcm := make([]int16, 5760)
	for _, d := range []time.Duration{10, 20, 40, 60} {
		cfg := Call
		cfg.Frame = d * time.Millisecond
		for _, p := range encodeAll(t, cfg, x)[:3] {
			want := int(d) * 48
			if n, err := PacketSamples(p, 48000); err != nil || n != want {
				t.Fatalf("%v ms: PacketSamples = %d, %v", d, n, err)
			}
			if n, err := PacketSamples(p, 16000); err != nil || n != want/3 {
				t.Fatalf("%v ms at 16 kHz: PacketSamples = %d, %v", d, n, err)
			}
			n, err := dec.Decode(p, pcm)
			if err != nil || n != want {
				t.Fatalf("%v ms: Decode = %d, %v; want %d", d, n, err, want)
			}
		}
	}
}

func TestPacketSamplesTable(t *testing.T) {
	cases := []struct {
		pkt  []byte
		want int // samples at 48 kHz; -1 for an error
	}{
		{[]byte{0 << 3}, 480},                     // SILK NB 10 ms
		{[]byte{9 << 3}, 960},                     // SILK WB 20 ms
		{[]byte{11 << 3}, 2880},                   // SILK WB 60 ms
		{[]byte{13 << 3}, 960},                    // hybrid SWB 20 ms
		{[]byte{14 << 3}, 480},                    // hybrid FB 10 ms
		{[]byte{16 << 3}, 120},                    // CELT NB 2.5 ms
		{[]byte{31 << 3}, 960},                    // CELT FB 20 ms
		{[]byte{9<<3 | 1, 0, 0}, 1920},            // code 1: two equal frames
		{[]byte{9<<3 | 2, 1, 0, 0}, 1920},         // code 2: two frames
		{[]byte{16<<3 | 3, 48}, 5760},             // code 3: 48 x 2.5 ms = 120 ms
		{[]byte{11<<3 | 3, 3}, -1},                // 3 x 60 ms > 120 ms
		{[]byte{9<<3 | 3, 0}, -1},                 // zero frames
		{[]byte{9<<3 | 3}, -1},                    // no count byte
		{nil, -1},                                 // empty
		{[]byte{9<<3 | 3, 0x80 | 0x40 | 2}, 1920}, // VBR and padding flags ignored
	}
	for _, c := range cases {
		got, err := PacketSamples(c.pkt, 48000)
		if c.want < 0 {
			if !errors.Is(err, ErrPacket) {
				t.Errorf("PacketSamples(%x) = %d, %v; want ErrPacket", c.pkt, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("PacketSamples(%x) = %d, %v; want %d", c.pkt, got, err, c.want)
		}
	}
}

func TestDecodeRefusesBadInput(t *testing.T) {
	dec, _ := NewDecoder(48000, 1)
	pcm := make([]int16, 960)
	good := callPackets(t)[0]
	if _, err := dec.Decode(good, pcm[:480]); err == nil {
		t.Error("decoded a 20 ms packet into a 10 ms buffer")
	}
	if _, err := dec.Decode(make([]byte, MaxPacket+1), pcm); !errors.Is(err, ErrPacket) {
		t.Errorf("oversized packet: %v", err)
	}
	if _, err := dec.Decode([]byte{9<<3 | 3}, pcm); !errors.Is(err, ErrPacket) {
		t.Errorf("truncated code 3 packet: %v", err)
	}
	if _, err := dec.Decode([]byte{9<<3 | 1, 0, 0, 0}, make([]int16, 1920)); !errors.Is(err, ErrPacket) {
		t.Errorf("code 1 packet with odd payload: %v", err)
	}
	if _, err := dec.Decode(nil, pcm[:100]); err == nil {
		t.Error("concealed a length that is not a multiple of 2.5 ms")
	}
	// After refusing all that, the decoder still decodes.
	if n, err := dec.Decode(good, pcm); err != nil || n != 960 {
		t.Fatalf("good packet after bad ones: %d, %v", n, err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, p := range callPackets(f)[100:120] {
		f.Add(p, true)
	}
	f.Add([]byte{0xff, 0xff, 0xff}, false)
	f.Add([]byte{9<<3 | 3, 0xc2, 0xff, 0x00, 1, 2, 3}, true)
	dec, err := NewDecoder(48000, 1)
	if err != nil {
		f.Fatal(err)
	}
	pcm := make([]int16, 5760)
	f.Fuzz(func(t *testing.T, pkt []byte, fec bool) {
		want, perr := PacketSamples(pkt, 48000)
		n, err := dec.Decode(pkt, pcm)
		if err == nil && len(pkt) > 0 && (perr != nil || n != want) {
			t.Fatalf("decoded %d samples, TOC says %d (%v)", n, want, perr)
		}
		if n < 0 || n > len(pcm) {
			t.Fatalf("decoded %d samples into %d", n, len(pcm))
		}
		if fec {
			if n, err := dec.DecodeFEC(pkt, pcm[:960]); err == nil && n != 960 {
				t.Fatalf("FEC gave %d samples for a 20 ms gap", n)
			}
		}
		// Whatever came before, concealment still works.
		if n, err := dec.Decode(nil, pcm[:960]); err != nil || n != 960 {
			t.Fatalf("PLC after fuzz input: %d, %v", n, err)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	x := speech(b)
	enc, _ := NewEncoder(Call)
	out := make([]byte, MaxPacket)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := enc.Encode(x[i:i+960], out); err != nil {
			b.Fatal(err)
		}
		if i += 960; i+960 > len(x) {
			i = 0
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	pkts := callPackets(b)
	dec, _ := NewDecoder(48000, 1)
	pcm := make([]int16, 960)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := dec.Decode(pkts[i%len(pkts)], pcm); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkPLC(b *testing.B) {
	pkts := callPackets(b)
	dec, _ := NewDecoder(48000, 1)
	pcm := make([]int16, 960)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// Alternate packets and losses so PLC always follows real speech.
		p := pkts[(i/2)%len(pkts)]
		if i%2 == 1 {
			p = nil
		}
		if _, err := dec.Decode(p, pcm); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkFEC(b *testing.B) {
	pkts := callPackets(b)
	dec, _ := NewDecoder(48000, 1)
	pcm := make([]int16, 960)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := dec.DecodeFEC(pkts[(i+1)%len(pkts)], pcm); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func TestPacketLossSetting(t *testing.T) {
	for _, c := range []struct {
		reported float64
		want     int
	}{{0, 5}, {0.4, 5}, {2, 7}, {5, 10}, {20, 10}, {100, 10}, {-3, 5}} {
		if got := PacketLossSetting(c.reported); got != c.want {
			t.Errorf("PacketLossSetting(%v) = %d, want %d", c.reported, got, c.want)
		}
	}
}
