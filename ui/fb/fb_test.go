package fb

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"testing"
)

// formats are the layouts a board may hand us: QEMU's bochs and virtio
// (XRGB8888), VESA at 24 bits, RGB565 and BGR565 panels, an ABGR and an
// ARGB mode, and RGB555, which only the generic path handles.
var formats = map[string]Format{
	"xrgb8888": {BitsPerPixel: 32, Red: Bitfield{16, 8}, Green: Bitfield{8, 8}, Blue: Bitfield{0, 8}},
	"argb8888": {BitsPerPixel: 32, Red: Bitfield{16, 8}, Green: Bitfield{8, 8}, Blue: Bitfield{0, 8}, Transp: Bitfield{24, 8}},
	"xbgr8888": {BitsPerPixel: 32, Red: Bitfield{0, 8}, Green: Bitfield{8, 8}, Blue: Bitfield{16, 8}},
	"rgbx8888": {BitsPerPixel: 32, Red: Bitfield{24, 8}, Green: Bitfield{16, 8}, Blue: Bitfield{8, 8}},
	"rgb888":   {BitsPerPixel: 24, Red: Bitfield{16, 8}, Green: Bitfield{8, 8}, Blue: Bitfield{0, 8}},
	"bgr888":   {BitsPerPixel: 24, Red: Bitfield{0, 8}, Green: Bitfield{8, 8}, Blue: Bitfield{16, 8}},
	"rgb565":   {BitsPerPixel: 16, Red: Bitfield{11, 5}, Green: Bitfield{5, 6}, Blue: Bitfield{0, 5}},
	"bgr565":   {BitsPerPixel: 16, Red: Bitfield{0, 5}, Green: Bitfield{5, 6}, Blue: Bitfield{11, 5}},
	"argb1555": {BitsPerPixel: 16, Red: Bitfield{10, 5}, Green: Bitfield{5, 5}, Blue: Bitfield{0, 5}, Transp: Bitfield{15, 1}},
}

// decode reads pixel (x, y) back out of mem by the bitfields, written
// independently of Blit: little-endian value, then each channel's bits
// scaled back to the top of a byte.
func decode(mem []byte, f Format, x, y int) (r, g, b, a uint8) {
	bpp := f.BitsPerPixel / 8
	o := (f.YOffset+y)*f.Stride + (f.XOffset+x)*bpp
	var v uint32
	for k := bpp - 1; k >= 0; k-- {
		v = v<<8 | uint32(mem[o+k])
	}
	get := func(bf Bitfield) uint8 {
		if bf.Length == 0 {
			return 0
		}
		return uint8((v >> bf.Offset & (1<<bf.Length - 1)) << (8 - bf.Length))
	}
	return get(f.Red), get(f.Green), get(f.Blue), get(f.Transp)
}

// testFrame is a frame whose every pixel differs in every channel.
func testFrame(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{uint8(x*37 + y*11), uint8(x*13 + y*71 + 5), uint8(x*101 + y*7 + 9), 255})
		}
	}
	return img
}

const sentinel = 0xA5

func TestBlitEveryFormat(t *testing.T) {
	const w, h = 13, 7
	src := testFrame(w, h)
	dirty := image.Rect(2, 1, 11, 6)
	for name, f := range formats {
		t.Run(name, func(t *testing.T) {
			f.Width, f.Height = w, h
			f.XOffset, f.YOffset = 3, 2 // a panned visible area
			f.Stride = (f.XOffset+w)*f.BitsPerPixel/8 + 5
			mem := make([]byte, f.Stride*(f.YOffset+h+1))
			for i := range mem {
				mem[i] = sentinel
			}
			if err := f.Validate(len(mem)); err != nil {
				t.Fatal(err)
			}
			Blit(mem, f, src, dirty)
			bpp := f.BitsPerPixel / 8
			for y := range h {
				for x := range w {
					o := (f.YOffset+y)*f.Stride + (f.XOffset+x)*bpp
					if !(image.Point{x, y}).In(dirty) {
						for k := range bpp {
							if mem[o+k] != sentinel {
								t.Fatalf("pixel (%d,%d) outside the dirty rectangle was written", x, y)
							}
						}
						continue
					}
					c := src.RGBAAt(x, y)
					r, g, b, a := decode(mem, f, x, y)
					mask := func(v uint8, bf Bitfield) uint8 { return v &^ (1<<(8-bf.Length) - 1) }
					if r != mask(c.R, f.Red) || g != mask(c.G, f.Green) || b != mask(c.B, f.Blue) {
						t.Fatalf("pixel (%d,%d) = %d,%d,%d; want %d,%d,%d", x, y, r, g, b, mask(c.R, f.Red), mask(c.G, f.Green), mask(c.B, f.Blue))
					}
					if want := mask(0xff, f.Transp); f.Transp.Length > 0 && a != want {
						t.Fatalf("pixel (%d,%d) alpha %d, want opaque %d", x, y, a, want)
					}
				}
			}
			// Bytes outside the visible lines, and line padding, stay.
			for i, v := range mem {
				line, col := i/f.Stride, i%f.Stride
				inside := line >= f.YOffset && line < f.YOffset+h && col >= f.XOffset*bpp && col < (f.XOffset+w)*bpp
				if !inside && v != sentinel {
					t.Fatalf("byte %d (line %d col %d) outside the visible area was written", i, line, col)
				}
			}
		})
	}
}

