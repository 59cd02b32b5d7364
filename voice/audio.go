package voice

import (
	"fmt"
	"log/slog"

	"mehfooz/clock"
	"mehfooz/voice/audio"
	"mehfooz/voice/codec"
	"mehfooz/voice/jitter"
	"mehfooz/voice/stream"
)

// AudioMedia is a handset's Media: it runs one call's audio pipeline
// (package stream: capture -> Opus encoder -> the call, and the call ->
// jitter buffer -> playback). The capture device paces what is sent and the
// playback device pulls what is played, so each side's sound card is the
// only clock its audio follows.
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
	// Clock stamps playout (clock.Real if nil).
	Clock clock.Clock
	// Log, if set, receives playout problems.
	Log *slog.Logger
}

// Open implements Media.
func (m *AudioMedia) Open(info CallInfo) (Stream, error) {
	cfg := m.Codec
	if cfg.SampleRate == 0 {
		cfg = codec.Call
	}
	src, sink, err := m.Devices(info)
	if err != nil {
		return nil, fmt.Errorf("voice: audio devices: %w", err)
	}
	s, err := stream.Open(stream.Config{Source: src, Sink: sink, Codec: cfg, Jitter: m.Jitter, Clock: m.Clock, Log: m.Log})
	if err != nil {
		src.Close()
		sink.Close()
		return nil, fmt.Errorf("voice: audio: %w", err)
	}
	return audioStream{s}, nil
}

// audioStream adapts a stream.Stream to the call's Stream; the call's stats
// loop finds SetPacketLoss on it and feeds the peer's reported loss to the
// encoder's FEC.
type audioStream struct{ *stream.Stream }

// WriteFrame hands a received frame to the jitter buffer.
func (s audioStream) WriteFrame(f Frame) { s.Push(f.Seq, f.Timestamp, f.Arrival, f.Payload) }
