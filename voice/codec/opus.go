package codec

import (
	"fmt"
	"math"

	"github.com/thesyncim/gopus"
)

// OpusEncoder is the pure-Go Opus encoder at a Config's operating point.
// It is not safe for concurrent use.
type OpusEncoder struct {
	enc   *gopus.Encoder
	cfg   Config
	frame int
}

// NewEncoder returns an Opus encoder for cfg (usually Call): VoIP
// application, constant bit rate, DTX off.
func NewEncoder(cfg Config) (*OpusEncoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	enc, err := gopus.NewEncoder(gopus.EncoderConfig{
		SampleRate:  cfg.SampleRate,
		Channels:    cfg.Channels,
		Application: gopus.ApplicationVoIP,
	})
	if err != nil {
		return nil, fmt.Errorf("codec: new encoder: %w", err)
	}
	e := &OpusEncoder{enc: enc, cfg: cfg, frame: cfg.FrameSamples()}
	// CBR and no DTX: every packet of a call has the same size, so packet
	// lengths and timing reveal nothing about speech and pauses.
	enc.SetDTX(false)
	enc.SetFEC(cfg.FEC)
	steps := []struct {
		what string
		err  error
	}{
		{"bitrate mode", enc.SetBitrateMode(gopus.BitrateModeCBR)},
		{"bitrate", enc.SetBitrate(cfg.Bitrate)},
		{"complexity", enc.SetComplexity(cfg.Complexity)},
		{"max bandwidth", enc.SetMaxBandwidth(gopusBandwidth(cfg.MaxBandwidth))},
		{"packet loss", enc.SetPacketLoss(cfg.PacketLoss)},
		{"frame size", enc.SetFrameSize(e.frame)},
	}
	for _, s := range steps {
		if s.err != nil {
			return nil, fmt.Errorf("codec: new encoder: %s: %w", s.what, s.err)
		}
	}
	return e, nil
}

func gopusBandwidth(b Bandwidth) gopus.Bandwidth {
	switch b {
	case Narrowband:
		return gopus.BandwidthNarrowband
	case Mediumband:
		return gopus.BandwidthMediumband
	case Wideband:
		return gopus.BandwidthWideband
	case Superwideband:
		return gopus.BandwidthSuperwideband
	default:
		return gopus.BandwidthFullband
	}
}

// Encode implements Encoder.
func (e *OpusEncoder) Encode(pcm []int16, out []byte) (int, error) {
	if want := e.frame * e.cfg.Channels; len(pcm) != want {
		return 0, fmt.Errorf("codec: encode: %d samples, want %d", len(pcm), want)
	}
	n, err := e.enc.EncodeInt16(pcm, out)
	if err != nil {
		return 0, fmt.Errorf("codec: encode: %w", err)
	}
	return n, nil
}

// SetBitrate implements Encoder.
func (e *OpusEncoder) SetBitrate(bps int) error {
	if err := e.enc.SetBitrate(bps); err != nil {
		return fmt.Errorf("codec: set bitrate %d: %w", bps, err)
	}
	e.cfg.Bitrate = bps
	return nil
}

// SetPacketLoss implements Encoder.
func (e *OpusEncoder) SetPacketLoss(percent int) error {
	if err := e.enc.SetPacketLoss(percent); err != nil {
		return fmt.Errorf("codec: set packet loss %d%%: %w", percent, err)
	}
	e.cfg.PacketLoss = percent
	return nil
}

// PacketLoss is the expected loss the encoder currently sizes its FEC for.
func (e *OpusEncoder) PacketLoss() int { return e.cfg.PacketLoss }

// FrameSamples implements Encoder.
func (e *OpusEncoder) FrameSamples() int { return e.frame }

// Lookahead is the encoder's algorithmic delay beyond the frame, in samples
// (6.5 ms for the VoIP application: 312 samples at 48 kHz).
func (e *OpusEncoder) Lookahead() int { return e.enc.Lookahead() }

// OpusDecoder is the pure-Go Opus decoder. It is not safe for concurrent use.
type OpusDecoder struct {
	dec      *gopus.Decoder
	rate, ch int
	f32      []float32 // FEC output before conversion to int16
}

// NewDecoder returns an Opus decoder producing PCM at rate with channels.
func NewDecoder(rate, channels int) (*OpusDecoder, error) {
	dec, err := gopus.NewDecoder(gopus.DefaultDecoderConfig(rate, channels))
	if err != nil {
		return nil, fmt.Errorf("codec: new decoder: %w", err)
	}
	return &OpusDecoder{dec: dec, rate: rate, ch: channels, f32: make([]float32, 5760*channels)}, nil
}

// Decode implements Decoder.
func (d *OpusDecoder) Decode(pkt []byte, pcm []int16) (int, error) {
	if len(pkt) == 0 {
		n, err := d.dec.DecodeInt16(nil, pcm)
		if err != nil {
			return 0, fmt.Errorf("codec: conceal %d samples: %w", len(pcm)/d.ch, err)
		}
		return n, nil
	}
	if len(pkt) > MaxPacket {
		return 0, fmt.Errorf("%w: %d bytes", ErrPacket, len(pkt))
	}
	samples, err := PacketSamples(pkt, d.rate)
	if err != nil {
		return 0, err
	}
	if samples*d.ch > len(pcm) {
		return 0, fmt.Errorf("codec: decode: packet of %d samples, buffer holds %d", samples, len(pcm)/d.ch)
	}
	n, err := d.dec.DecodeInt16(pkt, pcm)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrPacket, err)
	}
	return n, nil
}

// DecodeFEC implements Decoder.
func (d *OpusDecoder) DecodeFEC(next []byte, pcm []int16) (int, error) {
	if len(next) > MaxPacket {
		return 0, fmt.Errorf("%w: %d bytes", ErrPacket, len(next))
	}
	if len(next) > 0 {
		if _, err := PacketSamples(next, d.rate); err != nil {
			return 0, err
		}
	}
	if len(pcm) > len(d.f32) {
		return 0, fmt.Errorf("codec: fec: %d samples exceed 120 ms", len(pcm)/d.ch)
	}
	f := d.f32[:len(pcm)]
	n, err := d.dec.DecodeWithFEC(next, f, true)
	if err != nil {
		return 0, fmt.Errorf("%w: fec: %w", ErrPacket, err)
	}
	for i, v := range f[:n*d.ch] {
		pcm[i] = int16(max(min(math.Round(float64(v)*32768), 32767), -32768))
	}
	return n, nil
}

// HasFEC reports whether pkt carries in-band FEC (LBRR) data for the frame
// before it.
func HasFEC(pkt []byte) bool { return gopus.PacketHasLBRR(pkt) }
