package fb

import (
	"errors"
	"image"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"
)

func TestKernelStructSizes(t *testing.T) {
	if n := unsafe.Sizeof(varScreenInfo{}); n != 160 {
		t.Fatalf("fb_var_screeninfo is %d bytes, want 160", n)
	}
	want := uintptr(68)
	if unsafe.Sizeof(uintptr(0)) == 8 {
		want = 80
	}
	if n := unsafe.Sizeof(fixScreenInfo{}); n != want {
		t.Fatalf("fb_fix_screeninfo is %d bytes, want %d", n, want)
	}
	if off := unsafe.Offsetof(fixScreenInfo{}.LineLength); unsafe.Sizeof(uintptr(0)) == 8 && off != 48 {
		t.Fatalf("line_length at offset %d, want 48", off)
	}
}

// The screen info QEMU's bochs-drm and VESA framebuffers report (measured
// in the QEMU boots of the image research).
func TestFormatOfMeasuredBoards(t *testing.T) {
	bochs := varScreenInfo{XRes: 1280, YRes: 800, XResVirtual: 1280, YResVirtual: 800, BitsPerPixel: 32,
		Red: bitfield{16, 8, 0}, Green: bitfield{8, 8, 0}, Blue: bitfield{0, 8, 0}}
	fix := fixScreenInfo{SmemLen: 5120 * 800, LineLength: 5120, Visual: fbVisualTrueColor}
	f, err := formatOf(&bochs, &fix)
	if err != nil {
		t.Fatal(err)
	}
	if f.Bounds() != image.Rect(0, 0, 1280, 800) || f.Stride != 5120 || !f.is(32, 16, 8, 0) {
		t.Fatalf("bochs format = %+v", f)
	}
	vesa := varScreenInfo{XRes: 1024, YRes: 768, BitsPerPixel: 24, Red: bitfield{16, 8, 0}, Green: bitfield{8, 8, 0}, Blue: bitfield{0, 8, 0}}
	if _, err := formatOf(&vesa, &fixScreenInfo{SmemLen: 3072 * 768, LineLength: 3072, Visual: fbVisualTrueColor}); err != nil {
		t.Fatalf("VESA 24bpp refused: %v", err)
	}
	palette := fixScreenInfo{SmemLen: 1024 * 768, LineLength: 1024, Visual: 3} // FB_VISUAL_PSEUDOCOLOR
	if _, err := formatOf(&varScreenInfo{XRes: 1024, YRes: 768, BitsPerPixel: 8}, &palette); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("palette mode: %v, want ErrUnsupported", err)
	}
	msb := bochs
	msb.Red.MSBRight = 1
	if _, err := formatOf(&msb, &fix); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("msb_right: %v, want ErrUnsupported", err)
	}
}

func TestOpenRefusesNonFramebuffer(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "fb0"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Open(f); !errors.Is(err, syscall.ENOTTY) {
		t.Fatalf("Open(regular file) = %v, want ENOTTY", err)
	}
}

// mapFile and Flush against a real shared mapping of a file: the bytes land
// in the file, as they would in video memory.
func TestFlushThroughMapping(t *testing.T) {
	f := formats["rgb565"]
	f.Width, f.Height, f.Stride = 20, 10, 48
	file, err := os.Create(filepath.Join(t.TempDir(), "vram"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	n := f.Stride * f.Height
	if err := file.Truncate(int64(n)); err != nil {
		t.Fatal(err)
	}
	if _, err := mapFile(int(file.Fd()), 9*f.Stride+20*2-1, f); err == nil { // one byte short of the last pixel
		t.Fatal("mapped too little memory for the format")
	}
	d, err := mapFile(int(file.Fd()), n, f)
	if err != nil {
		t.Fatal(err)
	}
	src := testFrame(20, 10)
	if err := d.Flush(src, []image.Rectangle{image.Rect(0, 0, 20, 10)}); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Flush(src, []image.Rectangle{src.Rect}); err == nil {
		t.Fatal("Flush after Close succeeded")
	}
	got, err := os.ReadFile(file.Name())
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, n)
	Blit(want, f, src, src.Rect)
	if string(got) != string(want) {
		t.Fatal("file behind the mapping does not hold the blitted frame")
	}
}
