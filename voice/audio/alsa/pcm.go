// Package alsa plays and captures 16-bit PCM through the Linux ALSA kernel
// interface directly (/dev/snd/pcmC<card>D<device>p and ...c), with the
// ioctls of include/uapi/sound/asound.h and no alsa-lib, so phoned stays a
// static CGO_ENABLED=0 binary. It opens the hardware device at its native
// rate, reads and writes interleaved S16_LE one period at a time, recovers
// from under- and overruns, and presents the call's mono frames as an
// audio.Source or audio.Sink (up- or down-mixing when the device has more
// channels, as QEMU's AC97 does). A missing card is an ordinary
// configuration: Open returns ErrNoCard and the daemon runs without audio.
// docs/voice.md records why this package exists instead of a library.
package alsa

import (
	"errors"
	"fmt"
	"io/fs"
	"math/bits"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"mehfooz/voice/audio"
)

// Stream is the direction of a PCM device.
type Stream int

// Directions.
const (
	Playback Stream = iota
	Capture
)

func (s Stream) String() string {
	if s == Capture {
		return "capture"
	}
	return "playback"
}

// Path is the device node of a card's PCM device for a direction.
func Path(card, device int, s Stream) string {
	suffix := "p"
	if s == Capture {
		suffix = "c"
	}
	return fmt.Sprintf("/dev/snd/pcmC%dD%d%s", card, device, suffix)
}

// ErrNoCard is returned by Open when the device node does not exist: the
// handset has no sound card, or its driver is not loaded.
var ErrNoCard = errors.New("alsa: no sound card")

// ErrUnsupported is returned when the device cannot run the requested format.
var ErrUnsupported = errors.New("alsa: format not supported by the device")

// Config asks for a PCM configuration.
type Config struct {
	// Format is what the caller reads or writes (audio.Voice: 48 kHz mono
	// 20 ms frames). The device runs at this rate; it may have more channels,
	// which the PCM mixes.
	Format audio.Format
	// Period is the device's transfer unit (10 ms); Periods is the buffer
	// size in periods (4 for capture, 3 for playback by default).
	Period  time.Duration
	Periods int
}

// Device is the kernel side of a PCM: ioctls on an open device node. Open
// provides one over a real file; tests provide a model of the kernel.
type Device interface {
	// Ioctl issues a request that does not wait for the hardware.
	Ioctl(req uintptr, arg unsafe.Pointer) error
	// Transfer issues a read or write request, waiting while the device
	// has no room or no data.
	Transfer(req uintptr, arg unsafe.Pointer) error
	Close() error
}

// PCM is an open, configured playback or capture stream.
type PCM struct {
	dev    Device
	stream Stream
	format audio.Format // what callers see
	hwCh   int          // channels the device runs
	period int          // frames per period
	buffer int          // frames in the device buffer
	buf    []int16      // interleaved device frames for one caller frame
	xruns  atomic.Uint64
	closed atomic.Bool // Close may run while a transfer waits
}

// Open opens the PCM device node at path (see Path) and configures it.
func Open(path string, s Stream, cfg Config) (*PCM, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s: %w", ErrNoCard, path, err)
		}
		return nil, fmt.Errorf("alsa: open %s: %w", path, err)
	}
	dev, err := newFileDevice(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("alsa: open %s: %w", path, err)
	}
	p, err := New(dev, s, cfg)
	if err != nil {
		dev.Close()
		return nil, fmt.Errorf("alsa: %s: %w", path, err)
	}
	return p, nil
}

