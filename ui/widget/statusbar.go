package widget

import (
	"fmt"
	"image"
	"image/color"
)

// Status is what the status bar shows; the screen fills it from the daemon's
// state.
type Status struct {
	Network  string // operator, or why there is none ("No SIM", "Searching")
	RAT      string // "LTE", "UMTS", "GSM"; empty when unregistered
	Bars     int    // 0..5
	Linked   bool   // connected to the exchange
	Battery  int    // percent; -1 when the board has no fuel gauge
	Charging bool
	Warn     bool // the network is degraded (2G, no data): draw RAT in the warning colour
}

// StatusStyle is how the status bar looks.
type StatusStyle struct {
	Text  Style // font, colour and background of the bar
	Good  color.RGBA
	Warn  color.RGBA
	Bad   color.RGBA
	Faint color.RGBA // empty signal bars, battery outline
	Gap   int        // between items
}

// StatusBar is the strip at the top of every screen: signal, RAT and
// operator on the left; the exchange link and the battery on the right.
type StatusBar struct {
	Base
	st StatusStyle
	s  Status
}

// NewStatusBar returns a status bar showing s.
func NewStatusBar(r image.Rectangle, st StatusStyle, s Status) *StatusBar {
	return &StatusBar{Base: Base{rect: r}, st: st, s: s}
}

// SetStatus updates the bar, repainting only if something changed.
func (b *StatusBar) SetStatus(s Status) {
	if s != b.s {
		b.s = s
		b.Invalidate()
	}
}

// Draw implements Widget.
func (b *StatusBar) Draw(dst *image.RGBA) {
	st, s, r := b.st, b.s, b.rect
	FillRect(dst, r, st.Text.Bg)
	f := st.Text.Font
	h := r.Dy()
	icon := h * 6 / 10 // icon height
	top := r.Min.Y + (h-icon)/2
	base := r.Min.Y + (h-f.Height())/2 + f.Ascent()
	x := r.Min.X + st.Text.PadX

	// Left: signal bars, RAT, network name.
	x = DrawBars(dst, image.Rect(x, top, x+barsWidth(icon), top+icon), s.Bars, st.Text.Fg, st.Faint) + st.Gap
	if s.RAT != "" {
		c := st.Text.Fg
		if s.Warn {
			c = st.Warn
		}
		x = f.Draw(dst, x, base, s.RAT, c) + st.Gap
	}

	// Right, from the edge inwards: battery, link.
	rx := r.Max.X - st.Text.PadX
	if s.Battery >= 0 {
		rx = drawBattery(dst, rx, top, icon, s.Battery, s.Charging, st)
		pct := fmt.Sprintf("%d%%", s.Battery)
		rx -= st.Gap/2 + f.Measure(pct)
		f.Draw(dst, rx, base, pct, st.Text.Fg)
		rx -= st.Gap
	}
	lockC := st.Good
	if !s.Linked {
		lockC = st.Bad
	}
	rx = DrawPadlock(dst, image.Rect(rx-icon*8/10, top, rx, top+icon), s.Linked, lockC) - st.Gap

	netC := st.Text.Fg
	if s.Warn {
		netC = st.Warn
	}
	f.Draw(dst, x, base, Fit(f, s.Network, rx-x), netC)
}

// barsWidth is the width of five signal bars of height h.
func barsWidth(h int) int {
	w := max(2, h/5)
	return 5*w + 4*max(1, w/2)
}

// DrawBars draws five signal bars, n of them lit, in r (bottom-aligned,
// rising left to right) and returns the x after them.
func DrawBars(dst *image.RGBA, r image.Rectangle, n int, on, off color.RGBA) int {
	h := r.Dy()
	w := max(2, h/5)
	gap := max(1, w/2)
	if full := 5*w + 4*gap; full < r.Dx() {
		w = (r.Dx() - 4*gap) / 5
	}
	x := r.Min.X
	for i := range 5 {
		bh := h * (i + 1) / 5
		c := off
		if i < n {
			c = on
		}
		FillRect(dst, image.Rect(x, r.Max.Y-bh, x+w, r.Max.Y), c)
		x += w + gap
	}
	return x - gap
}

// drawBattery draws a battery whose right edge is at rx and returns its left x.
func drawBattery(dst *image.RGBA, rx, top, h, pct int, charging bool, st StatusStyle) int {
	bh := h * 7 / 10
	bw := h * 13 / 10
	nub := max(2, h/8)
	y := top + (h-bh)/2
	body := image.Rect(rx-bw, y, rx-nub, y+bh)
	line := max(1, h/10)
	StrokeRoundRect(dst, body, line, line, st.Text.Fg)
	FillRect(dst, image.Rect(rx-nub, y+bh/4, rx, y+bh-bh/4), st.Text.Fg)
	in := body.Inset(line * 2)
	fill := st.Text.Fg
	switch {
	case charging:
		fill = st.Good
	case pct <= 15:
		fill = st.Bad
	}
	w := in.Dx() * max(0, min(pct, 100)) / 100
	FillRect(dst, image.Rect(in.Min.X, in.Min.Y, in.Min.X+w, in.Max.Y), fill)
	return body.Min.X
}

// DrawPadlock draws a padlock, shut or open, filling r's height and
// right-aligned in it, and returns its left x.
func DrawPadlock(dst *image.RGBA, r image.Rectangle, shut bool, c color.RGBA) int {
	h := r.Dy()
	w := min(r.Dx(), h*8/10)
	top := r.Min.Y
	bodyH := h * 55 / 100
	body := image.Rect(r.Max.X-w, top+h-bodyH, r.Max.X, top+h)
	ring := float64(w) * 0.34
	line := max(1.5, float64(h)/8)
	cx := float64(body.Min.X) + float64(w)/2
	cy := float64(body.Min.Y)
	if !shut {
		cx += float64(w) * 0.45
		cy -= float64(h) * 0.12
	}
	// The shackle: a ring whose lower half the body covers.
	StrokeCircle(dst, cx, cy, ring, line, c)
	FillRoundRect(dst, body, max(1, h/10), c)
	return body.Min.X
}
