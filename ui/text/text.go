// Package text draws single lines of text for the handset UI: Go fonts for
// Latin script and digits, with Noto Naskh Arabic behind them for Urdu and
// Arabic names. Arabic letters are shaped to Unicode presentation forms and
// lines are put into visual order here, because x/image does no OpenType
// layout; see docs/ui.md for what that covers and what it does not.
//
// Glyphs are drawn at whole-pixel positions from a per-Face cache of
// rasterized masks, so the same string always produces the same pixels and a
// repaint costs a mask blend per glyph.
package text

//go:generate go run ./internal/arabicgen -o arabic_table.go

import (
	_ "embed"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Noto Naskh Arabic 2.004, unmodified, from Debian's fonts-noto-core
// 20201225-1; SIL Open Font License 1.1 (fonts/OFL.txt).
var (
	//go:embed fonts/NotoNaskhArabic-Regular.ttf
	naskhRegular []byte
	//go:embed fonts/NotoNaskhArabic-Bold.ttf
	naskhBold []byte
)

// Weight selects a family member.
type Weight uint8

const (
	Regular Weight = iota
	Bold
	Mono     // fixed-width digits: PINs, timers, authentication strings
	MonoBold //
)

// arabicScale enlarges the Arabic fallback so its letters look as big as the
// Go font's at the same pixel size (Naskh's letter bodies sit low and small
// within the em square).
const arabicScale = 1.15

type fontPair struct{ primary, arabic *opentype.Font }

var parsed = sync.OnceValues(func() (map[Weight]fontPair, error) {
	parse := func(name string, b []byte) (*opentype.Font, error) {
		f, err := opentype.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("text: parse %s: %w", name, err)
		}
		return f, nil
	}
	srcs := []struct {
		w       Weight
		name    string
		primary []byte
		arabic  []byte
	}{
		{Regular, "Go Regular", goregular.TTF, naskhRegular},
		{Bold, "Go Bold", gobold.TTF, naskhBold},
		{Mono, "Go Mono", gomono.TTF, naskhRegular},
		{MonoBold, "Go Mono Bold", gomonobold.TTF, naskhBold},
	}
	m := make(map[Weight]fontPair, len(srcs))
	for _, s := range srcs {
		p, err := parse(s.name, s.primary)
		if err != nil {
			return nil, err
		}
		a, err := parse("Noto Naskh Arabic", s.arabic)
		if err != nil {
			return nil, err
		}
		m[s.w] = fontPair{p, a}
	}
	return m, nil
})

// Face is one font weight at one pixel size, with its Arabic fallback and a
// glyph cache. A Face is not safe for concurrent use: the UI goroutine owns
// its faces.
type Face struct {
	faces   [2]font.Face // primary, Arabic fallback
	ascent  int
	descent int
	cache   map[rune]*glyph
}

// glyph is a rasterized glyph placed relative to the pen on the baseline.
type glyph struct {
	mask  *image.Alpha // nil for blank glyphs
	off   image.Point  // top-left of mask relative to the pen
	adv   int
	face  int // index into Face.faces
	known bool
}

// NewFace returns weight w at px pixels per em.
func NewFace(w Weight, px float64) (*Face, error) {
	fonts, err := parsed()
	if err != nil {
		return nil, err
	}
	pair, ok := fonts[w]
	if !ok {
		return nil, fmt.Errorf("text: unknown weight %d", w)
	}
	p, err := opentype.NewFace(pair.primary, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("text: face %v %.1fpx: %w", w, px, err)
	}
	a, err := opentype.NewFace(pair.arabic, &opentype.FaceOptions{Size: px * arabicScale, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("text: arabic face %.1fpx: %w", px, err)
	}
	m := p.Metrics()
	return &Face{
		faces:   [2]font.Face{p, a},
		ascent:  m.Ascent.Ceil(),
		descent: m.Descent.Ceil(),
		cache:   make(map[rune]*glyph),
	}, nil
}

// Ascent is the distance from the top of a line to its baseline, in pixels.
func (f *Face) Ascent() int { return f.ascent }

// Descent is the distance from the baseline to the bottom of a line.
func (f *Face) Descent() int { return f.descent }

// Height is Ascent plus Descent: the height of one line.
func (f *Face) Height() int { return f.ascent + f.descent }

// glyphFor returns the cached glyph for r, rasterizing it on first use from
// the first face that has it; a rune no face has gets the primary face's
// missing-glyph box, so an unsupported character shows as a box, never as
// nothing.
func (f *Face) glyphFor(r rune) *glyph {
	if g, ok := f.cache[r]; ok {
		return g
	}
	var g *glyph
	for i, face := range f.faces {
		if dr, mask, mp, adv, ok := face.Glyph(fixed.Point26_6{}, r); ok {
			g = newGlyph(dr, mask, mp, adv, i, true)
			break
		}
	}
	if g == nil {
		dr, mask, mp, adv, _ := f.faces[0].Glyph(fixed.Point26_6{}, r)
		g = newGlyph(dr, mask, mp, adv, 0, false)
	}
	f.cache[r] = g
	return g
}

// newGlyph copies a mask out of the face's scratch buffer, which the next
// Glyph call reuses.
func newGlyph(dr image.Rectangle, mask image.Image, mp image.Point, adv fixed.Int26_6, face int, known bool) *glyph {
	g := &glyph{off: dr.Min, adv: adv.Round(), face: face, known: known}
	if !dr.Empty() && mask != nil {
		a := image.NewAlpha(image.Rect(0, 0, dr.Dx(), dr.Dy()))
		draw.Draw(a, a.Rect, mask, mp, draw.Src)
		g.mask = a
	}
	return g
}

// layout returns s as glyphs in visual order and the pen advance before each.
func (f *Face) layout(s string) ([]*glyph, []int, int) {
	rs := visual(shape([]rune(s)))
	gs := make([]*glyph, 0, len(rs))
	xs := make([]int, 0, len(rs))
	x := 0
	var prev rune = -1
	prevFace := -1
	for _, r := range rs {
		if r == zwj || r == zwnj {
			continue
		}
		g := f.glyphFor(r)
		if prev >= 0 && prevFace == g.face && g.face == 0 {
			x += f.faces[0].Kern(prev, r).Round()
		}
		gs = append(gs, g)
		xs = append(xs, x)
		x += g.adv
		prev, prevFace = r, g.face
	}
	return gs, xs, x
}

// Measure returns the width of s in pixels as Draw would draw it.
func (f *Face) Measure(s string) int {
	_, _, w := f.layout(s)
	return w
}

// Covers reports whether every letter of s has a glyph in this Face.
func (f *Face) Covers(s string) bool {
	for _, r := range shape([]rune(s)) {
		if r == ' ' || r == zwj || r == zwnj {
			continue
		}
		if !f.glyphFor(r).known {
			return false
		}
	}
	return true
}

// Draw draws s with its pen starting at x on baseline y, in colour c, clipped
// to dst's bounds, and returns the pen's end x.
func (f *Face) Draw(dst *image.RGBA, x, y int, s string, c color.Color) int {
	gs, xs, w := f.layout(s)
	src := image.NewUniform(c)
	clip := dst.Bounds()
	for i, g := range gs {
		if g.mask == nil {
			continue
		}
		r := g.mask.Rect.Add(image.Pt(x+xs[i], y).Add(g.off))
		vis := r.Intersect(clip)
		if vis.Empty() {
			continue
		}
		draw.DrawMask(dst, vis, src, image.Point{}, g.mask, vis.Min.Sub(r.Min), draw.Over)
	}
	return x + w
}