// New configures an open device: S16_LE interleaved at cfg.Format's rate,
// cfg.Format's channels or, if the device refuses them, the fewest channels
// it accepts above that; the period and buffer as close to cfg as the device
// allows; then software parameters and prepare.
func New(dev Device, s Stream, cfg Config) (*PCM, error) {
	if err := cfg.Format.Validate(); err != nil {
		return nil, err
	}
	if cfg.Period == 0 {
		cfg.Period = 10 * time.Millisecond
	}
	if cfg.Periods == 0 {
		cfg.Periods = 3
		if s == Capture {
			cfg.Periods = 4
		}
	}
	var version int32
	if err := dev.Ioctl(ioctlPVersion, unsafe.Pointer(&version)); err != nil {
		return nil, fmt.Errorf("alsa: not a PCM device: %w", err)
	}
	f := cfg.Format
	channels, cerr := chooseChannels(dev, f)
	if cerr != nil {
		return nil, cerr
	}
	periodFrames := uint32(int64(cfg.Period) * int64(f.Rate) / int64(time.Second))

	// Ask for the period exactly; a device that cannot do it gets a range
	// around it. The kernel picks the smallest period and the largest buffer
	// left open (snd_pcm_hw_params_choose).
	var hw hwParams
	var err error
	for _, r := range [][2]uint32{{periodFrames, periodFrames}, {periodFrames / 2, 2 * periodFrames}} {
		hw.any()
		hw.setMask(paramAccess, accessRWInterleaved)
		hw.setMask(paramFormat, formatS16LE)
		hw.setMask(paramSubformat, subformatStd)
		hw.setInt(paramSampleBits, 16)
		hw.setInt(paramFrameBits, uint32(16*channels))
		hw.setInt(paramChannels, uint32(channels))
		hw.setInt(paramRate, uint32(f.Rate))
		hw.setRange(paramPeriodSize, r[0], r[1])
		hw.setRange(paramPeriods, 2, uint32(cfg.Periods))
		if err = dev.Ioctl(ioctlHWParams, unsafe.Pointer(&hw)); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %d Hz, %d ch, S16_LE, periods of about %d frames: %w", ErrUnsupported, f.Rate, channels, periodFrames, err)
	}
	period := int(hw.iv(paramPeriodSize).min)
	buffer := int(hw.iv(paramBufferSize).min)
	if got := int(hw.iv(paramRate).min); got != f.Rate || period == 0 || buffer < period {
		return nil, fmt.Errorf("%w: device chose %d Hz, period %d, buffer %d", ErrUnsupported, got, period, buffer)
	}

	// Playback starts once one period is queued and stops (underrun) when
	// the buffer runs dry; capture starts on the first read and overruns
	// when the buffer is full. Wake-ups come once per period.
	sw := swParams{
		periodStep:    1,
		availMin:      uframes(period),
		stopThreshold: uframes(buffer),
		boundary:      boundary(buffer),
	}
	sw.startThreshold = uframes(period)
	if s == Capture {
		sw.startThreshold = 1
	}
	if err := dev.Ioctl(ioctlSWParams, unsafe.Pointer(&sw)); err != nil {
		return nil, fmt.Errorf("alsa: sw params: %w", err)
	}
	if err := dev.Ioctl(ioctlPrepare, nil); err != nil {
		return nil, fmt.Errorf("alsa: prepare: %w", err)
	}
	return &PCM{
		dev:    dev,
		stream: s,
		format: f,
		hwCh:   channels,
		period: period,
		buffer: buffer,
		buf:    make([]int16, f.FrameSamples*channels),
	}, nil
}

// chooseChannels returns f.Channels if the device takes it at f.Rate, else
// the smallest channel count above it that the device accepts.
func chooseChannels(dev Device, f audio.Format) (int, error) {
	var hw hwParams
	hw.any()
	hw.setMask(paramAccess, accessRWInterleaved)
	hw.setMask(paramFormat, formatS16LE)
	hw.setInt(paramRate, uint32(f.Rate))
	if err := dev.Ioctl(ioctlHWRefine, unsafe.Pointer(&hw)); err != nil {
		return 0, fmt.Errorf("%w: %d Hz S16_LE interleaved: %w", ErrUnsupported, f.Rate, err)
	}
	ch := hw.iv(paramChannels)
	switch {
	case uint32(f.Channels) >= ch.min && uint32(f.Channels) <= ch.max:
		return f.Channels, nil
	case uint32(f.Channels) < ch.min && ch.min <= 8:
		return int(ch.min), nil
	}
	return 0, fmt.Errorf("%w: %d channels; the device takes %d-%d", ErrUnsupported, f.Channels, ch.min, ch.max)
}

// boundary is the largest buffer-size multiple by a power of two that fits
// a long, as alsa-lib computes it for the ring pointers.
func boundary(buffer int) uframes {
	limit := uint(1)<<(bits.UintSize-1) - 1
	b := uint(buffer)
	for b*2 <= limit-uint(buffer) {
		b *= 2
	}
	return uframes(b)
}

// Format implements audio.Source and audio.Sink.
func (p *PCM) Format() audio.Format { return p.format }

// Xruns counts the under- or overruns recovered so far.
func (p *PCM) Xruns() uint64 { return p.xruns.Load() }

