// Package codec is the voice codec behind a narrow interface: Opus (RFC 6716)
// in pure Go, configured for calls (CBR without DTX, so packet sizes leak
// nothing; in-band FEC; 20 ms frames; 48 kHz API rate capped to wideband).
//
// The implementation is github.com/thesyncim/gopus v0.1.2. It is young, so
// nothing outside this package names it: the jitter buffer and the call use
// the Encoder and Decoder interfaces, and a differential test against libopus
// (build tag opusref) keeps it honest. docs/voice.md records the decision.
package codec

import (
	"errors"
	"fmt"
	"time"
)

// RTPClockRate is the RTP timestamp rate of Opus whatever the audio rate
// (RFC 7587 §4.1): a 20 ms packet advances the timestamp by 960.
const RTPClockRate = 48000

// MaxPacket is the largest Opus packet the call produces or accepts: one
// frame's worth of the RFC 6716 §3.2.1 limit of 1275 bytes per frame, far
// above a 20 ms CBR frame at 24 kbit/s (60 bytes).
const MaxPacket = 1275

// Encoder compresses one frame of PCM at a time.
type Encoder interface {
	// Encode compresses exactly one frame (FrameSamples()*channels values)
	// into out and returns the packet length.
	Encode(pcm []int16, out []byte) (int, error)
	// SetBitrate sets the target in bits per second.
	SetBitrate(bps int) error
	// SetPacketLoss tells the encoder the expected loss in percent (from
	// RTCP), which sizes the in-band FEC.
	SetPacketLoss(percent int) error
	// FrameSamples is the number of samples per channel in one frame.
	FrameSamples() int
}

// Decoder expands packets to PCM. A Decoder carries state from packet to
// packet, so one Decoder serves one stream.
type Decoder interface {
	// Decode expands pkt into pcm and returns the samples per channel. A nil
	// pkt asks for loss concealment of len(pcm)/channels samples, which must
	// be a multiple of 2.5 ms.
	Decode(pkt []byte, pcm []int16) (int, error)
	// DecodeFEC recovers the frame lost just before next from the redundancy
	// carried in next (Opus LBRR, RFC 6716 §4.2.4), or conceals it when next
	// carries none. len(pcm)/channels is the duration of the lost frame.
	DecodeFEC(next []byte, pcm []int16) (int, error)
}

// Bandwidth is the audio bandwidth the encoder may use (RFC 6716 §2).
type Bandwidth int

// Bandwidths from narrowband (4 kHz audio) to fullband (20 kHz).
const (
	Narrowband Bandwidth = iota + 1
	Mediumband
	Wideband
	Superwideband
	Fullband
)

// Config is the encoder operating point.
type Config struct {
	SampleRate   int           // PCM rate: 8000, 12000, 16000, 24000 or 48000
	Channels     int           // 1 or 2
	Frame        time.Duration // 10, 20, 40 or 60 ms
	Bitrate      int           // bits per second, constant
	Complexity   int           // 0-10
	MaxBandwidth Bandwidth     // cap on the coded audio bandwidth
	FEC          bool          // in-band forward error correction
	PacketLoss   int           // expected loss in percent, sizes the FEC
}

// Call is the operating point of a secure call, measured in docs/voice.md:
// 48 kHz mono in 20 ms frames, 24 kbit/s CBR capped to wideband, complexity 5,
// FEC on and sized for 10 % loss until RTCP reports the real figure.
var Call = Config{
	SampleRate:   48000,
	Channels:     1,
	Frame:        20 * time.Millisecond,
	Bitrate:      24000,
	Complexity:   5,
	MaxBandwidth: Wideband,
	FEC:          true,
	PacketLoss:   10,
}

// FrameSamples is the number of samples per channel in one frame of c.
func (c Config) FrameSamples() int {
	return int(int64(c.SampleRate) * int64(c.Frame) / int64(time.Second))
}

// Validate reports whether c is an operating point Opus supports.
func (c Config) Validate() error {
	switch c.SampleRate {
	case 8000, 12000, 16000, 24000, 48000:
	default:
		return fmt.Errorf("codec: sample rate %d Hz not supported by Opus", c.SampleRate)
	}
	switch c.Frame {
	case 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond, 60 * time.Millisecond:
	default:
		return fmt.Errorf("codec: frame of %v not supported", c.Frame)
	}
	switch {
	case c.Channels != 1 && c.Channels != 2:
		return fmt.Errorf("codec: %d channels", c.Channels)
	case c.Bitrate < 6000 || c.Bitrate > 510000:
		return fmt.Errorf("codec: bitrate %d out of 6-510 kbit/s", c.Bitrate)
	case c.Complexity < 0 || c.Complexity > 10:
		return fmt.Errorf("codec: complexity %d out of 0-10", c.Complexity)
	case c.MaxBandwidth < Narrowband || c.MaxBandwidth > Fullband:
		return fmt.Errorf("codec: bandwidth %d", c.MaxBandwidth)
	case c.PacketLoss < 0 || c.PacketLoss > 100:
		return fmt.Errorf("codec: packet loss %d%%", c.PacketLoss)
	}
	return nil
}

// ErrPacket is returned for a packet that is not valid Opus.
var ErrPacket = errors.New("codec: invalid opus packet")
