package jitter

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func TestConfigRefusesNonsense(t *testing.T) {
	dec := &fakeDecoder{rate: 48000}
	bad := []Config{
		{},
		{Decoder: dec, Rate: 44100},
		{Decoder: dec, MinDelay: 100 * time.Millisecond, MaxDelay: 50 * time.Millisecond},
		{Decoder: dec, StartDelay: time.Second},
		{Decoder: dec, Capacity: 2},
		{Decoder: dec, Quantile: 1.5},
		{Decoder: dec, ConcealLimit: time.Millisecond},
	}
	for i, c := range bad {
		if _, err := New(c); err == nil {
			t.Errorf("case %d: New accepted %+v", i, c)
		}
	}
}

// TestSteadyStreamPlaysInOrder: a clean link plays every frame once, in
// order, with no concealment, and settles at the minimum depth.
func TestSteadyStreamPlaysInOrder(t *testing.T) {
	s := newSim(t, Config{})
	s.run(stream(1000, 1234, fixed(30*time.Millisecond), nil), 20*time.Second, 0)
	got := s.decoded()
	for i, idx := range got {
		if idx != i {
			t.Fatalf("decode %d was frame %d: %v", i, idx, got[:i+1])
		}
	}
	if len(got) < 990 {
		t.Fatalf("decoded %d of 1000 frames", len(got))
	}
	st := s.b.Stats()
	if st.ConcealedSamples != 0 || st.PacketsDiscarded != 0 || st.PacketsLost != 0 {
		t.Fatalf("clean link: %+v", st)
	}
	// Two frames plus the first 5 ms histogram bucket.
	if st.TargetDelay != 45*time.Millisecond {
		t.Fatalf("target %v on a jitter-free link, want 45 ms", st.TargetDelay)
	}
	if s.countOps(OpAccelerate) == 0 {
		t.Fatal("never accelerated from the 60 ms start depth down to the 40 ms target")
	}
	if lvl := s.lvl[len(s.lvl)-1]; lvl > 60*time.Millisecond {
		t.Fatalf("depth %v at the end, want near the 40 ms target", lvl)
	}
}

func TestLossRecoveredByFEC(t *testing.T) {
	s := newSim(t, Config{})
	s.run(stream(300, 0, fixed(10*time.Millisecond), func(i int) bool { return i == 100 }), 6*time.Second, 0)
	if s.dec.count("fec99") != 0 || s.dec.count("fec100") != 1 {
		t.Fatalf("calls %v: want frame 100 recovered by FEC from 101", s.dec.calls)
	}
	st := s.b.Stats()
	if st.FECSamples != 960 || st.ConcealedSamples != 0 || st.PacketsLost != 1 {
		t.Fatalf("stats %+v: want one FEC frame, nothing concealed, one lost", st)
	}
}

func TestTwoLostFramesConcealThenFEC(t *testing.T) {
	s := newSim(t, Config{})
	s.run(stream(300, 0, fixed(10*time.Millisecond), func(i int) bool { return i == 100 || i == 101 }), 6*time.Second, 0)
	// Frame 100 is concealed (waiting for it first, as nothing later is
	// there yet at a 45 ms depth), frame 101 comes from 102's FEC.
	if s.dec.count("plc") < 1 || s.dec.count("fec101") != 1 || s.dec.count("d100") != 0 || s.dec.count("d101") != 0 {
		t.Fatalf("calls %v: want PLC for 100, FEC from 102 for 101", s.dec.calls[95:110])
	}
	if st := s.b.Stats(); st.ConcealmentEvents != 1 || st.FECSamples != 960 {
		t.Fatalf("stats %+v", st)
	}
}

// TestLongLossFadesAndResyncs: half a second of loss is concealed for
// ConcealLimit, then silence, then playout resumes with the next packets.
func TestLongLossFadesAndResyncs(t *testing.T) {
	s := newSim(t, Config{})
	lost := func(i int) bool { return i >= 100 && i < 125 }
	s.run(stream(300, 0, fixed(10*time.Millisecond), lost), 6*time.Second, 0)
	st := s.b.Stats()
	if st.SilentConcealedSamples == 0 {
		t.Fatalf("no silence after 500 ms of loss: %+v", st)
	}
	if plc := s.dec.count("plc"); plc < 9 || plc > 11 {
		t.Fatalf("%d PLC frames, want 10 (200 ms) before the fade", plc)
	}
	got := s.decoded()
	if got[len(got)-1] < 290 {
		t.Fatalf("playout did not resume: last frame %d", got[len(got)-1])
	}
	for _, idx := range got {
		if idx >= 100 && idx < 125 {
			t.Fatalf("decoded lost frame %d", idx)
		}
	}
	if s.countOps(OpMerge) < 2 { // at start and after the gap
		t.Fatalf("no merge into the audio after the gap")
	}
}

