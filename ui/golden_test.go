package ui

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"mehfooz/daemon/state"
	"mehfooz/ui/theme"
)

var update = flag.Bool("update", false, "rewrite the golden PNGs in testdata/golden")

// sizes are the panels every screen is checked at: a keypad phone, a larger
// handset, and the QEMU board's bochs framebuffer.
var sizes = []image.Point{{240, 320}, {480, 800}, {1280, 800}}

// tolerance is the largest per-channel difference a golden comparison
// accepts. Rendering is deterministic here, so on this machine frames match
// exactly; the slack absorbs float rounding in the rasterizer on other
// architectures (fused multiply-add), while any real change (a moved
// widget, different text or colour) differs by far more.
const tolerance = 3

// renderFixture draws fixture f on a fresh UI of size sz and returns the
// frame and the intents sent.
func renderFixture(t testing.TB, f fixture, sz image.Point) (*image.RGBA, []state.Intent) {
	t.Helper()
	th, err := theme.New(image.Rectangle{Max: sz}, theme.Dark)
	if err != nil {
		t.Fatal(err)
	}
	var sent []state.Intent
	c := newCore(th, func(i state.Intent) { sent = append(sent, i) }, t0)
	c.apply(f.snap(), t0)
	for _, k := range f.keys {
		c.key(k)
	}
	c.tick(t0.Add(f.at))
	c.render()
	return c.frame, sent
}

func TestGolden(t *testing.T) {
	for _, f := range fixtures() {
		for _, sz := range sizes {
			name := fmt.Sprintf("%s-%dx%d", f.name, sz.X, sz.Y)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				got, _ := renderFixture(t, f, sz)
				path := filepath.Join("testdata", "golden", name+".png")
				if *update {
					writePNG(t, path, got)
					return
				}
				want := readPNG(t, path)
				if n, worst := diff(got, want); n > 0 {
					out := filepath.Join(t.TempDir(), name+".png")
					writePNG(t, out, got)
					t.Fatalf("%d pixels differ from %s (worst by %d); got is in %s; rerun with -update if the change is intended", n, path, worst, out)
				}
			})
		}
	}
}

// diff counts the pixels whose channels differ by more than tolerance and
// returns the largest difference seen.
func diff(got *image.RGBA, want image.Image) (n, worst int) {
	if got.Bounds() != want.Bounds() {
		return got.Bounds().Dx() * got.Bounds().Dy(), 255
	}
	w, ok := want.(*image.RGBA)
	if !ok {
		w = image.NewRGBA(want.Bounds())
		draw.Draw(w, w.Rect, want, w.Rect.Min, draw.Src)
	}
	if bytes.Equal(got.Pix, w.Pix) {
		return 0, 0
	}
	for i := 0; i+4 <= len(got.Pix); i += 4 {
		d := 0
		for c := range 4 {
			d = max(d, absDiff(got.Pix[i+c], w.Pix[i+c]))
		}
		worst = max(worst, d)
		if d > tolerance {
			n++
		}
	}
	return n, worst
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func writePNG(t testing.TB, path string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readPNG(t testing.TB, path string) image.Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ui -run TestGolden -update to create it)", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}
