// Package gpio drives GPIO lines through the Linux GPIO character device,
// uAPI v2 (include/uapi/linux/gpio.h, Linux 5.10 and later): a Chip wraps an
// open /dev/gpiochipN; Request asks the kernel for some of its lines and
// returns a Lines whose values are read and set by ioctl on the line fd the
// kernel hands back. Only cmd/ opens the chip file.
package gpio

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Line flags of uAPI v2 (enum gpio_v2_line_flag). golang.org/x/sys has the
// structs and ioctl numbers but not these.
const (
	flagActiveLow = 1 << 1
	flagInput     = 1 << 2
	flagOutput    = 1 << 3
)

// maxLines is GPIO_V2_LINES_MAX, the most lines one request may hold.
const maxLines = 64

// ErrClosed is returned by a Lines used after Close.
var ErrClosed = errors.New("gpio: lines closed")

// Info describes a chip (struct gpiochip_info).
type Info struct {
	Name  string // e.g. "gpiochip0"
	Label string // the driver's label, e.g. "1c20800.pinctrl"
	Lines uint32
}

// Chip is an open GPIO chip character device.
type Chip struct {
	f *os.File
}

// NewChip wraps an open /dev/gpiochipN. The caller keeps ownership of f.
func NewChip(f *os.File) *Chip { return &Chip{f: f} }

// Info reads the chip's name, label and line count (GPIO_GET_CHIPINFO_IOCTL).
func (c *Chip) Info() (Info, error) {
	var ci unix.GPIOChipInfo
	if err := ioctl(c.f, unix.GPIO_GET_CHIPINFO_IOCTL, unsafe.Pointer(&ci)); err != nil {
		return Info{}, fmt.Errorf("gpio: chip info: %w", err)
	}
	return Info{Name: cstring(ci.Name[:]), Label: cstring(ci.Label[:]), Lines: ci.Lines}, nil
}

// LineConfig is one line to request.
type LineConfig struct {
	Offset    uint32
	Output    bool // false: input
	ActiveLow bool // the kernel inverts the line, so true always means asserted
	Initial   bool // an output's first value, applied atomically with the request
}

// Request takes the lines for consumer (shown in the kernel's line info, so
// a technician can see who holds them). The lines stay held until Close.
func (c *Chip) Request(consumer string, lines []LineConfig) (*Lines, error) {
	req, err := encodeRequest(consumer, lines)
	if err != nil {
		return nil, err
	}
	if err := ioctl(c.f, unix.GPIO_V2_GET_LINE_IOCTL, unsafe.Pointer(req)); err != nil {
		return nil, fmt.Errorf("gpio: request lines %v: %w", offsets(lines), err)
	}
	return &Lines{f: os.NewFile(uintptr(req.Fd), "gpio-lines"), n: len(lines)}, nil
}

// encodeRequest builds struct gpio_v2_line_request. Every line gets its
// direction and polarity through per-line attributes only when lines differ;
// the common case of one direction is the request-wide flags.
func encodeRequest(consumer string, lines []LineConfig) (*unix.GPIOV2LineRequest, error) {
	if len(lines) == 0 || len(lines) > maxLines {
		return nil, fmt.Errorf("gpio: request of %d lines (want 1..%d)", len(lines), maxLines)
	}
	var req unix.GPIOV2LineRequest
	if len(consumer) >= len(req.Consumer) {
		return nil, fmt.Errorf("gpio: consumer name %q longer than %d bytes", consumer, len(req.Consumer)-1)
	}
	copy(req.Consumer[:], consumer)
	req.Num_lines = uint32(len(lines))

	// Group lines by flags: the first group is the request default, each
	// other group an attribute with a mask of line indexes (struct
	// gpio_v2_line_config_attribute). Output values are one more attribute.
	type group struct {
		flags uint64
		mask  uint64
	}
	var groups []group
	var outMask, outBits uint64
	seen := map[uint32]bool{}
	for i, l := range lines {
		if seen[l.Offset] {
			return nil, fmt.Errorf("gpio: line %d requested twice", l.Offset)
		}
		seen[l.Offset] = true
		req.Offsets[i] = l.Offset
		fl := uint64(flagInput)
		if l.Output {
			fl = flagOutput
			outMask |= 1 << i
			if l.Initial {
				outBits |= 1 << i
			}
		}
		if l.ActiveLow {
			fl |= flagActiveLow
		}
		found := false
		for g := range groups {
			if groups[g].flags == fl {
				groups[g].mask |= 1 << i
				found = true
			}
		}
		if !found {
			groups = append(groups, group{flags: fl, mask: 1 << i})
		}
	}
	req.Config.Flags = groups[0].flags
	attrs := 0
	for _, g := range groups[1:] {
		req.Config.Attrs[attrs] = unix.GPIOV2LineConfigAttribute{
			Attr: unix.GPIOV2LineAttribute{Id: unix.GPIO_V2_LINE_ATTR_ID_FLAGS, Flags: g.flags},
			Mask: g.mask,
		}
		attrs++
	}
	if outMask != 0 {
		if attrs == len(req.Config.Attrs) {
			return nil, errors.New("gpio: too many distinct line configurations")
		}
		// For the output-values attribute the union's u64 holds the values.
		req.Config.Attrs[attrs] = unix.GPIOV2LineConfigAttribute{
			Attr: unix.GPIOV2LineAttribute{Id: unix.GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES, Flags: outBits},
			Mask: outMask,
		}
		attrs++
	}
	req.Config.Num_attrs = uint32(attrs)
	return &req, nil
}

// Lines are requested lines, indexed in request order.
type Lines struct {
	f *os.File
	n int
}

// Set drives output line i (asserted when v is true).
func (l *Lines) Set(i int, v bool) error {
	if err := l.check(i); err != nil {
		return err
	}
	lv := unix.GPIOV2LineValues{Mask: 1 << i}
	if v {
		lv.Bits = 1 << i
	}
	if err := ioctl(l.f, unix.GPIO_V2_LINE_SET_VALUES_IOCTL, unsafe.Pointer(&lv)); err != nil {
		return fmt.Errorf("gpio: set line %d: %w", i, err)
	}
	return nil
}

// Get reads line i (true when asserted).
func (l *Lines) Get(i int) (bool, error) {
	if err := l.check(i); err != nil {
		return false, err
	}
	lv := unix.GPIOV2LineValues{Mask: 1 << i}
	if err := ioctl(l.f, unix.GPIO_V2_LINE_GET_VALUES_IOCTL, unsafe.Pointer(&lv)); err != nil {
		return false, fmt.Errorf("gpio: get line %d: %w", i, err)
	}
	return lv.Bits&(1<<i) != 0, nil
}

// Close releases the lines back to the kernel.
func (l *Lines) Close() error {
	if l.f == nil {
		return ErrClosed
	}
	err := l.f.Close()
	l.f = nil
	return err
}

func (l *Lines) check(i int) error {
	if l.f == nil {
		return ErrClosed
	}
	if i < 0 || i >= l.n {
		return fmt.Errorf("gpio: line index %d out of range (have %d)", i, l.n)
	}
	return nil
}

func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno unix.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(arg))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}

func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func offsets(lines []LineConfig) []uint32 {
	o := make([]uint32, len(lines))
	for i, l := range lines {
		o[i] = l.Offset
	}
	return o
}
