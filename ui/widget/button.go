package widget

import (
	"image"

	"mehfooz/ui/key"
)

// Button is a labelled action. It draws in Style until focused, then in
// Focus with a ring, so where OK will act is never in doubt.
type Button struct {
	Base
	style, focus Style
	ring         int
	text         string
	focused      bool
	onPress      func()
}

// NewButton returns a button that calls onPress when OK is pressed on it.
func NewButton(r image.Rectangle, st, focus Style, ring int, s string, onPress func()) *Button {
	return &Button{Base: Base{rect: r}, style: st, focus: focus, ring: ring, text: s, onPress: onPress}
}

// SetText changes the label.
func (b *Button) SetText(s string) {
	if s != b.text {
		b.text = s
		b.Invalidate()
	}
}

// Focused reports whether the button holds the focus.
func (b *Button) Focused() bool { return b.focused }

// SetFocused implements Focusable.
func (b *Button) SetFocused(f bool) {
	if f != b.focused {
		b.focused = f
		b.Invalidate()
	}
}

// HandleKey implements Focusable: OK presses the button.
func (b *Button) HandleKey(k key.Key) bool {
	if k == key.OK && b.onPress != nil {
		b.onPress()
		return true
	}
	return false
}

// Draw implements Widget.
func (b *Button) Draw(dst *image.RGBA) {
	st := b.style
	if b.focused {
		st = b.focus
	}
	FillRoundRect(dst, b.rect, st.Radius, st.Bg)
	if b.focused && b.ring > 0 {
		StrokeRoundRect(dst, b.rect, st.Radius, b.ring, st.Fg)
	}
	if st.Font == nil {
		return
	}
	inner := b.rect.Inset(st.PadX)
	f := st.Font
	y := b.rect.Min.Y + (b.rect.Dy()-f.Height())/2 + f.Ascent()
	st.Align = AlignCenter
	drawAligned(dst, f, inner, y, Fit(f, b.text, inner.Dx()), st)
}
