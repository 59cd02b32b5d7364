package fb

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ioctl requests from <linux/fb.h>.
const (
	fbiogetVScreenInfo = 0x4600
	fbiogetFScreenInfo = 0x4602

	fbTypePackedPixels = 0 // FB_TYPE_PACKED_PIXELS
	fbVisualTrueColor  = 2 // FB_VISUAL_TRUECOLOR
)

// varScreenInfo mirrors struct fb_var_screeninfo (160 bytes).
type varScreenInfo struct {
	XRes, YRes                 uint32
	XResVirtual, YResVirtual   uint32
	XOffset, YOffset           uint32
	BitsPerPixel, Grayscale    uint32
	Red, Green, Blue, Transp   bitfield
	Nonstd, Activate           uint32
	Height, Width, AccelFlags  uint32
	Pixclock                   uint32
	LeftMargin, RightMargin    uint32
	UpperMargin, LowerMargin   uint32
	HsyncLen, VsyncLen         uint32
	Sync, Vmode, Rotate, Color uint32
	Reserved                   [4]uint32
}

// bitfield mirrors struct fb_bitfield.
type bitfield struct {
	Offset, Length, MSBRight uint32
}

// fixScreenInfo mirrors struct fb_fix_screeninfo; its unsigned longs are
// uintptr, so the layout matches the kernel's on 32 and 64-bit boards.
type fixScreenInfo struct {
	ID           [16]byte
	SmemStart    uintptr
	SmemLen      uint32
	Type         uint32
	TypeAux      uint32
	Visual       uint32
	XPanStep     uint16
	YPanStep     uint16
	YWrapStep    uint16
	LineLength   uint32
	MmioStart    uintptr
	MmioLen      uint32
	Accel        uint32
	Capabilities uint16
	Reserved     [2]uint16
}

// Device is a mapped framebuffer. Its Flush makes it a ui.Display.
type Device struct {
	mem    []byte
	format Format
	id     string
}

// Open reads the geometry and pixel format of the framebuffer f (an open
// /dev/fbN) and maps its memory. The caller keeps f and closes it after
// Close.
func Open(f *os.File) (*Device, error) {
	fd := int(f.Fd())
	var v varScreenInfo
	if err := ioctl(fd, fbiogetVScreenInfo, unsafe.Pointer(&v)); err != nil {
		return nil, fmt.Errorf("fb: FBIOGET_VSCREENINFO on %s: %w", f.Name(), err)
	}
	var x fixScreenInfo
	if err := ioctl(fd, fbiogetFScreenInfo, unsafe.Pointer(&x)); err != nil {
		return nil, fmt.Errorf("fb: FBIOGET_FSCREENINFO on %s: %w", f.Name(), err)
	}
	format, err := formatOf(&v, &x)
	if err != nil {
		return nil, fmt.Errorf("fb: %s: %w", f.Name(), err)
	}
	d, err := mapFile(fd, int(x.SmemLen), format)
	if err != nil {
		return nil, fmt.Errorf("fb: %s: %w", f.Name(), err)
	}
	d.id = string(bytes.TrimRight(x.ID[:], "\x00"))
	return d, nil
}

// formatOf turns the kernel's screen info into a Format, refusing what the
// blitter cannot draw.
func formatOf(v *varScreenInfo, x *fixScreenInfo) (Format, error) {
	if x.Type != fbTypePackedPixels || x.Visual != fbVisualTrueColor {
		return Format{}, fmt.Errorf("%w: type %d visual %d (want packed-pixel true colour)", ErrUnsupported, x.Type, x.Visual)
	}
	if v.Grayscale != 0 {
		return Format{}, fmt.Errorf("%w: grayscale or FOURCC mode %d", ErrUnsupported, v.Grayscale)
	}
	for _, b := range []bitfield{v.Red, v.Green, v.Blue, v.Transp} {
		if b.MSBRight != 0 {
			return Format{}, fmt.Errorf("%w: most significant bit on the right", ErrUnsupported)
		}
	}
	f := Format{
		Width: int(v.XRes), Height: int(v.YRes),
		XOffset: int(v.XOffset), YOffset: int(v.YOffset),
		Stride:       int(x.LineLength),
		BitsPerPixel: int(v.BitsPerPixel),
		Red:          Bitfield{v.Red.Offset, v.Red.Length},
		Green:        Bitfield{v.Green.Offset, v.Green.Length},
		Blue:         Bitfield{v.Blue.Offset, v.Blue.Length},
		Transp:       Bitfield{v.Transp.Offset, v.Transp.Length},
	}
	if err := f.Validate(int(x.SmemLen)); err != nil {
		return Format{}, err
	}
	return f, nil
}

// mapFile maps n bytes of fd for a framebuffer of the given format.
func mapFile(fd, n int, f Format) (*Device, error) {
	if err := f.Validate(n); err != nil {
		return nil, err
	}
	mem, err := unix.Mmap(fd, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %d bytes: %w", n, err)
	}
	return &Device{mem: mem, format: f}, nil
}

func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}

// ID is the driver's name for the framebuffer, e.g. "bochs-drmdrmfb".
func (d *Device) ID() string { return d.id }

// Format returns the framebuffer's layout.
func (d *Device) Format() Format { return d.format }

// Bounds returns the visible screen.
func (d *Device) Bounds() image.Rectangle { return d.format.Bounds() }

// Flush copies the rectangles rects of frame to the screen.
func (d *Device) Flush(frame *image.RGBA, rects []image.Rectangle) error {
	if d.mem == nil {
		return errClosed
	}
	for _, r := range rects {
		Blit(d.mem, d.format, frame, r)
	}
	return nil
}

var errClosed = errors.New("fb: device closed")

// Close unmaps the video memory; the file stays open for its owner to close.
func (d *Device) Close() error {
	if d.mem == nil {
		return nil
	}
	err := unix.Munmap(d.mem)
	d.mem = nil
	if err != nil {
		return fmt.Errorf("fb: munmap: %w", err)
	}
	return nil
}
