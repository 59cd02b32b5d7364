package audio

import (
	"hash/fnv"
	"math"
)

// Null is the null device: as a Sink it discards frames, as a Source it
// yields silence forever. It is what a handset without a sound card, or a
// test that only needs the network path, plays into.
type Null struct {
	F      Format
	closed bool
}

// Format implements Source and Sink.
func (n *Null) Format() Format { return n.F }

// ReadFrame implements Source.
func (n *Null) ReadFrame(pcm []int16) error {
	if n.closed {
		return ErrClosed
	}
	if err := checkFrame(n.F, pcm); err != nil {
		return err
	}
	clear(pcm)
	return nil
}

// WriteFrame implements Sink.
func (n *Null) WriteFrame(pcm []int16) error {
	if n.closed {
		return ErrClosed
	}
	return checkFrame(n.F, pcm)
}

// Close implements Source and Sink.
func (n *Null) Close() error { n.closed = true; return nil }

// Tone is a Source of an endless sine wave, the same on every channel.
type Tone struct {
	format    Format
	step      float64 // phase advance per sample, radians
	amplitude float64
	phase     float64
	closed    bool
}

// NewTone returns a Source of a sine at hz with the given peak amplitude
// (1 = full scale).
func NewTone(f Format, hz, amplitude float64) (*Tone, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &Tone{format: f, step: 2 * math.Pi * hz / float64(f.Rate), amplitude: min(max(amplitude, 0), 1)}, nil
}

// Format implements Source.
func (t *Tone) Format() Format { return t.format }

// ReadFrame implements Source.
func (t *Tone) ReadFrame(pcm []int16) error {
	if t.closed {
		return ErrClosed
	}
	if err := checkFrame(t.format, pcm); err != nil {
		return err
	}
	ch := t.format.Channels
	for i := 0; i < len(pcm); i += ch {
		v := int16(math.Round(32767 * t.amplitude * math.Sin(t.phase)))
		for c := range ch {
			pcm[i+c] = v
		}
		t.phase += t.step
		if t.phase > 2*math.Pi {
			t.phase -= 2 * math.Pi
		}
	}
	return nil
}

// Close implements Source.
func (t *Tone) Close() error { t.closed = true; return nil }

// DeviceToneHz is the pitch of the test tone a handset without a
// microphone sends in a call (the QEMU board): 330 to 720 Hz in 10 Hz steps
// by an FNV-1a hash of its device ID, so a test that hears a tone can tell
// whose it is.
func DeviceToneHz(deviceID string) float64 {
	h := fnv.New32a()
	h.Write([]byte(deviceID))
	return float64(330 + 10*(h.Sum32()%40))
}
