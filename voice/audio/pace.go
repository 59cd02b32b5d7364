package audio

import (
	"sync"
	"time"

	"mehfooz/clock"
)

// pacer releases frame n at start + n periods of a clock running ppm parts
// per million fast (ppm > 0) or slow. Deadlines are absolute, so a late
// wake-up never accumulates into drift (chained sleeps would).
type pacer struct {
	clk    clock.Clock
	period float64 // nanoseconds per frame on the skewed clock
	start  time.Time
	n      int64
	timer  clock.Timer
	done   chan struct{}
	once   sync.Once
}

func newPacer(f Format, clk clock.Clock, ppm float64) *pacer {
	return &pacer{
		clk:    clk,
		period: float64(f.FrameDuration()) * 1e6 / (1e6 + ppm),
		done:   make(chan struct{}),
	}
}

// waitFor blocks until frame k's deadline, or returns ErrClosed.
func (p *pacer) waitFor(k int64) error {
	if p.n == 0 && p.start.IsZero() {
		p.start = p.clk.Now()
	}
	deadline := p.start.Add(time.Duration(float64(k) * p.period))
	d := deadline.Sub(p.clk.Now())
	if d <= 0 {
		select {
		case <-p.done:
			return ErrClosed
		default:
			return nil
		}
	}
	if p.timer == nil {
		p.timer = p.clk.NewTimer(d)
	} else {
		p.timer.Reset(d)
	}
	select {
	case <-p.timer.C():
		return nil
	case <-p.done:
		p.timer.Stop()
		return ErrClosed
	}
}

func (p *pacer) close() { p.once.Do(func() { close(p.done) }) }

func (p *pacer) closedErr() error {
	select {
	case <-p.done:
		return ErrClosed
	default:
		return nil
	}
}

// PacedSource releases the frames of a Source in real time on a clock, as a
// microphone would: frame n returns at start + (n+1) frame periods. A
// non-zero ppm models a capture clock that runs fast or slow, for drift tests.
type PacedSource struct {
	Source
	p  *pacer
	mu sync.Mutex // orders Close after an in-flight read of Source
}

// PaceSource paces src on clk with the given skew in parts per million.
func PaceSource(src Source, clk clock.Clock, ppm float64) *PacedSource {
	return &PacedSource{Source: src, p: newPacer(src.Format(), clk, ppm)}
}

// ReadFrame reads the next frame and returns when it has been "captured".
func (s *PacedSource) ReadFrame(pcm []int16) error {
	s.mu.Lock()
	err := s.p.closedErr()
	if err == nil {
		err = s.Source.ReadFrame(pcm)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if err := s.p.waitFor(s.p.n + 1); err != nil {
		return err
	}
	s.p.n++
	return nil
}

// Close unblocks a pending ReadFrame and closes the source. It may be called
// from another goroutine.
func (s *PacedSource) Close() error {
	s.p.close()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Source.Close()
}

// PacedSink accepts frames in real time on a clock, as a sound card does:
// frame n is taken at start + n frame periods, so a playout loop writing to it
// runs at the sink's clock. A non-zero ppm models a playback clock that runs
// fast or slow.
type PacedSink struct {
	Sink
	p  *pacer
	mu sync.Mutex // orders Close after an in-flight write to Sink
}

// PaceSink paces sink on clk with the given skew in parts per million.
func PaceSink(sink Sink, clk clock.Clock, ppm float64) *PacedSink {
	return &PacedSink{Sink: sink, p: newPacer(sink.Format(), clk, ppm)}
}

// WriteFrame blocks until the device has room for the frame, then writes it.
func (s *PacedSink) WriteFrame(pcm []int16) error {
	if err := s.p.waitFor(s.p.n); err != nil {
		return err
	}
	s.p.n++
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.p.closedErr(); err != nil {
		return err
	}
	return s.Sink.WriteFrame(pcm)
}

// Close unblocks a pending WriteFrame and closes the sink. It may be called
// from another goroutine.
func (s *PacedSink) Close() error {
	s.p.close()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Sink.Close()
}