func TestLateAndDuplicatePackets(t *testing.T) {
	s := newSim(t, Config{})
	tr := stream(300, 0, func(i int) time.Duration {
		if i == 50 {
			return 500 * time.Millisecond
		}
		return 10 * time.Millisecond
	}, nil)
	dup := tr[60]
	dup.at += 5 * time.Millisecond
	tr = append(tr, dup)
	s.run(tr, 6*time.Second, 0)
	st := s.b.Stats()
	if st.PacketsDuplicated != 1 {
		t.Fatalf("duplicates %d, want 1", st.PacketsDuplicated)
	}
	if st.PacketsDiscarded < 1 {
		t.Fatalf("late packet not discarded: %+v", st)
	}
	if s.dec.count("fec50") != 1 {
		t.Fatalf("late frame 50 not recovered by FEC from 51: %v", s.dec.calls[40:60])
	}
	if n := s.dec.count("d60"); n != 1 {
		t.Fatalf("frame 60 decoded %d times", n)
	}
}

func TestReorderingWithinTargetCostsNothing(t *testing.T) {
	s := newSim(t, Config{})
	// Every pair arrives swapped: the odd packet 15 ms early.
	s.run(stream(500, 0, func(i int) time.Duration {
		if i%2 == 1 {
			return 5 * time.Millisecond
		}
		return 25 * time.Millisecond
	}, nil), 10*time.Second, 0)
	st := s.b.Stats()
	if st.ConcealedSamples != 0 || st.FECSamples != 0 || st.PacketsDiscarded != 0 {
		t.Fatalf("reordering cost audio: %+v", st)
	}
	for i, idx := range s.decoded() {
		if idx != i {
			t.Fatalf("decode %d was frame %d", i, idx)
		}
	}
}

// TestTargetFollowsJitter: the target rises with jitter and sinks back when
// the link calms down; it never passes MaxDelay.
func TestTargetFollowsJitter(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	jittery := func(max time.Duration) func(int) time.Duration {
		return func(int) time.Duration { return 20*time.Millisecond + time.Duration(r.Int64N(int64(max))) }
	}
	s := newSim(t, Config{})
	tr := stream(1500, 0, jittery(60*time.Millisecond), nil) // 30 s
	s.run(tr, 30*time.Second, 0)
	high := s.b.Stats().TargetDelay
	t.Logf("0-60 ms jitter: %s", summary(s.b.Stats()))
	if high < 80*time.Millisecond || high > 130*time.Millisecond {
		t.Fatalf("target %v with 0-60 ms jitter, want about 60 ms + 2 frames", high)
	}
	concealed := float64(s.b.Stats().ConcealedSamples) / float64(s.b.Stats().TotalSamplesReceived)
	if concealed > 0.02 {
		t.Fatalf("%.1f%% concealed under 60 ms jitter", concealed*100)
	}
	calm := stream(4500, 1500*960, fixed(20*time.Millisecond), nil) // 90 s more
	for i := range calm {
		calm[i].seq += 1500
		calm[i].payload = payload(uint32(1500+i), 20*time.Millisecond)
	}
	s.run(calm, 90*time.Second, 0)
	if low := s.b.Stats().TargetDelay; low > 60*time.Millisecond {
		t.Fatalf("target %v after 90 s of calm, want back near 40 ms (was %v)", low, high)
	}

	s = newSim(t, Config{MaxDelay: 150 * time.Millisecond})
	s.run(stream(1000, 0, jittery(400*time.Millisecond), nil), 20*time.Second, 0)
	if got := s.b.Stats().TargetDelay; got != 150*time.Millisecond {
		t.Fatalf("target %v under 0-400 ms jitter, want capped at 150 ms", got)
	}
}

// TestStallBurstDrainsToTarget: the link freezes for 400 ms then delivers
// everything at once (an LTE handover); the buffer must not keep the extra
// delay: it drops what is beyond MaxDelay and accelerates the rest away.
func TestStallBurstDrainsToTarget(t *testing.T) {
	s := newSim(t, Config{})
	s.run(stream(500, 0, func(i int) time.Duration {
		if i >= 200 && i < 220 { // sent during the stall: delivered at its end
			return time.Duration(220-i)*20*time.Millisecond + 10*time.Millisecond
		}
		return 10 * time.Millisecond
	}, nil), 10*time.Second, 0)
	t.Logf("400 ms stall: %s; ops: %d skip, %d accelerate", summary(s.b.Stats()), s.countOps(OpSkip), s.countOps(OpAccelerate))
	max := time.Duration(0)
	for _, l := range s.lvl[220:] {
		max = maxDur(max, l)
	}
	if max > 150*time.Millisecond+40*time.Millisecond {
		t.Fatalf("depth reached %v after the burst, want at most MaxDelay plus two frames", max)
	}
	if end := s.lvl[len(s.lvl)-1]; end > 100*time.Millisecond {
		t.Fatalf("depth %v 5 s after the burst, not drained", end)
	}
	if s.countOps(OpSkip|OpAccelerate) == 0 {
		t.Fatal("neither skipped nor accelerated after the burst")
	}
}

