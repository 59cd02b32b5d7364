// Package audio moves 16-bit PCM frames in and out of the voice pipeline
// behind two small interfaces, Source and Sink: WAV files, raw pipes, a null
// device, a tone generator, and pacing by a clock with a chosen drift. The
// ALSA backend for handsets lives in audio/alsa.
//
// Every stage exchanges whole frames: a frame is Format.FrameSamples samples
// per channel, interleaved, 20 ms at 48 kHz mono (960 samples) in a call.
package audio

import (
	"errors"
	"fmt"
	"time"
)

// Format describes the frames a Source produces or a Sink consumes.
type Format struct {
	Rate         int // samples per second per channel
	Channels     int // interleaved channels
	FrameSamples int // samples per channel in one frame
}

// Voice is the call format: 48 kHz mono in 20 ms frames.
var Voice = Format{Rate: 48000, Channels: 1, FrameSamples: 960}

// FrameLen is the number of int16 values in one frame.
func (f Format) FrameLen() int { return f.FrameSamples * f.Channels }

// FrameDuration is the playing time of one frame.
func (f Format) FrameDuration() time.Duration {
	return time.Duration(f.FrameSamples) * time.Second / time.Duration(f.Rate)
}

// Validate reports whether f is usable.
func (f Format) Validate() error {
	switch {
	case f.Rate < 1000 || f.Rate > 384000:
		return fmt.Errorf("audio: rate %d Hz out of range", f.Rate)
	case f.Channels < 1 || f.Channels > 8:
		return fmt.Errorf("audio: %d channels out of range", f.Channels)
	case f.FrameSamples < 1 || f.FrameSamples > f.Rate:
		return fmt.Errorf("audio: frame of %d samples out of range", f.FrameSamples)
	}
	return nil
}

func (f Format) String() string {
	return fmt.Sprintf("%d Hz, %d ch, %v frames", f.Rate, f.Channels, f.FrameDuration())
}

// Source yields frames: from a microphone in real time, or from a file, a
// pipe or a generator as fast as asked.
type Source interface {
	Format() Format
	// ReadFrame fills pcm, which must hold exactly Format().FrameLen()
	// values. A source that ends mid-frame pads the last frame with silence;
	// after the last frame it returns io.EOF.
	ReadFrame(pcm []int16) error
	Close() error
}

// Sink consumes frames: a speaker, a file, a pipe. A device sink blocks in
// WriteFrame until it has room, so a playout loop that writes to it is paced
// by the device's clock.
type Sink interface {
	Format() Format
	// WriteFrame takes exactly Format().FrameLen() values.
	WriteFrame(pcm []int16) error
	Close() error
}

// ErrClosed is returned by a Source or Sink used after Close.
var ErrClosed = errors.New("audio: closed")

// ErrFrameSize is returned when a frame slice has the wrong length.
var ErrFrameSize = errors.New("audio: wrong frame length")

func checkFrame(f Format, pcm []int16) error {
	if len(pcm) != f.FrameLen() {
		return fmt.Errorf("%w: %d values, want %d", ErrFrameSize, len(pcm), f.FrameLen())
	}
	return nil
}
