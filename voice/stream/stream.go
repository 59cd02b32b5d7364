// Package stream is one call's audio on this phone, end to end: it captures
// frames from an audio.Source and encodes them for the call to send, and it
// plays what the call receives through a jitter buffer into an audio.Sink,
// at the sink's own pace. It is what the call's Media opens: the send loop
// calls ReadFrame, the receive loop calls Push, and nothing else runs on a
// timer.
package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"mehfooz/clock"
	"mehfooz/voice/audio"
	"mehfooz/voice/codec"
	"mehfooz/voice/jitter"
)

// Config wires a Stream.
type Config struct {
	// Source captures the local speaker: a sound card, or a file paced by
	// audio.PaceSource. Its format must match Codec (48 kHz mono 20 ms), and
	// its Close must unblock a pending ReadFrame.
	Source audio.Source
	// Sink plays the remote speaker: a sound card, or a file paced by
	// audio.PaceSink. Its clock drives playout, so its WriteFrame must block
	// at the device's rate, and its Close must unblock a pending WriteFrame
	// (alsa.PCM and audio.PacedSink do both).
	Sink audio.Sink
	// Codec is the encoder's operating point (codec.Call).
	Codec codec.Config
	// Jitter configures the jitter buffer; Decoder, Rate and Clock are set
	// by Open.
	Jitter jitter.Config
	Clock  clock.Clock
	Log    *slog.Logger
}

// Stream is a running call audio pipeline. ReadFrame and Push may run on
// different goroutines; Open starts the playout goroutine and Close stops it.
type Stream struct {
	src    audio.Source
	sink   audio.Sink
	buf    *jitter.Buffer
	log    *slog.Logger
	frames int

	pcm   []int16 // capture frame, used by ReadFrame only
	encMu sync.Mutex
	enc   *codec.OpusEncoder

	mu       sync.Mutex
	captured uint64
	played   uint64
	sinkErr  error
	closed   bool

	wg sync.WaitGroup
}

// Stats are the pipeline's counters and its jitter buffer's.
type Stats struct {
	Captured uint64 // frames read from the source and encoded
	Played   uint64 // frames written to the sink
	Jitter   jitter.Stats
	SinkErr  error // why playout stopped, if it did
}

// Open builds the encoder, decoder and jitter buffer and starts playout:
// silence until the first packets have built the jitter buffer's depth.
func Open(cfg Config) (*Stream, error) {
	if cfg.Source == nil || cfg.Sink == nil {
		return nil, errors.New("stream: source and sink are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	c := cfg.Codec
	want := audio.Format{Rate: c.SampleRate, Channels: c.Channels, FrameSamples: c.FrameSamples()}
	if got := cfg.Source.Format(); got != want {
		return nil, fmt.Errorf("stream: source is %v, the codec takes %v", got, want)
	}
	if got := cfg.Sink.Format(); got.Rate != c.SampleRate || got.Channels != 1 {
		return nil, fmt.Errorf("stream: sink is %v, want mono at %d Hz", got, c.SampleRate)
	}
	enc, err := codec.NewEncoder(c)
	if err != nil {
		return nil, err
	}
	dec, err := codec.NewDecoder(c.SampleRate, 1)
	if err != nil {
		return nil, err
	}
	jc := cfg.Jitter
	jc.Decoder, jc.Rate, jc.Clock = dec, c.SampleRate, cfg.Clock
	buf, err := jitter.New(jc)
	if err != nil {
		return nil, err
	}
	s := &Stream{
		src:    cfg.Source,
		sink:   cfg.Sink,
		buf:    buf,
		log:    cfg.Log,
		enc:    enc,
		frames: cfg.Sink.Format().FrameLen(),
		pcm:    make([]int16, want.FrameLen()),
	}
	s.wg.Add(1)
	go s.playout()
	return s, nil
}

// playout pulls one sink frame at a time; the sink blocks until its device
// wants the frame, so the loop runs at the sink's clock.
func (s *Stream) playout() {
	defer s.wg.Done()
	pcm := make([]int16, s.frames)
	for {
		if _, err := s.buf.Pull(pcm); err != nil {
			s.stop(err)
			return
		}
		if err := s.sink.WriteFrame(pcm); err != nil {
			s.stop(err)
			return
		}
		s.mu.Lock()
		s.played++
		s.mu.Unlock()
	}
}

func (s *Stream) stop(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed && s.sinkErr == nil {
		s.log.Warn("playout stopped", "err", err)
	}
	if s.sinkErr == nil {
		s.sinkErr = err
	}
}

// ReadFrame captures the next frame (blocking at the source's pace),
// encodes it into buf and returns the packet length. When ctx ends it
// closes the source, which unblocks the read, and returns ctx's error.
func (s *Stream) ReadFrame(ctx context.Context, buf []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	stop := context.AfterFunc(ctx, func() { s.src.Close() })
	err := s.src.ReadFrame(s.pcm)
	stop()
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("stream: capture: %w", err)
	}
	s.encMu.Lock()
	n, err := s.enc.Encode(s.pcm, buf)
	s.encMu.Unlock()
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.captured++
	s.mu.Unlock()
	return n, nil
}

// Push hands over one received Opus frame (already opened by the call's
// inner layer). It never blocks on audio and keeps no reference to payload.
func (s *Stream) Push(seq uint16, ts uint32, arrival time.Time, payload []byte) {
	if err := s.buf.Push(seq, ts, arrival, payload); err != nil {
		s.log.Debug("jitter buffer refused a frame", "seq", seq, "err", err)
	}
}

// SetPacketLoss tells the encoder the loss the peer reports (RTCP fraction
// lost, in whole percent), which sizes its in-band FEC through
// codec.PacketLossSetting. The call's stats loop finds it by this signature.
func (s *Stream) SetPacketLoss(percent int) {
	s.encMu.Lock()
	defer s.encMu.Unlock()
	if err := s.enc.SetPacketLoss(codec.PacketLossSetting(float64(percent))); err != nil {
		s.log.Debug("encoder packet loss", "err", err)
	}
}

// Stats returns the counters so far.
func (s *Stream) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Captured: s.captured, Played: s.played, Jitter: s.buf.Stats(), SinkErr: s.sinkErr}
}

// Close stops playout and capture and closes the sink and the source.
func (s *Stream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	serr := s.sink.Close() // unblocks a WriteFrame waiting for the device
	s.wg.Wait()
	cerr := s.src.Close()
	return errors.Join(serr, cerr)
}
