package widget

import "image"

// Canvas is a widget that a screen paints itself (an authentication code,
// PIN dots, a call-quality meter): it calls Invalidate when its model
// changes, and paint draws the whole of r into dst.
type Canvas struct {
	Base
	paint func(dst *image.RGBA, r image.Rectangle)
}

// NewCanvas returns a canvas over r painted by paint.
func NewCanvas(r image.Rectangle, paint func(dst *image.RGBA, r image.Rectangle)) *Canvas {
	return &Canvas{Base: Base{rect: r}, paint: paint}
}

// Draw implements Widget.
func (c *Canvas) Draw(dst *image.RGBA) { c.paint(dst, c.rect) }

// Panel is a filled, optionally rounded rectangle: a card behind other
// widgets, or a divider.
type Panel struct {
	Base
	style Style
}

// NewPanel returns a panel filled with st.Bg, corners of st.Radius.
func NewPanel(r image.Rectangle, st Style) *Panel {
	return &Panel{Base: Base{rect: r}, style: st}
}

// SetStyle changes the panel's look.
func (p *Panel) SetStyle(st Style) {
	if st != p.style {
		p.style = st
		p.Invalidate()
	}
}

// Draw implements Widget.
func (p *Panel) Draw(dst *image.RGBA) { FillRoundRect(dst, p.rect, p.style.Radius, p.style.Bg) }
