package alsa

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"unsafe"
)

// The control interface (asound.h, SNDRV_CTL_*): mixers are lists of
// elements, each a boolean (a mute switch), an integer (a volume) or
// something else, with one value per channel.

const longSize = 4 << (^uint(0) >> 63) // sizeof(long): 8 on 64-bit, 4 on 32-bit

type ctlElemID struct {
	numid     uint32
	iface     int32
	device    uint32
	subdevice uint32
	name      [44]byte
	index     uint32
}

type ctlElemList struct {
	offset   uint32
	space    uint32
	used     uint32
	count    uint32
	pids     unsafe.Pointer
	reserved [50]byte
}

type ctlElemInfo struct {
	id       ctlElemID
	typ      int32
	access   uint32
	count    uint32
	owner    int32
	value    [128]byte // union; integer: long min, max, step
	reserved [64]byte
}

type ctlElemValue struct {
	id       ctlElemID
	indirect uint32
	// The union of long[128], long long[64], ...: 8-byte aligned where the
	// C ABI aligns long long so (amd64, arm64, arm), 4 on 386, which is
	// what Go does for uint64 fields.
	value    [16 * longSize]uint64
	reserved [128]byte
}

const (
	ctlTypeBoolean = 1
	ctlTypeInteger = 2
	ctlAccessWrite = 1 << 1
	ctlAccessInact = 1 << 8
)

var (
	ioctlElemList  = iocType(iocRead|iocWrite, 'U', 0x10, unsafe.Sizeof(ctlElemList{}))
	ioctlElemInfo  = iocType(iocRead|iocWrite, 'U', 0x11, unsafe.Sizeof(ctlElemInfo{}))
	ioctlElemWrite = iocType(iocRead|iocWrite, 'U', 0x13, unsafe.Sizeof(ctlElemValue{}))
)

// MixerPath is the control device node of a card.
func MixerPath(card int) string { return fmt.Sprintf("/dev/snd/controlC%d", card) }

// Mixer is a card's control device.
type Mixer struct{ dev Device }

// OpenMixer opens the control device node at path (see MixerPath).
func OpenMixer(path string) (*Mixer, error) {
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
	return NewMixer(dev), nil
}

// NewMixer uses an open control device.
func NewMixer(dev Device) *Mixer { return &Mixer{dev: dev} }

// SetLevels switches every writable boolean element on and sets every
// writable integer element to volume (0-1) of its range, on every channel,
// and returns how many elements it set. Cards often start muted (QEMU's
// AC97 plays silence until this is done); the board profile decides the
// volume.
func (m *Mixer) SetLevels(volume float64) (int, error) {
	if volume < 0 || volume > 1 || math.IsNaN(volume) {
		return 0, fmt.Errorf("alsa: volume %v outside 0-1", volume)
	}
	var list ctlElemList
	if err := m.dev.Ioctl(ioctlElemList, unsafe.Pointer(&list)); err != nil {
		return 0, fmt.Errorf("alsa: mixer: list: %w", err)
	}
	if list.count == 0 {
		return 0, nil
	}
	if list.count > 4096 {
		return 0, fmt.Errorf("alsa: mixer: %d elements", list.count)
	}
	ids := make([]ctlElemID, list.count)
	list = ctlElemList{space: uint32(len(ids)), pids: unsafe.Pointer(&ids[0])}
	if err := m.dev.Ioctl(ioctlElemList, unsafe.Pointer(&list)); err != nil {
		return 0, fmt.Errorf("alsa: mixer: list: %w", err)
	}
	set := 0
	for _, id := range ids[:min(int(list.used), len(ids))] {
		info := ctlElemInfo{id: id}
		if err := m.dev.Ioctl(ioctlElemInfo, unsafe.Pointer(&info)); err != nil {
			return set, fmt.Errorf("alsa: mixer: info %q: %w", cname(id.name[:]), err)
		}
		if info.access&ctlAccessWrite == 0 || info.access&ctlAccessInact != 0 || info.count == 0 || info.count > 128 {
			continue
		}
		var v int64
		switch info.typ {
		case ctlTypeBoolean:
			v = 1
		case ctlTypeInteger:
			lo, hi, step := infoLong(&info, 0), infoLong(&info, 1), infoLong(&info, 2)
			v = lo + int64(math.Round(volume*float64(hi-lo)))
			if step > 1 {
				v = lo + (v-lo)/step*step
			}
		default:
			continue
		}
		val := ctlElemValue{id: info.id}
		vals := unsafe.Slice((*int)(unsafe.Pointer(&val.value[0])), 128)
		for i := range info.count {
			vals[i] = int(v)
		}
		if err := m.dev.Ioctl(ioctlElemWrite, unsafe.Pointer(&val)); err != nil {
			return set, fmt.Errorf("alsa: mixer: write %q: %w", cname(id.name[:]), err)
		}
		set++
	}
	runtimeKeepAlive(ids)
	return set, nil
}

// infoLong reads the i-th long of an info's integer range.
func infoLong(info *ctlElemInfo, i int) int64 {
	return int64(*(*int)(unsafe.Pointer(&info.value[i*longSize])))
}

func cname(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// Close closes the control device.
func (m *Mixer) Close() error { return m.dev.Close() }