// Period is the device's period in frames, as negotiated.
func (p *PCM) Period() int { return p.period }

// WriteFrame implements audio.Sink: it blocks until the device has room, so
// a playout loop writing here runs at the sound card's clock.
func (p *PCM) WriteFrame(pcm []int16) error {
	if err := p.check(pcm, Playback); err != nil {
		return err
	}
	ch, out := p.format.Channels, p.hwCh
	src := pcm
	if out != ch {
		// Up-mix: every device channel plays the (mono) signal.
		for i := range p.format.FrameSamples {
			for c := range out {
				p.buf[i*out+c] = pcm[i*ch+min(c, ch-1)]
			}
		}
		src = p.buf
	}
	return p.transfer(ioctlWriteI, src)
}

// ReadFrame implements audio.Source: it blocks until a frame is captured.
func (p *PCM) ReadFrame(pcm []int16) error {
	if err := p.check(pcm, Capture); err != nil {
		return err
	}
	ch, in := p.format.Channels, p.hwCh
	if in == ch {
		return p.transfer(ioctlReadI, pcm)
	}
	if err := p.transfer(ioctlReadI, p.buf); err != nil {
		return err
	}
	// Down-mix: mono is the mean of every device channel; more channels
	// take the device's first ones.
	for i := range p.format.FrameSamples {
		frame := p.buf[i*in : (i+1)*in]
		if ch == 1 {
			sum := 0
			for _, v := range frame {
				sum += int(v)
			}
			pcm[i] = int16(sum / in)
			continue
		}
		copy(pcm[i*ch:(i+1)*ch], frame)
	}
	return nil
}

func (p *PCM) check(pcm []int16, want Stream) error {
	switch {
	case p.closed.Load():
		return audio.ErrClosed
	case p.stream != want:
		return fmt.Errorf("alsa: %v on a %v stream", map[Stream]string{Playback: "write", Capture: "read"}[want], p.stream)
	case len(pcm) != p.format.FrameLen():
		return fmt.Errorf("%w: %d values, want %d", audio.ErrFrameSize, len(pcm), p.format.FrameLen())
	}
	return nil
}

// transfer moves all of buf (whole device frames), recovering from xruns:
// EPIPE is an underrun (playback) or overrun (capture), recovered by
// preparing the stream again; ESTRPIPE is a suspend, resumed if the driver
// can, else prepared.
func (p *PCM) transfer(req uintptr, buf []int16) error {
	frames := len(buf) / p.hwCh
	done := 0
	for retries := 0; done < frames; {
		x := xferi{buf: unsafe.Pointer(&buf[done*p.hwCh]), frames: uframes(frames - done)}
		err := p.dev.Transfer(req, unsafe.Pointer(&x))
		switch {
		case err == nil:
			if x.result <= 0 {
				return fmt.Errorf("alsa: %v transferred %d frames", p.stream, x.result)
			}
			done += int(x.result)
			retries = 0
			continue
		case errors.Is(err, syscall.EPIPE):
			p.xruns.Add(1)
		case errors.Is(err, errSuspended):
			// Suspended (system sleep): resume if the driver can, else
			// start over with a prepare.
			p.xruns.Add(1)
			if p.dev.Ioctl(ioctlResume, nil) == nil {
				continue
			}
		default:
			return fmt.Errorf("alsa: %v: %w", p.stream, err)
		}
		if retries++; retries > 3 {
			return fmt.Errorf("alsa: %v: device keeps failing: %w", p.stream, err)
		}
		if err := p.dev.Ioctl(ioctlPrepare, nil); err != nil {
			return fmt.Errorf("alsa: %v: prepare after xrun: %w", p.stream, err)
		}
	}
	runtimeKeepAlive(buf)
	return nil
}

// Drain blocks until everything written has played (playback only).
func (p *PCM) Drain() error {
	if p.closed.Load() {
		return audio.ErrClosed
	}
	if p.stream != Playback {
		return fmt.Errorf("alsa: drain of a capture stream")
	}
	if err := p.dev.Transfer(ioctlDrain, nil); err != nil {
		return fmt.Errorf("alsa: drain: %w", err)
	}
	return nil
}

// Close stops the stream at once (dropping what is queued) and closes the device.
func (p *PCM) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	p.dev.Ioctl(ioctlDrop, nil)
	return p.dev.Close()
}