func summary(st Stats) string {
	return fmt.Sprintf("target %v, mean buffer delay %v, %.2f%% concealed, %d FEC samples, %d removed, %d inserted, %d discarded",
		st.TargetDelay, st.MeanDelay().Round(time.Millisecond), 100*float64(st.ConcealedSamples)/float64(max(st.TotalSamplesReceived, 1)),
		st.FECSamples, st.RemovedSamplesForAcceleration, st.InsertedSamplesForDeceleration, st.PacketsDiscarded)
}

func maxDur(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

func TestTimestampJumps(t *testing.T) {
	s := newSim(t, Config{})
	tr := stream(400, 5000, fixed(10*time.Millisecond), nil)
	tr[100].ts += 1 << 30 // one hostile packet far ahead
	for i := 250; i < 400; i++ {
		tr[i].ts += 1 << 31 // the sender restarts its timeline
	}
	s.run(tr, 8*time.Second, 0)
	st := s.b.Stats()
	if st.Resyncs != 1 {
		t.Fatalf("%d resyncs, want 1 (the restart, not the lone packet)", st.Resyncs)
	}
	got := s.decoded()
	if got[len(got)-1] < 390 {
		t.Fatalf("playout stopped at frame %d after the restart", got[len(got)-1])
	}
	if s.dec.count("d100") != 0 {
		t.Fatal("played the hostile packet")
	}
}

func TestTimestampWrap(t *testing.T) {
	s := newSim(t, Config{})
	tr := stream(300, 1<<32-960*100, fixed(10*time.Millisecond), nil)
	for i := range tr {
		tr[i].seq = uint16(65536 - 150 + i)
	}
	s.run(tr, 6*time.Second, 0)
	st := s.b.Stats()
	if st.ConcealedSamples != 0 || st.Resyncs != 0 || st.PacketsLost != 0 {
		t.Fatalf("wrap of timestamp and sequence number: %+v", st)
	}
}

// TestFrameDurationsFromTOC: 40 ms packets are played as 40 ms, pulled in
// 20 ms frames, with nothing concealed.
func TestFrameDurationsFromTOC(t *testing.T) {
	for _, d := range []time.Duration{10, 40, 60} {
		s := newSim(t, Config{})
		var tr []arrival
		for i := range int(4000 / d) {
			tr = append(tr, arrival{
				at:      time.Duration(i)*d*time.Millisecond + 5*time.Millisecond,
				seq:     uint16(i),
				ts:      uint32(i) * uint32(d) * 48,
				payload: payload(uint32(i), d*time.Millisecond),
			})
		}
		s.run(tr, 4*time.Second, 0)
		st := s.b.Stats()
		if st.ConcealedSamples != 0 {
			t.Fatalf("%d ms packets: %d samples concealed", d, st.ConcealedSamples)
		}
		if n := len(s.decoded()); n < int(3600/d) {
			t.Fatalf("%d ms packets: decoded %d", d, n)
		}
	}
}

func TestDecodeErrorIsConcealed(t *testing.T) {
	s := newSim(t, Config{})
	s.dec.fail = map[uint32]bool{70: true}
	s.run(stream(200, 0, fixed(10*time.Millisecond), nil), 4*time.Second, 0)
	if st := s.b.Stats(); st.DecodeErrors != 1 || st.ConcealedSamples != 960 {
		t.Fatalf("stats %+v: want one decode error concealed", st)
	}
}

func TestPushRefusesGarbage(t *testing.T) {
	s := newSim(t, Config{})
	for _, p := range [][]byte{nil, {}, {9<<3 | 3}, make([]byte, 2000)} {
		if err := s.b.Push(1, 1, epoch, p); !errors.Is(err, ErrPayload) {
			t.Errorf("Push(%x) = %v, want ErrPayload", p, err)
		}
	}
	if st := s.b.Stats(); st.PacketsDiscarded != 4 || st.PacketsReceived != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPullAnyPeriod(t *testing.T) {
	s := newSim(t, Config{})
	for i, a := range stream(20, 0, fixed(0), nil) {
		s.b.Push(a.seq, a.ts, epoch, a.payload)
		_ = i
	}
	pcm := make([]int16, 480) // a 10 ms sound card period
	total := 0
	for range 60 {
		if _, err := s.b.Pull(pcm); err != nil {
			t.Fatal(err)
		}
		total += len(pcm)
	}
	if st := s.b.Stats(); st.TotalSamplesReceived+st.SilentConcealedSamples == 0 || total != 60*480 {
		t.Fatalf("pulled %d samples: %+v", total, st)
	}
	if _, err := s.b.Pull(nil); err == nil {
		t.Fatal("Pull(nil) succeeded")
	}
}

func TestUnwrap(t *testing.T) {
	u := unwrapper{bits: 16}
	var got []int64
	for _, v := range []uint32{65534, 65535, 0, 1, 65535, 2} {
		x := u.peek(v)
		u.advance(x)
		got = append(got, x)
	}
	want := []int64{65534, 65535, 65536, 65537, 65535, 65538}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("unwrap = %v, want %v", got, want)
		}
	}
}
