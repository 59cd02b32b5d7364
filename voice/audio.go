package voice

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"mehfooz/voice/audio"
	"mehfooz/voice/codec"
	"mehfooz/voice/jitter"
)

// AudioMedia is a handset's Media: capture -> Opus encoder -> the call, and
// the call -> jitter buffer (decode, FEC, concealment, time-stretching) ->
// playback. The capture device paces what is sent and the playback device
// pulls what is played, so each side's sound card is the only clock its audio
// follows.
type AudioMedia struct {
	// Devices returns the capture source and the playback sink for one call,
	// both in the codec's format. Their ReadFrame and WriteFrame block at the
	// device's pace (ALSA on a handset; audio.PaceSource and audio.PaceSink
	// around files or pipes in tests and the demo). Close of either must
	// unblock a pending call, from another goroutine.
	Devices func(CallInfo) (audio.Source, audio.Sink, error)
	// Codec is the encoder's operating point; zero means codec.Call.
	Codec codec.Config
	// Jitter configures the playout buffer; its Decoder and Rate are filled in.
	Jitter jitter.Config
	// Log, if set, receives playout problems.
	Log *slog.Logger
}

// Open implements Media.
func (m *AudioMedia) Open(info CallInfo) (Stream, error) {
	cfg := m.Codec
	if cfg.SampleRate == 0 {
		cfg = codec.Call
	}
	want := audio.Format{Rate: cfg.SampleRate, Channels: cfg.Channels, FrameSamples: cfg.FrameSamples()}
	enc, err := codec.NewEncoder(cfg)
	if err != nil {
		return nil, fmt.Errorf("voice: audio: %w", err)
	}
	dec, err := codec.NewDecoder(cfg.SampleRate, cfg.Channels)
	if err != nil {
		return nil, fmt.Errorf("voice: audio: %w", err)
	}
	jc := m.Jitter
	jc.Decoder, jc.Rate = dec, cfg.SampleRate
	jb, err := jitter.New(jc)
	if err != nil {
		return nil, fmt.Errorf("voice: audio: %w", err)
	}
	src, sink, err := m.Devices(info)
	if err != nil {
		return nil, fmt.Errorf("voice: audio devices: %w", err)
	}
	if src.Format() != want || sink.Format() != want {
		src.Close()
		sink.Close()
		return nil, fmt.Errorf("voice: audio devices are %v and %v, the codec needs %v", src.Format(), sink.Format(), want)
	}
	log := m.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &audioStream{
		src: src, sink: sink, enc: enc, jb: jb, log: log,
		capture: make([]int16, want.FrameLen()), stop: make(chan struct{}), done: make(chan struct{}),
	}
	s.loss.Store(-1)
	go s.playout(want.FrameLen())
	return s, nil
}

// audioStream is one call's audio.
type audioStream struct {
	src  audio.Source
	sink audio.Sink
	enc  codec.Encoder
	jb   *jitter.Buffer
	log  *slog.Logger

	capture []int16 // owned by ReadFrame's caller, the call's send loop
	loss    atomic.Int64

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	srcOnce   sync.Once
}

// ReadFrame captures one frame and encodes it. The call's end closes the
// capture device, which unblocks a capture in progress.
func (s *audioStream) ReadFrame(ctx context.Context, buf []byte) (int, error) {
	defer context.AfterFunc(ctx, s.closeSource)()
	if err := s.src.ReadFrame(s.capture); err != nil {
		return 0, err
	}
	if loss := s.loss.Swap(-1); loss >= 0 {
		if err := s.enc.SetPacketLoss(int(loss)); err != nil {
			s.log.Debug("encoder packet loss", "err", err)
		}
	}
	return s.enc.Encode(s.capture, buf)
}

// WriteFrame hands a received frame to the jitter buffer.
func (s *audioStream) WriteFrame(f Frame) {
	if err := s.jb.Push(f.Seq, f.Timestamp, f.Arrival, f.Payload); err != nil {
		s.log.Debug("jitter buffer", "seq", f.Seq, "err", err)
	}
}

// SetPacketLoss tells the encoder the loss the peer reports, which sizes its
// in-band FEC; it takes effect with the next frame.
func (s *audioStream) SetPacketLoss(percent int) { s.loss.Store(int64(min(max(percent, 0), 100))) }

// playout pulls one frame per period of the playback device.
func (s *audioStream) playout(n int) {
	defer close(s.done)
	pcm := make([]int16, n)
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		if _, err := s.jb.Pull(pcm); err != nil {
			s.log.Warn("jitter buffer pull", "err", err)
			return
		}
		if err := s.sink.WriteFrame(pcm); err != nil {
			return // closed, or the device failed: the call goes on without sound
		}
	}
}

func (s *audioStream) closeSource() { s.srcOnce.Do(func() { s.src.Close() }) }

// Stats returns the jitter buffer's counters.
func (s *audioStream) Stats() jitter.Stats { return s.jb.Stats() }

// Close stops playout and closes both devices.
func (s *audioStream) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.closeSource()
		s.sink.Close() // unblocks a pending WriteFrame
		<-s.done
	})
	return nil
}