// The fast paths must agree byte for byte with the generic packer.
func TestFastPathsMatchGeneric(t *testing.T) {
	src := testFrame(31, 3)
	for name, f := range formats {
		f.Width, f.Height, f.Stride = 31, 3, 31*f.BitsPerPixel/8
		fast := make([]byte, f.Stride*3)
		slow := make([]byte, f.Stride*3)
		Blit(fast, f, src, src.Rect)
		for y := range 3 {
			row := src.Pix[src.PixOffset(0, y):][:31*4]
			f.convertGeneric(slow[y*f.Stride:][:f.Stride], row)
		}
		if string(fast) != string(slow) {
			t.Errorf("%s: fast path differs from the generic packer", name)
		}
	}
}

func TestBlitClips(t *testing.T) {
	f := formats["xrgb8888"]
	f.Width, f.Height, f.Stride = 8, 8, 32
	mem := make([]byte, 8*32)
	Blit(mem, f, testFrame(16, 16), image.Rect(-5, -5, 50, 50)) // must not panic
	Blit(mem, f, testFrame(4, 4), image.Rect(0, 0, 8, 8))       // smaller frame than screen
	Blit(mem, f, testFrame(8, 8), image.Rectangle{})
}

func TestValidate(t *testing.T) {
	ok := formats["rgb565"]
	ok.Width, ok.Height, ok.Stride = 240, 320, 480
	if err := ok.Validate(480 * 320); err != nil {
		t.Fatalf("valid format refused: %v", err)
	}
	for name, tc := range map[string]struct {
		mod   func(*Format)
		mem   int
		unsup bool
	}{
		"8bpp palette": {func(f *Format) { f.BitsPerPixel = 8 }, 480 * 320, true},
		"12bpp":        {func(f *Format) { f.BitsPerPixel = 12 }, 480 * 320, true},
		"field past":   {func(f *Format) { f.Red = Bitfield{12, 5} }, 480 * 320, true},
		"10-bit field": {func(f *Format) { f.BitsPerPixel, f.Red = 32, Bitfield{20, 10} }, 960 * 320, true},
		"no green":     {func(f *Format) { f.Green = Bitfield{} }, 480 * 320, true},
		"short line":   {func(f *Format) { f.Stride = 400 }, 480 * 320, false},
		"short memory": {func(f *Format) {}, 480*320 - 1, false},
		"panned out":   {func(f *Format) { f.YOffset = 320 }, 480 * 320, false},
		"empty":        {func(f *Format) { f.Width = 0 }, 480 * 320, false},
	} {
		f := ok
		tc.mod(&f)
		err := f.Validate(tc.mem)
		if err == nil {
			t.Errorf("%s: Validate accepted %+v", name, f)
			continue
		}
		if got := errors.Is(err, ErrUnsupported); got != tc.unsup {
			t.Errorf("%s: errors.Is(%v, ErrUnsupported) = %v, want %v", name, err, got, tc.unsup)
		}
	}
}

func BenchmarkBlit(b *testing.B) {
	for _, tc := range []struct {
		name string
		w, h int
	}{{"240x320", 240, 320}, {"480x800", 480, 800}, {"1280x800", 1280, 800}} {
		for _, name := range []string{"xrgb8888", "rgb888", "rgb565", "argb1555"} {
			f := formats[name]
			f.Width, f.Height, f.Stride = tc.w, tc.h, tc.w*f.BitsPerPixel/8
			mem := make([]byte, f.Stride*tc.h)
			src := testFrame(tc.w, tc.h)
			b.Run(fmt.Sprintf("%s/%s", tc.name, name), func(b *testing.B) {
				b.SetBytes(int64(tc.w * tc.h * 4))
				for b.Loop() {
					Blit(mem, f, src, src.Rect)
				}
			})
		}
	}
}
