package voice

import (
	"context"
	"crypto/rand"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"mehfooz/voice/seal"
)

// percentile returns the p-th percentile of ds (0 < p <= 100).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (h *handset) drain() {
	for {
		select {
		case <-h.updates:
		default:
			return
		}
	}
}

func immediateAudio(c *Config) { c.Media.(*testMedia).immediate = true }

// BenchmarkConnect measures, on loopback through the in-process TURN relay,
// the time from the callee pressing Answer to (a) both handsets connected
// with their keys derived and (b) the first audio frame opened at the caller
// and at the callee. Each iteration is one whole call; ns/op is a call's
// full cycle including hang-up.
func BenchmarkConnect(b *testing.B) {
	w := newWorld(b)
	alice, bob := w.handset(b, "alice", immediateAudio), w.handset(b, "bob", immediateAudio)
	var connected, atCaller, atCallee []time.Duration
	for b.Loop() {
		alice.drain()
		bob.drain()
		if err := alice.phone.Dial("bob"); err != nil {
			b.Fatal(err)
		}
		bob.awaitPhase(b, PhaseIncoming)
		alice.awaitPhase(b, PhaseRinging)
		na, nb := len(alice.media.streams), len(bob.media.streams)
		t0 := time.Now()
		if err := bob.phone.Answer(); err != nil {
			b.Fatal(err)
		}
		alice.awaitPhase(b, PhaseConnected)
		bob.awaitPhase(b, PhaseConnected)
		connected = append(connected, time.Since(t0))
		for _, x := range []struct {
			h *handset
			n int
			d *[]time.Duration
		}{{alice, na, &atCaller}, {bob, nb, &atCallee}} {
			x.h.awaitFrames(b, 1)
			s := x.h.media.last()
			if len(x.h.media.streams) != x.n+1 {
				b.Fatal("no new stream")
			}
			s.mu.Lock()
			*x.d = append(*x.d, s.gotAt[0].Sub(t0))
			s.mu.Unlock()
		}
		if err := alice.phone.HangUp(); err != nil {
			b.Fatal(err)
		}
		alice.awaitPhase(b, PhaseEnded)
		bob.awaitPhase(b, PhaseEnded)
		alice.phone.teardowns.Wait()
		bob.phone.teardowns.Wait()
	}
	if testing.Verbose() {
		s := slices.Clone(connected)
		slices.Sort(s)
		b.Logf("answer to connected, sorted: %v", s)
	}
	b.ReportMetric(ms(percentile(connected, 50)), "connected-p50-ms")
	b.ReportMetric(ms(percentile(connected, 95)), "connected-p95-ms")
	b.ReportMetric(ms(percentile(atCaller, 50)), "first-frame-caller-p50-ms")
	b.ReportMetric(ms(percentile(atCaller, 95)), "first-frame-caller-p95-ms")
	b.ReportMetric(ms(percentile(atCallee, 50)), "first-frame-callee-p50-ms")
	b.ReportMetric(ms(percentile(atCallee, 95)), "first-frame-callee-p95-ms")
}

// BenchmarkTransit measures what the call stack adds to a frame's one-way
// trip on loopback: from the audio stream handing a frame to the call, through
// the inner seal, RTP, SRTP, the TURN relay, SRTP, the inner open, to the
// peer's audio stream. Each iteration waits for one more frame (ns/op is the
// 20 ms frame period); the metrics are the per-frame transit times.
func BenchmarkTransit(b *testing.B) {
	w := newWorld(b)
	alice, bob := w.handset(b, "alice"), w.handset(b, "bob")
	connect(b, alice, bob)
	bob.awaitFrames(b, 5)
	n := len(bob.frames())
	for b.Loop() {
		n++
		bob.awaitFrames(b, n)
	}
	b.StopTimer()
	sent, recv := alice.media.last(), bob.media.last()
	sent.mu.Lock()
	recv.mu.Lock()
	var transit []time.Duration
	for i, num := range recv.got {
		if int(num) < len(sent.sentAt) {
			transit = append(transit, recv.gotAt[i].Sub(sent.sentAt[num]))
		}
	}
	recv.mu.Unlock()
	sent.mu.Unlock()
	b.ReportMetric(float64(percentile(transit, 50).Microseconds()), "transit-p50-µs")
	b.ReportMetric(float64(percentile(transit, 95).Microseconds()), "transit-p95-µs")
	b.ReportMetric(float64(percentile(transit, 100).Microseconds()), "transit-max-µs")
}

