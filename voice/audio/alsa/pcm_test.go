package alsa

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"mehfooz/voice/audio"
)

// kernel is a model of the ALSA PCM ioctls of one device, enough to check
// our side of the ABI: it refines and chooses hardware parameters the way
// snd_pcm_hw_params does (intersect, then smallest value, largest buffer),
// and moves frames through WRITEI/READI with optional xruns and short
// transfers.
type kernel struct {
	rate       [2]uint32
	channels   [2]uint32
	period     [2]uint32
	maxPeriods uint32

	hw       hwParams
	sw       swParams
	prepares int
	drops    int
	xrunAt   map[int]error // transfer call number -> error
	calls    int
	maxXfer  int     // frames per transfer call, 0 = all
	played   []int16 // interleaved device frames
	capture  []int16
	closed   bool
}

func stereo48k() *kernel {
	return &kernel{rate: [2]uint32{48000, 48000}, channels: [2]uint32{2, 2}, period: [2]uint32{64, 8192}, maxPeriods: 32}
}

func narrow(iv *interval, lo, hi uint32) bool {
	iv.min, iv.max = max(iv.min, lo), min(iv.max, hi)
	return iv.min <= iv.max
}

func (k *kernel) Ioctl(req uintptr, arg unsafe.Pointer) error {
	switch req {
	case ioctlPVersion:
		*(*int32)(arg) = 2<<16 | 0<<8 | 15
	case ioctlHWRefine, ioctlHWParams:
		p := (*hwParams)(arg)
		if !p.masks[paramAccess].has(accessRWInterleaved) || !p.masks[paramFormat].has(formatS16LE) {
			return syscall.EINVAL
		}
		ok := narrow(p.iv(paramRate), k.rate[0], k.rate[1]) &&
			narrow(p.iv(paramChannels), k.channels[0], k.channels[1]) &&
			narrow(p.iv(paramPeriodSize), k.period[0], k.period[1]) &&
			narrow(p.iv(paramPeriods), 2, k.maxPeriods)
		if !ok {
			return syscall.EINVAL
		}
		if req == ioctlHWRefine {
			return nil
		}
		for _, i := range []int{paramRate, paramChannels, paramPeriodSize} {
			p.iv(i).max = p.iv(i).min
		}
		periods := p.iv(paramPeriods)
		periods.min = periods.max
		buf := p.iv(paramPeriodSize).min * periods.min
		*p.iv(paramBufferSize) = interval{min: buf, max: buf, flags: intervalInteger}
		k.hw = *p
	case ioctlSWParams:
		k.sw = *(*swParams)(arg)
	case ioctlPrepare:
		k.prepares++
	case ioctlDrop:
		k.drops++
	case ioctlResume:
		return syscall.ENOSYS
	default:
		return syscall.ENOTTY
	}
	return nil
}

func (k *kernel) Transfer(req uintptr, arg unsafe.Pointer) error {
	k.calls++
	if err := k.xrunAt[k.calls]; err != nil {
		return err
	}
	if req == ioctlDrain {
		return nil
	}
	x := (*xferi)(arg)
	ch := int(k.hw.iv(paramChannels).min)
	n := int(x.frames)
	if k.maxXfer > 0 {
		n = min(n, k.maxXfer)
	}
	buf := unsafe.Slice((*int16)(x.buf), n*ch)
	switch req {
	case ioctlWriteI:
		k.played = append(k.played, buf...)
	case ioctlDrain:
		return nil
	case ioctlReadI:
		n = min(n, len(k.capture)/ch)
		copy(buf, k.capture[:n*ch])
		k.capture = k.capture[n*ch:]
	default:
		return syscall.ENOTTY
	}
	x.result = sframes(n)
	return nil
}

func (k *kernel) Close() error { k.closed = true; return nil }

func TestABI(t *testing.T) {
	hw, sw, x := unsafe.Sizeof(hwParams{}), unsafe.Sizeof(swParams{}), unsafe.Sizeof(xferi{})
	if unsafe.Sizeof(uint(0)) == 8 {
		if hw != 608 || sw != 136 || x != 24 {
			t.Fatalf("64-bit sizes %d, %d, %d; want 608, 136, 24", hw, sw, x)
		}
		// asound.h request numbers on x86-64 and arm64.
		for got, want := range map[uintptr]uintptr{
			ioctlPVersion: 0x80044100, ioctlHWRefine: 0xC2604110, ioctlHWParams: 0xC2604111,
			ioctlSWParams: 0xC0884113, ioctlPrepare: 0x4140, ioctlDrop: 0x4143, ioctlResume: 0x4147,
			ioctlWriteI: 0x40184150, ioctlReadI: 0x80184151,
		} {
			if got != want {
				t.Errorf("ioctl %#x, want %#x", got, want)
			}
		}
	} else if hw != 604 || sw != 104 || x != 12 {
		t.Fatalf("32-bit sizes %d, %d, %d; want 604, 104, 12", hw, sw, x)
	}
}

