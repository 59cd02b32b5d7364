package alsa

import "unsafe"

// The kernel ABI of include/uapi/sound/asound.h (protocol 2.0.x), declared
// with Go types whose sizes follow the platform's long, as the C structs do:
// snd_pcm_uframes_t and snd_pcm_sframes_t are unsigned long and long.

type (
	uframes = uint
	sframes = int
)

// snd_mask: a 256-bit set.
type mask struct{ bits [8]uint32 }

func (m *mask) none()             { m.bits = [8]uint32{} }
func (m *mask) set(bit uint)      { m.bits[bit>>5] |= 1 << (bit & 31) }
func (m *mask) has(bit uint) bool { return m.bits[bit>>5]&(1<<(bit&31)) != 0 }

// snd_interval: [min, max] with openmin, openmax, integer and empty flags in
// the low bits of a bit-field word (little-endian bit order on every
// architecture we build for).
type interval struct {
	min, max uint32
	flags    uint32
}

const (
	intervalOpenMin = 1 << 0
	intervalOpenMax = 1 << 1
	intervalInteger = 1 << 2
	intervalEmpty   = 1 << 3
)

// Hardware parameter indices (SNDRV_PCM_HW_PARAM_*).
const (
	paramAccess    = 0 // masks
	paramFormat    = 1
	paramSubformat = 2

	paramSampleBits  = 8 // intervals
	paramFrameBits   = 9
	paramChannels    = 10
	paramRate        = 11
	paramPeriodTime  = 12
	paramPeriodSize  = 13
	paramPeriodBytes = 14
	paramPeriods     = 15
	paramBufferTime  = 16
	paramBufferSize  = 17
	paramBufferBytes = 18
	paramTickTime    = 19

	firstInterval = paramSampleBits
)

const (
	accessRWInterleaved = 3 // SNDRV_PCM_ACCESS_RW_INTERLEAVED
	formatS16LE         = 2 // SNDRV_PCM_FORMAT_S16_LE
	subformatStd        = 0
)

// snd_pcm_hw_params.
type hwParams struct {
	flags     uint32
	masks     [3]mask
	mres      [5]mask
	intervals [12]interval
	ires      [9]interval
	rmask     uint32
	cmask     uint32
	info      uint32
	msbits    uint32
	rateNum   uint32
	rateDen   uint32
	fifoSize  uframes
	reserved  [64]byte
}

// any opens every parameter, as snd_pcm_hw_params_any does.
func (p *hwParams) any() {
	*p = hwParams{}
	for i := range p.masks {
		for j := range p.masks[i].bits {
			p.masks[i].bits[j] = ^uint32(0)
		}
	}
	for i := range p.intervals {
		p.intervals[i] = interval{min: 0, max: ^uint32(0)}
	}
	p.rmask = ^uint32(0)
	p.info = ^uint32(0)
}

func (p *hwParams) setMask(param int, bit uint) {
	p.masks[param].none()
	p.masks[param].set(bit)
}

func (p *hwParams) iv(param int) *interval { return &p.intervals[param-firstInterval] }

// setInt pins an interval to one integer value.
func (p *hwParams) setInt(param int, v uint32) {
	*p.iv(param) = interval{min: v, max: v, flags: intervalInteger}
}

// setRange bounds an interval to integers in [lo, hi].
func (p *hwParams) setRange(param int, lo, hi uint32) {
	*p.iv(param) = interval{min: lo, max: hi, flags: intervalInteger}
}

// snd_pcm_sw_params.
type swParams struct {
	tstampMode       int32
	periodStep       uint32
	sleepMin         uint32
	availMin         uframes
	xferAlign        uframes
	startThreshold   uframes
	stopThreshold    uframes
	silenceThreshold uframes
	silenceSize      uframes
	boundary         uframes
	proto            uint32
	tstampType       uint32
	reserved         [56]byte
}

// snd_xferi: one interleaved read or write.
type xferi struct {
	result sframes
	buf    unsafe.Pointer
	frames uframes
}

// ioctl request numbers: _IOC(dir, 'A', nr, size) with the generic Linux
// encoding (x86, arm, arm64, riscv): dir in bits 30-31, size in 16-29.
const (
	iocNone  = 0
	iocWrite = 1
	iocRead  = 2
)

func ioc(dir, nr, size uintptr) uintptr { return iocType(dir, 'A', nr, size) }

func iocType(dir, typ, nr, size uintptr) uintptr { return dir<<30 | size<<16 | typ<<8 | nr }

var (
	ioctlPVersion = ioc(iocRead, 0x00, 4)
	ioctlHWRefine = ioc(iocRead|iocWrite, 0x10, unsafe.Sizeof(hwParams{}))
	ioctlHWParams = ioc(iocRead|iocWrite, 0x11, unsafe.Sizeof(hwParams{}))
	ioctlSWParams = ioc(iocRead|iocWrite, 0x13, unsafe.Sizeof(swParams{}))
	ioctlPrepare  = ioc(iocNone, 0x40, 0)
	ioctlDrop     = ioc(iocNone, 0x43, 0)
	ioctlDrain    = ioc(iocNone, 0x44, 0)
	ioctlResume   = ioc(iocNone, 0x47, 0)
	ioctlWriteI   = ioc(iocWrite, 0x50, unsafe.Sizeof(xferi{}))
	ioctlReadI    = ioc(iocRead, 0x51, unsafe.Sizeof(xferi{}))
)
