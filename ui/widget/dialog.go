package widget

import (
	"image"
	"image/color"

	"mehfooz/ui/key"
)

// DialogStyle is how a Dialog looks.
type DialogStyle struct {
	Box         Style // background, corner radius and padding of the box
	Title       Style
	Body        Style
	Button      Style
	ButtonFocus Style
	Ring        int        // focus ring width
	Accent      color.RGBA // stripe along the top: the dialog's severity
	Margin      int        // space between the box and the screen edge
	MaxWidth    int        // the widest the box grows on a wide screen; 0 for no limit
	ButtonH     int
}

// Action is a dialog button.
type Action struct {
	Text string
	Do   func()
}

// Dialog is a modal box with a title, a wrapped message and a row of
// buttons, the first focused. It is shown with Root.SetModal and gets every
// key while shown.
type Dialog struct {
	Base
	st      DialogStyle
	title   *Label
	body    *Label
	buttons []*Button
	group   *Group
}

// NewDialog lays a dialog out centred on screen, as tall as its message needs.
func NewDialog(screen image.Rectangle, st DialogStyle, title, body string, actions ...Action) *Dialog {
	pad := st.Box.PadX
	w := screen.Dx() - 2*st.Margin
	if st.MaxWidth > 0 {
		w = min(w, st.MaxWidth)
	}
	inner := w - 2*pad
	tf, bf := st.Title.Font, st.Body.Font
	titleH := len(Wrap(tf, title, inner, 2)) * lineHeight(tf)
	maxBody := max(1, (screen.Dy()-2*st.Margin-titleH-st.ButtonH-4*pad)/lineHeight(bf))
	lines := len(Wrap(bf, body, inner, maxBody))
	bodyH := lines * lineHeight(bf)
	h := pad + titleH + pad/2 + bodyH + pad + st.ButtonH + pad
	x0 := screen.Min.X + (screen.Dx()-w)/2
	y0 := screen.Min.Y + (screen.Dy()-h)/2
	d := &Dialog{Base: Base{rect: image.Rect(x0, y0, x0+w, y0+h)}, st: st}
	y := y0 + pad
	d.title = NewParagraph(image.Rect(x0+pad, y, x0+w-pad, y+titleH), st.Title, title)
	y += titleH + pad/2
	d.body = NewParagraph(image.Rect(x0+pad, y, x0+w-pad, y+bodyH), st.Body, body)
	y += bodyH + pad
	n := max(1, len(actions))
	gap := pad / 2
	bw := (inner - gap*(n-1)) / n
	var fs []Focusable
	for i, a := range actions {
		bx := x0 + pad + i*(bw+gap)
		b := NewButton(image.Rect(bx, y, bx+bw, y+st.ButtonH), st.Button, st.ButtonFocus, st.Ring, a.Text, a.Do)
		d.buttons = append(d.buttons, b)
		fs = append(fs, b)
	}
	d.group = NewGroup(true, fs...)
	d.group.Focus(0)
	return d
}

// Children implements Container.
func (d *Dialog) Children() []Widget {
	ws := []Widget{d.title, d.body}
	for _, b := range d.buttons {
		ws = append(ws, b)
	}
	return ws
}

// HandleKey gives keys to the buttons; Left and Right move between them.
func (d *Dialog) HandleKey(k key.Key) bool { return d.group.HandleKey(k) }

// Focused returns the index of the focused button.
func (d *Dialog) Focused() int { return d.group.Index() }

// Draw implements Widget.
func (d *Dialog) Draw(dst *image.RGBA) {
	st := d.st
	FillRoundRect(dst, d.rect, st.Box.Radius, st.Box.Bg)
	if st.Accent.A != 0 {
		stripe := max(2, st.Box.PadX/3)
		top := image.Rect(d.rect.Min.X, d.rect.Min.Y, d.rect.Max.X, d.rect.Min.Y+st.Box.Radius*2)
		// The accent is the top edge of the rounded box: paint the
		// rounded top, then the box colour over all but a stripe of it.
		FillRoundRect(dst, top, st.Box.Radius, st.Accent)
		FillRect(dst, image.Rect(top.Min.X, top.Min.Y+stripe, top.Max.X, top.Max.Y), st.Box.Bg)
	}
	for _, w := range d.Children() {
		if c := dst.Bounds().Intersect(w.Bounds()); !c.Empty() {
			w.Draw(dst.SubImage(c).(*image.RGBA))
		}
	}
}