func TestOpenWithoutACard(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pcmC0D0p")
	_, err := Open(path, Playback, Config{Format: audio.Voice})
	if !errors.Is(err, ErrNoCard) {
		t.Fatalf("Open of a missing node = %v, want ErrNoCard", err)
	}
	if _, err := os.Stat("/dev/snd"); errors.Is(err, os.ErrNotExist) {
		if _, err := Open(Path(0, 0, Capture), Capture, Config{Format: audio.Voice}); !errors.Is(err, ErrNoCard) {
			t.Fatalf("Open on a machine without /dev/snd = %v, want ErrNoCard", err)
		}
	}
}

func TestOpenRefusesANonPCMFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not-a-pcm")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, Playback, Config{Format: audio.Voice})
	if err == nil || errors.Is(err, ErrNoCard) || !strings.Contains(err.Error(), "not a PCM device") {
		t.Fatalf("Open of a regular file = %v", err)
	}
}

func TestMonoCallOnAStereoDevice(t *testing.T) {
	k := stereo48k()
	p, err := New(k, Playback, Config{Format: audio.Voice})
	if err != nil {
		t.Fatal(err)
	}
	if p.hwCh != 2 || p.Period() != 480 || p.buffer != 3*480 {
		t.Fatalf("negotiated %d ch, period %d, buffer %d; want 2, 480, 1440", p.hwCh, p.Period(), p.buffer)
	}
	if k.sw.startThreshold != 480 || k.sw.stopThreshold != 1440 || k.sw.availMin != 480 || k.sw.boundary%1440 != 0 || k.prepares != 1 {
		t.Fatalf("sw params %+v, prepares %d", k.sw, k.prepares)
	}
	frame := make([]int16, 960)
	for i := range frame {
		frame[i] = int16(i)
	}
	if err := p.WriteFrame(frame); err != nil {
		t.Fatal(err)
	}
	if len(k.played) != 1920 || k.played[2*500] != 500 || k.played[2*500+1] != 500 {
		t.Fatalf("played %d values; frame 500 = %v", len(k.played), k.played[1000:1002])
	}
	if err := p.ReadFrame(frame); err == nil {
		t.Fatal("read from a playback stream")
	}
	if err := p.Drain(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil || k.drops != 1 || !k.closed {
		t.Fatalf("close: %v, drops %d", err, k.drops)
	}
	if err := p.WriteFrame(frame); !errors.Is(err, audio.ErrClosed) {
		t.Fatalf("write after close = %v", err)
	}
}

func TestCaptureDownMixesAndRecoversOverruns(t *testing.T) {
	k := stereo48k()
	for i := range 3 * 960 {
		k.capture = append(k.capture, int16(i), int16(i+100))
	}
	k.xrunAt = map[int]error{2: syscall.EPIPE}
	k.maxXfer = 480 // one period per call
	p, err := New(k, Capture, Config{Format: audio.Voice})
	if err != nil {
		t.Fatal(err)
	}
	if k.sw.startThreshold != 1 || p.buffer != 4*480 {
		t.Fatalf("capture start threshold %d, buffer %d", k.sw.startThreshold, p.buffer)
	}
	frame := make([]int16, 960)
	for n := range 2 {
		if err := p.ReadFrame(frame); err != nil {
			t.Fatal(err)
		}
		if want := int16(n*960 + 50); frame[0] != want {
			t.Fatalf("frame %d starts with %d, want the mean of both channels %d", n, frame[0], want)
		}
	}
	if p.Xruns() != 1 || k.prepares != 2 {
		t.Fatalf("xruns %d, prepares %d: the overrun was not recovered", p.Xruns(), k.prepares)
	}
}

func TestPlaybackGivesUpOnADeadDevice(t *testing.T) {
	k := stereo48k()
	k.xrunAt = map[int]error{1: syscall.EPIPE, 2: syscall.EPIPE, 3: syscall.EPIPE, 4: syscall.EPIPE, 5: syscall.EPIPE}
	p, err := New(k, Playback, Config{Format: audio.Voice})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WriteFrame(make([]int16, 960)); err == nil || !strings.Contains(err.Error(), "keeps failing") {
		t.Fatalf("WriteFrame on a device that always underruns = %v", err)
	}
	k = stereo48k()
	k.xrunAt = map[int]error{1: syscall.EIO}
	p, _ = New(k, Playback, Config{Format: audio.Voice})
	if err := p.WriteFrame(make([]int16, 960)); !errors.Is(err, syscall.EIO) {
		t.Fatalf("WriteFrame after EIO = %v", err)
	}
}

func TestUnsupportedFormatsAreNamed(t *testing.T) {
	k := stereo48k()
	k.rate = [2]uint32{44100, 44100}
	_, err := New(k, Playback, Config{Format: audio.Voice})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "48000 Hz") {
		t.Fatalf("44.1 kHz-only device: %v", err)
	}
	k = stereo48k()
	k.channels = [2]uint32{1, 1}
	_, err = New(k, Playback, Config{Format: audio.Format{Rate: 48000, Channels: 2, FrameSamples: 960}})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "1-1") {
		t.Fatalf("stereo on a mono-only device: %v", err)
	}
	// A device whose periods cannot be 10 ms gets the nearest it can do.
	k = stereo48k()
	k.period = [2]uint32{512, 512}
	p, err := New(k, Playback, Config{Format: audio.Voice})
	if err != nil || p.Period() != 512 {
		t.Fatalf("512-frame device: %v, period %d", err, p.Period())
	}
}
