package qemu

import (
	"bytes"
	"image/color"
	"strings"
	"testing"
)

func TestReadPPM(t *testing.T) {
	ppm := append([]byte("P6\n# QEMU\n2 1\n255\n"), 255, 0, 0, 1, 2, 3)
	img, err := ReadPPM(bytes.NewReader(ppm))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 2 || img.RGBAAt(0, 0) != (color.RGBA{255, 0, 0, 255}) || img.RGBAAt(1, 0) != (color.RGBA{1, 2, 3, 255}) {
		t.Fatalf("decoded %v %v", img.Bounds(), img.Pix)
	}
	for _, bad := range []string{"P3\n1 1\n255\n", "P6\n1 1\n65535\n", "P6\n99999 1\n255\n", "P6\n2 1\n255\nabc", "P6\n-1 1\n255\n"} {
		if _, err := ReadPPM(strings.NewReader(bad)); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

func FuzzReadPPM(f *testing.F) {
	f.Add(append([]byte("P6\n2 1\n255\n"), 255, 0, 0, 1, 2, 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := ReadPPM(bytes.NewReader(b))
		if err == nil && (img.Bounds().Dx() > maxSide || img.Bounds().Dy() > maxSide) {
			t.Fatalf("accepted %v", img.Bounds())
		}
	})
}
