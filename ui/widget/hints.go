package widget

import "image"

// Hints is the bottom bar that names what the soft keys, OK and the call
// keys do on this screen: left, centre and right.
type Hints struct {
	Base
	style               Style
	left, center, right string
}

// NewHints returns a hint bar.
func NewHints(r image.Rectangle, st Style, left, center, right string) *Hints {
	return &Hints{Base: Base{rect: r}, style: st, left: left, center: center, right: right}
}

// Set changes the three hints.
func (h *Hints) Set(left, center, right string) {
	if left != h.left || center != h.center || right != h.right {
		h.left, h.center, h.right = left, center, right
		h.Invalidate()
	}
}

// Draw implements Widget.
func (h *Hints) Draw(dst *image.RGBA) {
	st := h.style
	FillRect(dst, h.rect, st.Bg)
	f := st.Font
	inner := image.Rect(h.rect.Min.X+st.PadX, h.rect.Min.Y, h.rect.Max.X-st.PadX, h.rect.Max.Y)
	y := h.rect.Min.Y + (h.rect.Dy()-f.Height())/2 + f.Ascent()
	third := inner.Dx() / 3
	for i, s := range []string{h.left, h.center, h.right} {
		if s == "" {
			continue
		}
		box := image.Rect(inner.Min.X+i*third, inner.Min.Y, inner.Min.X+(i+1)*third, inner.Max.Y)
		a := st
		a.Align = Align(i) // start, centre, end
		drawAligned(dst, f, box, y, Fit(f, s, box.Dx()), a)
	}
}
