package voice

import (
	"math"
	"sync"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/voice/audio"
)

// clickSource is silence with a click every interval frames. It records
// when each click was spoken: the frame is captured at the end of its 20 ms
// period (when the paced ReadFrame returns), so its first sample was spoken
// one frame earlier.
type clickSource struct {
	every  int
	n      int
	mu     sync.Mutex
	spoken []time.Time
}

func (s *clickSource) Format() audio.Format { return audio.Voice }
func (s *clickSource) Close() error         { return nil }
func (s *clickSource) ReadFrame(p []int16) error {
	clear(p)
	if s.n%s.every == 0 {
		for i := range 480 { // 10 ms of 1 kHz, well inside the codec's wideband
			p[i] = int16(20000 * math.Sin(2*math.Pi*1000*float64(i)/float64(audio.Voice.Rate)))
		}
	}
	s.n++
	return nil
}

// stamp records when the frame just returned (number s.n-1) was spoken.
func (s *clickSource) stamp(captured time.Time) {
	if (s.n-1)%s.every == 0 {
		s.mu.Lock()
		s.spoken = append(s.spoken, captured.Add(-FrameDuration))
		s.mu.Unlock()
	}
}

// stampedSource stamps clicks as the paced source releases them.
type stampedSource struct {
	*audio.PacedSource
	clicks *clickSource
}

func (s stampedSource) ReadFrame(p []int16) error {
	err := s.PacedSource.ReadFrame(p)
	if err == nil {
		s.clicks.stamp(time.Now())
	}
	return err
}

// clickSink notes when each click is played: a frame written at t plays its
// sample i at t + i/rate.
type clickSink struct {
	mu    sync.Mutex
	heard []time.Time
	last  time.Time
}

func (s *clickSink) Format() audio.Format { return audio.Voice }
func (s *clickSink) Close() error         { return nil }
func (s *clickSink) WriteFrame(p []int16) error {
	now := time.Now()
	for i, v := range p {
		if v > 8000 || v < -8000 {
			at := now.Add(time.Duration(i) * time.Second / time.Duration(audio.Voice.Rate))
			s.mu.Lock()
			if at.Sub(s.last) > 100*time.Millisecond { // one click, not its tail
				s.heard = append(s.heard, at)
				s.last = at
			}
			s.mu.Unlock()
			break
		}
	}
	return nil
}

// BenchmarkMouthToEar measures the one-way delay of the whole handset stack
// on loopback, from a click spoken into the capture device to the click
// played by the peer's playback device: 20 ms capture framing, Opus
// lookahead, inner seal, SRTP, the relay, the jitter buffer's depth and
// playout. Each iteration is one click (every 500 ms); ns/op is therefore
// 500 ms. Device buffers of real hardware come on top.
func BenchmarkMouthToEar(b *testing.B) {
	w := newWorld(b)
	src := &clickSource{every: 25}
	sink := &clickSink{}
	alice := w.handset(b, "alice", func(c *Config) {
		c.Media = &AudioMedia{Devices: func(CallInfo) (audio.Source, audio.Sink, error) {
			return stampedSource{audio.PaceSource(src, clock.Real{}, 0), src}, &audio.Null{F: audio.Voice}, nil
		}}
	})
	bob := w.handset(b, "bob", func(c *Config) {
		c.Media = &AudioMedia{Devices: func(CallInfo) (audio.Source, audio.Sink, error) {
			return audio.PaceSource(&audio.Null{F: audio.Voice}, clock.Real{}, 0), audio.PaceSink(sink, clock.Real{}, 0), nil
		}}
	})
	connect(b, alice, bob)
	time.Sleep(time.Second) // let the jitter buffer settle on the link
	sink.mu.Lock()
	skip := len(sink.heard)
	sink.mu.Unlock()
	for b.Loop() {
		time.Sleep(500 * time.Millisecond)
	}
	b.StopTimer()
	time.Sleep(300 * time.Millisecond)
	src.mu.Lock()
	sink.mu.Lock()
	var delays []time.Duration
	for _, h := range sink.heard[skip:] {
		// the latest click spoken before it was heard
		var best time.Time
		for _, s := range src.spoken {
			if s.Before(h) && s.After(best) {
				best = s
			}
		}
		if !best.IsZero() {
			delays = append(delays, h.Sub(best))
		}
	}
	sink.mu.Unlock()
	src.mu.Unlock()
	if len(delays) == 0 {
		b.Fatal("no click was heard")
	}
	var jb time.Duration
	if st, ok := callOf(b, bob).stream.(audioStream); ok {
		jb = st.Stats().Jitter.MeanDelay()
	}
	b.ReportMetric(ms(percentile(delays, 50)), "mouth-to-ear-p50-ms")
	b.ReportMetric(ms(percentile(delays, 95)), "mouth-to-ear-p95-ms")
	b.ReportMetric(ms(jb), "jitter-buffer-mean-ms")
}
