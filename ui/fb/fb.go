// Package fb drives a Linux framebuffer device (/dev/fbN): it reads the
// screen geometry and pixel format with FBIOGET_VSCREENINFO and
// FBIOGET_FSCREENINFO, maps the video memory, and copies dirty rectangles of
// an RGBA frame into it, converting to the device's 16, 24 or 32 bits per
// pixel by its colour bitfields. It takes a file the caller opened; it never
// opens a device path itself.
package fb

import (
	"errors"
	"fmt"
	"image"
)

// ErrUnsupported is returned for a framebuffer whose pixel format the
// blitter cannot write (palette modes, odd depths, big-endian bitfields).
var ErrUnsupported = errors.New("fb: unsupported pixel format")

// Bitfield is where one colour channel sits within a pixel value
// (struct fb_bitfield): Length bits starting at bit Offset.
type Bitfield struct {
	Offset, Length uint32
}

// Format is the layout of framebuffer memory.
type Format struct {
	Width, Height    int // the visible area, in pixels
	XOffset, YOffset int // where the visible area starts in the virtual screen
	Stride           int // bytes from one line to the next (line_length)
	BitsPerPixel     int // 16, 24 or 32
	Red, Green, Blue Bitfield
	Transp           Bitfield // alpha, or Length 0 for none
}

// Bounds returns the visible area.
func (f Format) Bounds() image.Rectangle { return image.Rect(0, 0, f.Width, f.Height) }

// Validate checks that Blit can write f into memLen bytes of video memory.
func (f Format) Validate(memLen int) error {
	switch f.BitsPerPixel {
	case 16, 24, 32:
	default:
		return fmt.Errorf("%w: %d bits per pixel", ErrUnsupported, f.BitsPerPixel)
	}
	for _, b := range []Bitfield{f.Red, f.Green, f.Blue, f.Transp} {
		if b.Length > 8 || b.Offset+b.Length > uint32(f.BitsPerPixel) {
			return fmt.Errorf("%w: bitfield %+v in a %d-bit pixel", ErrUnsupported, b, f.BitsPerPixel)
		}
	}
	if f.Red.Length == 0 || f.Green.Length == 0 || f.Blue.Length == 0 {
		return fmt.Errorf("%w: a colour channel has no bits", ErrUnsupported)
	}
	if f.Width <= 0 || f.Height <= 0 || f.XOffset < 0 || f.YOffset < 0 {
		return fmt.Errorf("fb: bad geometry %dx%d+%d+%d", f.Width, f.Height, f.XOffset, f.YOffset)
	}
	bpp := f.BitsPerPixel / 8
	if f.Stride < (f.XOffset+f.Width)*bpp {
		return fmt.Errorf("fb: line length %d too short for %d pixels at %d bytes", f.Stride, f.XOffset+f.Width, bpp)
	}
	if need := (f.YOffset+f.Height-1)*f.Stride + (f.XOffset+f.Width)*bpp; need > memLen {
		return fmt.Errorf("fb: %d bytes of video memory, the visible area needs %d", memLen, need)
	}
	return nil
}

// Blit converts the pixels of src inside r to format f and writes them into
// mem, the video memory. Pixels are stored little-endian, as on every board
// Mehfooz targets. src is taken as opaque; f must have passed Validate.
func Blit(mem []byte, f Format, src *image.RGBA, r image.Rectangle) {
	r = r.Intersect(src.Rect).Intersect(f.Bounds())
	if r.Empty() {
		return
	}
	bpp := f.BitsPerPixel / 8
	w := r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		s := src.Pix[src.PixOffset(r.Min.X, y):][: w*4 : w*4]
		o := (f.YOffset+y)*f.Stride + (f.XOffset+r.Min.X)*bpp
		d := mem[o : o+w*bpp : o+w*bpp]
		f.convertRow(d, s)
	}
}

// convertRow converts one row of RGBA pixels s into d.
func (f Format) convertRow(d, s []byte) {
	switch {
	case f.is(32, 16, 8, 0): // XRGB8888, ARGB8888: bytes B G R X
		// A byte loop: the compiler merges it as well as hand-written
		// word loads would (measured: no faster as uint32 operations).
		t := f.alpha()
		for i := 0; i < len(s); i += 4 {
			d[i], d[i+1], d[i+2], d[i+3] = s[i+2], s[i+1], s[i], t
		}
	case f.is(32, 0, 8, 16): // XBGR8888: the RGBA byte order, alpha aside
		t := f.alpha()
		for i := 0; i < len(s); i += 4 {
			d[i], d[i+1], d[i+2], d[i+3] = s[i], s[i+1], s[i+2], t
		}
	case f.is(24, 16, 8, 0): // RGB888 (VESA): bytes B G R
		for i, j := 0, 0; i < len(s); i, j = i+4, j+3 {
			d[j], d[j+1], d[j+2] = s[i+2], s[i+1], s[i]
		}
	case f.BitsPerPixel == 16 && f.Red == (Bitfield{11, 5}) && f.Green == (Bitfield{5, 6}) && f.Blue == (Bitfield{0, 5}):
		// RGB565, the usual small-panel format.
		for i, j := 0, 0; i < len(s); i, j = i+4, j+2 {
			v := uint16(s[i]>>3)<<11 | uint16(s[i+1]>>2)<<5 | uint16(s[i+2]>>3)
			d[j], d[j+1] = byte(v), byte(v>>8)
		}
	default:
		f.convertGeneric(d, s)
	}
}

// is reports an 8-bit-per-channel format with the given depth and offsets.
func (f Format) is(bpp int, r, g, b uint32) bool {
	return f.BitsPerPixel == bpp &&
		f.Red == Bitfield{r, 8} && f.Green == Bitfield{g, 8} && f.Blue == Bitfield{b, 8} &&
		(f.Transp.Length == 0 || f.Transp == Bitfield{24, 8})
}

// alpha is the fourth byte of a 32-bit pixel in the fast paths: opaque if
// the format has alpha, zero padding otherwise.
func (f Format) alpha() byte {
	if f.Transp.Length > 0 {
		return 0xff
	}
	return 0
}

// convertGeneric packs each pixel by the bitfields: any layout of up to 8
// bits per channel in a 16, 24 or 32-bit pixel.
func (f Format) convertGeneric(d, s []byte) {
	bpp := f.BitsPerPixel / 8
	var t uint32
	if f.Transp.Length > 0 {
		t = (1<<f.Transp.Length - 1) << f.Transp.Offset
	}
	for i, j := 0, 0; i < len(s); i, j = i+4, j+bpp {
		v := t | field(s[i], f.Red) | field(s[i+1], f.Green) | field(s[i+2], f.Blue)
		for k := range bpp {
			d[j+k] = byte(v >> (8 * k))
		}
	}
}

// field places the top b.Length bits of an 8-bit channel value c.
func field(c uint8, b Bitfield) uint32 {
	return uint32(c>>(8-b.Length)) << b.Offset
}
