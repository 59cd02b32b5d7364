package text

import (
	"image"
	"image/color"
	"image/draw"
	"testing"
)

func newFace(t testing.TB, w Weight, px float64) *Face {
	t.Helper()
	f, err := NewFace(w, px)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var bg = color.RGBA{16, 20, 24, 255}

func canvas(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(bg), image.Point{}, draw.Src)
	return img
}

// inked counts pixels in r that differ from the background.
func inked(img *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y) != bg {
				n++
			}
		}
	}
	return n
}

func TestMeasureMatchesDraw(t *testing.T) {
	f := newFace(t, Regular, 20)
	for _, s := range []string{"Ayesha Khan", "عائشہ خان", "Dr علی Raza", "", " "} {
		img := canvas(400, 40)
		end := f.Draw(img, 10, 30, s, color.White)
		if got, want := end-10, f.Measure(s); got != want {
			t.Errorf("%q: Draw advanced %d, Measure says %d", s, got, want)
		}
	}
	if f.Measure("WWWW") <= f.Measure("iiii") {
		t.Error("a proportional face measures WWWW no wider than iiii")
	}
	m := newFace(t, Mono, 20)
	if m.Measure("1111") != m.Measure("8888") {
		t.Error("Mono digits differ in width; timers would jitter")
	}
}

func TestCovers(t *testing.T) {
	f := newFace(t, Regular, 16)
	for s, want := range map[string]bool{
		"Ali Raza":          true,
		"علی رضا":           true,
		"ڈاکٹر پرویز ہے":    true, // Urdu letters: ddal, tteh, heh goal, yeh barree
		"۱۲۳":               true, // Extended Arabic-Indic digits
		"王":                 false,
		"Ayesha \U0001F600": false,
	} {
		if got := f.Covers(s); got != want {
			t.Errorf("Covers(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestDrawIsClippedAndDeterministic(t *testing.T) {
	f := newFace(t, Bold, 24)
	full := canvas(300, 60)
	f.Draw(full, 5, 40, "Ayesha عائشہ", color.White)
	if inked(full, full.Rect) == 0 {
		t.Fatal("Draw left no ink")
	}
	again := canvas(300, 60)
	f.Draw(again, 5, 40, "Ayesha عائشہ", color.White)
	if string(full.Pix) != string(again.Pix) {
		t.Fatal("drawing the same string twice gave different pixels")
	}
	// Drawing into a sub-image must touch nothing outside it.
	clipped := canvas(300, 60)
	clip := image.Rect(40, 20, 120, 35)
	f.Draw(clipped.SubImage(clip).(*image.RGBA), 5, 40, "Ayesha عائشہ", color.White)
	outside := inked(clipped, clipped.Rect) - inked(clipped, clip)
	if outside != 0 {
		t.Fatalf("%d pixels drawn outside the clip", outside)
	}
	for y := clip.Min.Y; y < clip.Max.Y; y++ {
		for x := clip.Min.X; x < clip.Max.X; x++ {
			if clipped.RGBAAt(x, y) != full.RGBAAt(x, y) {
				t.Fatalf("pixel (%d,%d) inside the clip differs from the unclipped draw", x, y)
			}
		}
	}
}

func TestUrduIsDrawnWithArabicGlyphs(t *testing.T) {
	f := newFace(t, Regular, 20)
	img := canvas(200, 40)
	f.Draw(img, 0, 28, "علی", color.White)
	tofu := canvas(200, 40)
	f.Draw(tofu, 0, 28, "\U000F0000\U000F0001\U000F0002", color.White) // private use: boxes
	if inked(img, img.Rect) == 0 {
		t.Fatal("Urdu name left no ink")
	}
	if string(img.Pix) == string(tofu.Pix) {
		t.Fatal("Urdu name drawn as missing-glyph boxes")
	}
	// Joined letters are narrower than the same letters isolated.
	if joined, apart := f.Measure("علی"), f.Measure("ع ل ی")-2*f.Measure(" "); joined >= apart {
		t.Errorf("joined width %d not below isolated width %d: letters were not shaped", joined, apart)
	}
}

func BenchmarkDrawLine(b *testing.B) {
	f := newFace(b, Regular, 20)
	img := canvas(480, 40)
	b.ReportAllocs()
	for b.Loop() {
		f.Draw(img, 4, 28, "Ayesha Khan · Ministry of Interior", color.White)
	}
}
