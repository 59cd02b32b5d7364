package widget

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"golang.org/x/image/vector"
)

// fillPolygon fills the polygon pts (in frame pixels) with c, antialiased.
func fillPolygon(dst *image.RGBA, c color.RGBA, pts ...[2]float32) {
	if len(pts) < 3 {
		return
	}
	minX, minY, maxX, maxY := pts[0][0], pts[0][1], pts[0][0], pts[0][1]
	for _, p := range pts {
		minX, maxX = min(minX, p[0]), max(maxX, p[0])
		minY, maxY = min(minY, p[1]), max(maxY, p[1])
	}
	box := image.Rect(int(minX), int(minY), int(maxX)+1, int(maxY)+1)
	vis := box.Intersect(dst.Bounds())
	if vis.Empty() {
		return
	}
	var z vector.Rasterizer
	z.Reset(box.Dx(), box.Dy())
	ox, oy := float32(box.Min.X), float32(box.Min.Y)
	z.MoveTo(pts[0][0]-ox, pts[0][1]-oy)
	for _, p := range pts[1:] {
		z.LineTo(p[0]-ox, p[1]-oy)
	}
	z.ClosePath()
	mask := image.NewAlpha(image.Rect(0, 0, box.Dx(), box.Dy()))
	z.Draw(mask, mask.Rect, image.Opaque, image.Point{})
	draw.DrawMask(dst, vis, image.NewUniform(c), image.Point{}, mask, vis.Min.Sub(box.Min), draw.Over)
}

// DrawWarning draws a warning sign (a triangle with an exclamation mark)
// centred in r.
func DrawWarning(dst *image.RGBA, r image.Rectangle, sign, mark color.RGBA) {
	s := float32(min(r.Dx(), r.Dy()))
	cx := float32(r.Min.X) + float32(r.Dx())/2
	top := float32(r.Min.Y) + (float32(r.Dy())-s*0.87)/2
	h := s * 0.87
	fillPolygon(dst, sign, [2]float32{cx, top}, [2]float32{cx + s/2, top + h}, [2]float32{cx - s/2, top + h})
	bw := s * 0.1
	fillPolygon(dst, mark,
		[2]float32{cx - bw/2, top + h*0.32}, [2]float32{cx + bw/2, top + h*0.32},
		[2]float32{cx + bw*0.35, top + h*0.68}, [2]float32{cx - bw*0.35, top + h*0.68})
	FillCircle(dst, float64(cx), float64(top+h*0.81), float64(bw*0.55), mark)
}

// DrawCheck draws a tick centred in r, stroke width w.
func DrawCheck(dst *image.RGBA, r image.Rectangle, w float32, c color.RGBA) {
	x0, y0 := float32(r.Min.X), float32(r.Min.Y)
	sx, sy := float32(r.Dx()), float32(r.Dy())
	p := func(fx, fy float32) [2]float32 { return [2]float32{x0 + fx*sx, y0 + fy*sy} }
	stroke(dst, c, w, p(0.12, 0.55), p(0.4, 0.82))
	stroke(dst, c, w, p(0.4, 0.82), p(0.9, 0.2))
}

// DrawCross draws an X centred in r, stroke width w.
func DrawCross(dst *image.RGBA, r image.Rectangle, w float32, c color.RGBA) {
	x0, y0 := float32(r.Min.X), float32(r.Min.Y)
	sx, sy := float32(r.Dx()), float32(r.Dy())
	p := func(fx, fy float32) [2]float32 { return [2]float32{x0 + fx*sx, y0 + fy*sy} }
	stroke(dst, c, w, p(0.2, 0.2), p(0.8, 0.8))
	stroke(dst, c, w, p(0.8, 0.2), p(0.2, 0.8))
}

// stroke draws a straight line of width w from a to b with round ends.
func stroke(dst *image.RGBA, c color.RGBA, w float32, a, b [2]float32) {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l := sqrt32(dx*dx + dy*dy)
	if l == 0 {
		return
	}
	nx, ny := -dy/l*w/2, dx/l*w/2
	fillPolygon(dst, c,
		[2]float32{a[0] + nx, a[1] + ny}, [2]float32{b[0] + nx, b[1] + ny},
		[2]float32{b[0] - nx, b[1] - ny}, [2]float32{a[0] - nx, a[1] - ny})
	FillCircle(dst, float64(a[0]), float64(a[1]), float64(w/2), c)
	FillCircle(dst, float64(b[0]), float64(b[1]), float64(w/2), c)
}

func sqrt32(v float32) float32 { return float32(math.Sqrt(float64(v))) }
