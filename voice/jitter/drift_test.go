package jitter

import (
	"sync"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/voice/audio"
)

// TestClockDriftIsAbsorbed runs a sender whose microphone clock is fast
// against a receiver whose speaker clock is slow (and the other way round),
// for ten simulated minutes on a fake clock. The capture and playout loops
// are real goroutines paced by audio.PaceSource and audio.PaceSink; only time
// is simulated. The skew adds (or removes) 400 ppm of audio, 240 ms over ten
// minutes, which the buffer must absorb by time-stretching without letting
// its depth run away and without concealment.
func TestClockDriftIsAbsorbed(t *testing.T) {
	const minutes = 10
	for _, c := range []struct {
		name               string
		sourcePPM, sinkPPM float64
	}{
		{"sender fast, receiver slow", +200, -200},
		{"sender slow, receiver fast", -200, +200},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkGoroutines(t)
			clk := clock.NewFake(epoch)
			dec := &fakeDecoder{rate: 48000}
			b, err := New(Config{Decoder: dec, Clock: clk})
			if err != nil {
				t.Fatal(err)
			}
			src := audio.PaceSource(&audio.Null{F: audio.Voice}, clk, c.sourcePPM)
			sink := audio.PaceSink(&audio.Null{F: audio.Voice}, clk, c.sinkPPM)

			// The sink starts 7 ms after the source, so capture and playout
			// instants interleave as they do between two real devices.
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { // capture, encode, send: one packet per captured frame
				defer wg.Done()
				pcm := make([]int16, audio.Voice.FrameLen())
				for i := uint32(0); ; i++ {
					if src.ReadFrame(pcm) != nil {
						return
					}
					b.Push(uint16(i), i*960, clk.Now(), payload(i, 20*time.Millisecond))
				}
			}()
			done := make(chan struct{})
			if !clk.BlockUntil(1, done) {
				t.Fatal("source never waited")
			}
			clk.Advance(7 * time.Millisecond)
			sinkStart := clk.Now()
			var levels []time.Duration
			go func() { // playout, paced by the sink
				defer wg.Done()
				pcm := make([]int16, audio.Voice.FrameLen())
				for {
					if _, err := b.Pull(pcm); err != nil {
						t.Error(err)
						return
					}
					levels = append(levels, b.Stats().Level)
					if sink.WriteFrame(pcm) != nil {
						return
					}
				}
			}()

			// Step the clock from deadline to deadline: the pacers' schedules
			// are start + k periods of their skewed clocks.
			period := func(ppm float64) float64 { return float64(20*time.Millisecond) * 1e6 / (1e6 + ppm) }
			deadline := func(start time.Time, k int, ppm float64) time.Time {
				return start.Add(time.Duration(float64(k) * period(ppm)))
			}
			ks, kk := 1, 1 // next source and sink frame
			end := epoch.Add(minutes * time.Minute)
			for clk.Now().Before(end) {
				if !clk.BlockUntil(2, done) {
					t.Fatal("loops stopped waiting")
				}
				ds, dk := deadline(epoch, ks, c.sourcePPM), deadline(sinkStart, kk, c.sinkPPM)
				next := ds
				if dk.Before(next) {
					next = dk
				}
				if !ds.After(next) {
					ks++
				}
				if !dk.After(next) {
					kk++
				}
				clk.Set(next)
			}
			close(done)
			src.Close()
			sink.Close()
			wg.Wait()

			st := b.Stats()
			t.Logf("%s", summary(st))
			var hi, lo time.Duration = 0, time.Hour
			for _, l := range levels[len(levels)/10:] { // after the first minute
				hi, lo = maxDur(hi, l), min(lo, l)
			}
			t.Logf("depth after pull over minutes 1-%d: %v to %v", minutes, lo, hi)
			if hi > st.TargetDelay+40*time.Millisecond {
				t.Errorf("depth reached %v, target %v: drift not absorbed", hi, st.TargetDelay)
			}
			if st.ConcealedSamples != 0 {
				t.Errorf("%d samples concealed", st.ConcealedSamples)
			}
			// 400 ppm of 10 min at 48 kHz, give or take the start-up change
			// from the 60 ms start depth to the 45 ms target.
			want := 400e-6 * minutes * 60 * 48000
			got := float64(st.RemovedSamplesForAcceleration) - float64(st.InsertedSamplesForDeceleration)
			if c.sourcePPM < 0 {
				want = -want
			}
			if d := got - want; d < -1500 || d > 1500 {
				t.Errorf("net stretch %+.0f samples, want %+.0f (the drift) within 1500", got, want)
			}
		})
	}
}
