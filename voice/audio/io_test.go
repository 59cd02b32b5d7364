package audio

import (
	"bytes"
	"errors"
	"io"
	"math"
	"testing"
	"time"

	"mehfooz/clock"
)

func TestRawRoundTripPadsLastFrame(t *testing.T) {
	f := Format{Rate: 8000, Channels: 1, FrameSamples: 4}
	var buf bytes.Buffer
	sink, err := NewRawSink(&buf, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.WriteFrame([]int16{1, -2, 300, -32768}); err != nil {
		t.Fatal(err)
	}
	buf.Write([]byte{7, 0, 9}) // one and a half more samples
	src, err := NewRawSource(&buf, f)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, 4)
	if err := src.ReadFrame(frame); err != nil || !equalPCM(frame, []int16{1, -2, 300, -32768}) {
		t.Fatalf("first frame %v, %v", frame, err)
	}
	if err := src.ReadFrame(frame); err != nil || !equalPCM(frame, []int16{7, 0, 0, 0}) {
		t.Fatalf("partial frame %v, %v: want the whole sample then silence", frame, err)
	}
	if err := src.ReadFrame(frame); err != io.EOF {
		t.Fatalf("after the end: %v, want io.EOF", err)
	}
}

func TestNullDevice(t *testing.T) {
	n := &Null{F: Voice}
	frame := make([]int16, Voice.FrameLen())
	frame[3] = 5
	if err := n.ReadFrame(frame); err != nil || frame[3] != 0 {
		t.Fatalf("null source gave %d, %v; want silence", frame[3], err)
	}
	if err := n.WriteFrame(frame); err != nil {
		t.Fatal(err)
	}
	if err := n.WriteFrame(frame[:5]); !errors.Is(err, ErrFrameSize) {
		t.Fatalf("short write = %v, want ErrFrameSize", err)
	}
	n.Close()
	if err := n.WriteFrame(frame); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close = %v", err)
	}
}

func TestToneFrequencyAndLevel(t *testing.T) {
	tone, err := NewTone(Voice, 1000, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	var all []int16
	frame := make([]int16, Voice.FrameLen())
	for range 50 { // one second
		if err := tone.ReadFrame(frame); err != nil {
			t.Fatal(err)
		}
		all = append(all, frame...)
	}
	crossings := 0
	for i := 1; i < len(all); i++ {
		if (all[i-1] < 0) != (all[i] < 0) {
			crossings++
		}
	}
	if crossings < 1998 || crossings > 2002 {
		t.Fatalf("%d zero crossings in 1 s, want 2000 for 1 kHz", crossings)
	}
	var s float64
	for _, v := range all {
		s += float64(v) * float64(v)
	}
	rms := math.Sqrt(s/float64(len(all))) / 32767
	if math.Abs(rms-0.5/math.Sqrt2) > 0.002 {
		t.Fatalf("rms %.4f, want %.4f", rms, 0.5/math.Sqrt2)
	}
}

var epoch = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// TestPacedSourceKeepsAbsoluteSchedule reads frames on a fake clock that a
// test advances in coarse, uneven steps: the frames still come out on the
// schedule start + n periods, never drifting by the lateness of a wake-up.
func TestPacedSourceKeepsAbsoluteSchedule(t *testing.T) {
	checkGoroutines(t)
	for _, ppm := range []float64{0, 200, -200} {
		clk := clock.NewFake(epoch)
		src := PaceSource(&Null{F: Voice}, clk, ppm)
		times := make(chan time.Time)
		go func() {
			defer close(times)
			frame := make([]int16, Voice.FrameLen())
			for {
				if err := src.ReadFrame(frame); err != nil {
					return
				}
				times <- clk.Now()
			}
		}()
		period := float64(20*time.Millisecond) * 1e6 / (1e6 + ppm)
		const frames = 3000 // one simulated minute
		done := make(chan struct{})
		defer close(done)
		var last time.Time
		for n := 1; n <= frames; n++ {
			// Wake late by up to 7 ms, as a loaded machine would.
			due := epoch.Add(time.Duration(float64(n) * period)).Add(time.Duration(n%8) * time.Millisecond)
			if !clk.BlockUntil(1, done) {
				t.Fatal("source never waited")
			}
			clk.Advance(due.Sub(clk.Now()))
			last = <-times
		}
		src.Close()
		for range times {
		}
		want := epoch.Add(time.Duration(frames * period)).Add(time.Duration(frames%8) * time.Millisecond)
		if !last.Equal(want) {
			t.Fatalf("ppm %v: frame %d read at %v, want %v", ppm, frames, last.Sub(epoch), want.Sub(epoch))
		}
	}
}

func TestPacedSinkRunsAtItsClock(t *testing.T) {
	checkGoroutines(t)
	clk := clock.NewFake(epoch)
	sink := PaceSink(&Null{F: Voice}, clk, -500) // a slow device
	frame := make([]int16, Voice.FrameLen())
	written := make(chan time.Time)
	go func() {
		defer close(written)
		for {
			if err := sink.WriteFrame(frame); err != nil {
				return
			}
			written <- clk.Now()
		}
	}()
	if at := <-written; !at.Equal(epoch) {
		t.Fatalf("first frame taken at %v, want at once", at.Sub(epoch))
	}
	done := make(chan struct{})
	defer close(done)
	period := float64(20*time.Millisecond) * 1e6 / (1e6 - 500)
	for n := 1; n <= 1000; n++ {
		if !clk.BlockUntil(1, done) {
			t.Fatal("sink never waited")
		}
		due := epoch.Add(time.Duration(float64(n) * period))
		clk.Advance(due.Sub(clk.Now()) + time.Duration(n%5)*time.Millisecond)
		if at := <-written; !at.Equal(clk.Now()) || at.Before(due) {
			t.Fatalf("frame %d taken at %v, before its deadline %v", n, at.Sub(epoch), due.Sub(epoch))
		}
	}
	// 1000 frames of 20 ms on a clock 500 ppm slow span 20.01 s.
	if got := clk.Now().Sub(epoch); got < 20010*time.Millisecond || got > 20015*time.Millisecond {
		t.Fatalf("1000 frames took %v, want 20.01 s", got)
	}
	sink.Close()
	for range written {
	}
}

func TestPacedCloseUnblocks(t *testing.T) {
	checkGoroutines(t)
	clk := clock.NewFake(epoch)
	src := PaceSource(&Null{F: Voice}, clk, 0)
	errc := make(chan error)
	go func() { errc <- src.ReadFrame(make([]int16, Voice.FrameLen())) }()
	done := make(chan struct{})
	defer close(done)
	clk.BlockUntil(1, done)
	src.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("blocked ReadFrame returned %v after Close, want ErrClosed", err)
	}
}