// BenchmarkCallCPU measures the process CPU time of a running call, both
// handsets in this process and the TURN relay in a child process, per
// handset, as a share of one core. Each iteration is one 20 ms frame.
func BenchmarkCallCPU(b *testing.B) {
	w := newWorld(b)
	url := externalRelay(b)
	viaChild := func(c *Config) {
		id := c.Identity.DeviceID
		c.TURN = func(context.Context, CallInfo) ([]ICEServer, error) { return w.relay.servers(id, url), nil }
	}
	alice, bob := w.handset(b, "alice", viaChild), w.handset(b, "bob", viaChild)
	connect(b, alice, bob)
	bob.awaitFrames(b, 10)
	n := len(bob.frames())
	cpu0, wall0 := cpuTime(), time.Now()
	for b.Loop() {
		n++
		bob.awaitFrames(b, n)
	}
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds()/2, "cpu-%-of-a-core-per-handset")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCallMemory measures heap and goroutines per connected call side:
// four calls (eight handsets) up at once, against the same handsets idle.
func BenchmarkCallMemory(b *testing.B) {
	const pairs = 4
	w := newWorld(b)
	var hs []*handset
	for i := range pairs * 2 {
		hs = append(hs, w.handset(b, string(rune('a'+i))))
	}
	var heap, goroutines float64
	for b.Loop() {
		h0, g0 := heapInUse(), runtime.NumGoroutine()
		for i := 0; i < len(hs); i += 2 {
			connect(b, hs[i], hs[i+1])
		}
		for _, h := range hs {
			h.awaitFrames(b, 5)
		}
		h1, g1 := heapInUse(), runtime.NumGoroutine()
		heap += float64(h1-h0) / (pairs * 2)
		goroutines += float64(g1-g0) / (pairs * 2)
		for i := 0; i < len(hs); i += 2 {
			if err := hs[i].phone.HangUp(); err != nil {
				b.Fatal(err)
			}
		}
		for _, h := range hs {
			h.awaitPhase(b, PhaseEnded)
			h.phone.teardowns.Wait()
			h.drain()
		}
	}
	b.ReportMetric(heap/float64(b.N)/1024, "heap-KiB/side")
	b.ReportMetric(goroutines/float64(b.N), "goroutines/side")
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// BenchmarkFrameCrypto is both layers of one 20 ms frame of 24 kbit/s Opus
// (60 bytes), sender and receiver: inner seal, SRTP AEAD_AES_256_GCM
// encrypt, SRTP decrypt with its replay check, inner open.
func BenchmarkFrameCrypto(b *testing.B) {
	prk := make([]byte, 48)
	rand.Read(prk)
	sealer, _, _ := seal.New(prk, true)
	_, opener, _ := seal.New(prk, false)
	key, salt := make([]byte, 32), make([]byte, 12)
	rand.Read(key)
	rand.Read(salt)
	enc, err := srtp.CreateContext(key, salt, srtp.ProtectionProfileAeadAes256Gcm)
	if err != nil {
		b.Fatal(err)
	}
	dec, err := srtp.CreateContext(key, salt, srtp.ProtectionProfileAeadAes256Gcm, srtp.SRTPReplayProtection(64))
	if err != nil {
		b.Fatal(err)
	}
	frame := make([]byte, 60)
	hdr := rtp.Header{Version: 2, PayloadType: 111, SSRC: 0x1234}
	var sealed, pkt, wire, clear, plain []byte
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		hdr.SequenceNumber++
		hdr.Timestamp += 960
		sealed, _ = sealer.Seal(sealed[:0], frame, 0)
		p := rtp.Packet{Header: hdr, Payload: sealed}
		pkt, _ = p.Marshal()
		wire, err = enc.EncryptRTP(wire[:0], pkt, nil)
		if err != nil {
			b.Fatal(err)
		}
		clear, err = dec.DecryptRTP(clear[:0], wire, nil)
		if err != nil {
			b.Fatal(err)
		}
		var q rtp.Packet
		if err := q.Unmarshal(clear); err != nil {
			b.Fatal(err)
		}
		if plain, _, err = opener.Open(plain[:0], q.Payload); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/frame")
}
