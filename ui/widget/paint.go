package widget

import (
	"image"
	"image/color"
	"image/draw"
	"math"
)

// FillRect fills r with c (which may be translucent, premultiplied).
func FillRect(dst *image.RGBA, r image.Rectangle, c color.RGBA) {
	if c.A == 0 {
		return
	}
	op := draw.Over
	if c.A == 0xff {
		op = draw.Src
	}
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, op)
}

// FillRoundRect fills r with c, with corners of radius rad antialiased.
func FillRoundRect(dst *image.RGBA, r image.Rectangle, rad int, c color.RGBA) {
	rad = min(rad, r.Dx()/2, r.Dy()/2)
	if rad <= 0 {
		FillRect(dst, r, c)
		return
	}
	// The cross of full rows and columns, then the four corners.
	FillRect(dst, image.Rect(r.Min.X+rad, r.Min.Y, r.Max.X-rad, r.Max.Y), c)
	FillRect(dst, image.Rect(r.Min.X, r.Min.Y+rad, r.Min.X+rad, r.Max.Y-rad), c)
	FillRect(dst, image.Rect(r.Max.X-rad, r.Min.Y+rad, r.Max.X, r.Max.Y-rad), c)
	fr := float64(rad)
	corner := func(x0, y0 int, cx, cy float64) {
		for y := y0; y < y0+rad; y++ {
			for x := x0; x < x0+rad; x++ {
				blend(dst, x, y, c, coverage(float64(x)+0.5-cx, float64(y)+0.5-cy, fr))
			}
		}
	}
	corner(r.Min.X, r.Min.Y, float64(r.Min.X+rad), float64(r.Min.Y+rad))
	corner(r.Max.X-rad, r.Min.Y, float64(r.Max.X-rad), float64(r.Min.Y+rad))
	corner(r.Min.X, r.Max.Y-rad, float64(r.Min.X+rad), float64(r.Max.Y-rad))
	corner(r.Max.X-rad, r.Max.Y-rad, float64(r.Max.X-rad), float64(r.Max.Y-rad))
}

// StrokeRoundRect draws a border of width w inside r.
func StrokeRoundRect(dst *image.RGBA, r image.Rectangle, rad, w int, c color.RGBA) {
	rad = min(rad, r.Dx()/2, r.Dy()/2)
	in := r.Inset(w)
	irad := max(rad-w, 0)
	// Straight edges are plain fills; only the corner squares need
	// per-pixel coverage, the difference of the outer and inner shapes.
	e := min(max(rad, w), r.Dx()/2, r.Dy()/2)
	FillRect(dst, image.Rect(r.Min.X+e, r.Min.Y, r.Max.X-e, r.Min.Y+w), c)
	FillRect(dst, image.Rect(r.Min.X+e, r.Max.Y-w, r.Max.X-e, r.Max.Y), c)
	FillRect(dst, image.Rect(r.Min.X, r.Min.Y+e, r.Min.X+w, r.Max.Y-e), c)
	FillRect(dst, image.Rect(r.Max.X-w, r.Min.Y+e, r.Max.X, r.Max.Y-e), c)
	corners := []image.Rectangle{
		image.Rect(r.Min.X, r.Min.Y, r.Min.X+e, r.Min.Y+e),
		image.Rect(r.Max.X-e, r.Min.Y, r.Max.X, r.Min.Y+e),
		image.Rect(r.Min.X, r.Max.Y-e, r.Min.X+e, r.Max.Y),
		image.Rect(r.Max.X-e, r.Max.Y-e, r.Max.X, r.Max.Y),
	}
	for _, q := range corners {
		q = q.Intersect(dst.Bounds())
		for y := q.Min.Y; y < q.Max.Y; y++ {
			for x := q.Min.X; x < q.Max.X; x++ {
				px, py := float64(x)+0.5, float64(y)+0.5
				a := roundRectCoverage(r, rad, px, py) - roundRectCoverage(in, irad, px, py)
				if a > 0 {
					blend(dst, x, y, c, a)
				}
			}
		}
	}
}

// roundRectCoverage is how much of the pixel centred on (px, py) lies inside
// the rounded rectangle r.
func roundRectCoverage(r image.Rectangle, rad int, px, py float64) float64 {
	if r.Empty() {
		return 0
	}
	x0, y0, x1, y1 := float64(r.Min.X), float64(r.Min.Y), float64(r.Max.X), float64(r.Max.Y)
	if px < x0 || px > x1 || py < y0 || py > y1 {
		return 0
	}
	fr := float64(rad)
	cx := math.Max(x0+fr, math.Min(px, x1-fr))
	cy := math.Max(y0+fr, math.Min(py, y1-fr))
	if cx == px || cy == py {
		return 1
	}
	return coverage(px-cx, py-cy, fr)
}

// FillCircle fills the disc of radius rad centred on (cx, cy), antialiased.
func FillCircle(dst *image.RGBA, cx, cy, rad float64, c color.RGBA) {
	b := image.Rect(int(math.Floor(cx-rad)), int(math.Floor(cy-rad)), int(math.Ceil(cx+rad)), int(math.Ceil(cy+rad))).Intersect(dst.Bounds())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			blend(dst, x, y, c, coverage(float64(x)+0.5-cx, float64(y)+0.5-cy, rad))
		}
	}
}

// StrokeCircle draws a ring of width w inside the circle of radius rad.
func StrokeCircle(dst *image.RGBA, cx, cy, rad, w float64, c color.RGBA) {
	b := image.Rect(int(math.Floor(cx-rad)), int(math.Floor(cy-rad)), int(math.Ceil(cx+rad)), int(math.Ceil(cy+rad))).Intersect(dst.Bounds())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			a := coverage(dx, dy, rad) - coverage(dx, dy, rad-w)
			if a > 0 {
				blend(dst, x, y, c, a)
			}
		}
	}
}

// coverage approximates the part of a pixel at offset (dx, dy) from a
// circle's centre that lies inside radius r, by its distance to the edge.
func coverage(dx, dy, r float64) float64 {
	if r <= 0 {
		return 0
	}
	d := math.Sqrt(dx*dx + dy*dy)
	return math.Max(0, math.Min(1, r-d+0.5))
}

// blend paints c over the pixel at (x, y) with coverage a in [0, 1].
func blend(dst *image.RGBA, x, y int, c color.RGBA, a float64) {
	if a <= 0 || !(image.Point{x, y}.In(dst.Rect)) {
		return
	}
	i := dst.PixOffset(x, y)
	p := dst.Pix[i : i+4 : i+4]
	// c is premultiplied: out = c*a + dst*(1 - c.A*a).
	ca := uint32(a*255 + 0.5)
	inv := 255*255 - uint32(c.A)*ca
	p[0] = uint8((uint32(c.R)*ca*255 + uint32(p[0])*inv + 255*255/2) / (255 * 255))
	p[1] = uint8((uint32(c.G)*ca*255 + uint32(p[1])*inv + 255*255/2) / (255 * 255))
	p[2] = uint8((uint32(c.B)*ca*255 + uint32(p[2])*inv + 255*255/2) / (255 * 255))
	p[3] = uint8((uint32(c.A)*ca*255 + uint32(p[3])*inv + 255*255/2) / (255 * 255))
}
