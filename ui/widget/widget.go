// Package widget is a small retained-mode toolkit for a keypad handset, in the
// manner of LVGL: widgets sit on a Root (one screen), changing a widget only
// invalidates its area, and Render repaints just the invalidated areas of an
// RGBA frame. A focus Group routes keys to the focused widget. Widgets take
// their colours and fonts from a Style, so a theme changes without code.
//
// Nothing here touches a device or knows about the daemon: screens feed
// widgets plain values, and the frame goes wherever the caller sends it.
// Widgets are not safe for concurrent use; one UI goroutine owns them all.
package widget

import (
	"image"
	"image/color"
	"image/draw"
)

// Widget is a rectangle of the screen that can paint itself.
type Widget interface {
	// Bounds is the area the widget owns on the frame.
	Bounds() image.Rectangle
	// Draw paints the widget into dst, a view of the frame clipped to
	// the part of Bounds being repainted. Drawing outside dst's bounds is
	// clipped by the image, so a widget may draw as if the whole of
	// Bounds were there.
	Draw(dst *image.RGBA)
	// Visible reports whether Render should draw the widget.
	Visible() bool
	base() *Base
}

// Base carries what every widget has: its bounds, its visibility and the Root
// it invalidates. Widgets embed it.
type Base struct {
	rect   image.Rectangle
	hidden bool
	root   *Root
}

// Bounds implements Widget.
func (b *Base) Bounds() image.Rectangle { return b.rect }

// Visible implements Widget.
func (b *Base) Visible() bool { return !b.hidden }

func (b *Base) base() *Base { return b }

// SetBounds moves the widget, invalidating where it was and where it goes.
func (b *Base) SetBounds(r image.Rectangle) {
	if r == b.rect {
		return
	}
	b.Invalidate()
	b.rect = r
	b.Invalidate()
}

// SetVisible shows or hides the widget.
func (b *Base) SetVisible(v bool) {
	if v == !b.hidden {
		return
	}
	b.hidden = !v
	b.Invalidate()
}

// Invalidate marks the widget's whole area for repaint.
func (b *Base) Invalidate() { b.InvalidateRect(b.rect) }

// InvalidateRect marks part of the widget for repaint.
func (b *Base) InvalidateRect(r image.Rectangle) {
	if b.root != nil {
		b.root.Invalidate(r.Intersect(b.rect))
	}
}

// Root is one screen: widgets in paint order over a background, an optional
// modal layer above them, and the list of areas waiting to be repainted.
type Root struct {
	rect    image.Rectangle
	bg      color.RGBA
	widgets []Widget
	modal   []Widget // drawn above a dimmed screen while set
	dim     color.RGBA
	dirty   dirtyList
}

// NewRoot returns an empty screen of the given size, all of it dirty.
func NewRoot(r image.Rectangle, bg color.RGBA) *Root {
	root := &Root{rect: r, bg: bg}
	root.InvalidateAll()
	return root
}

// Bounds returns the screen's rectangle.
func (r *Root) Bounds() image.Rectangle { return r.rect }

// Container is a widget that draws child widgets itself; Root attaches its
// children too, so their changes invalidate the screen.
type Container interface {
	Children() []Widget
}

// attach makes w and its children invalidate r (nil detaches).
func attach(w Widget, r *Root) {
	w.base().root = r
	if c, ok := w.(Container); ok {
		for _, child := range c.Children() {
			attach(child, r)
		}
	}
}

// Add puts widgets on the screen, above those already there.
func (r *Root) Add(ws ...Widget) {
	for _, w := range ws {
		attach(w, r)
		r.widgets = append(r.widgets, w)
		r.Invalidate(w.Bounds())
	}
}

// SetModal shows ws above the screen, which is dimmed by dim, until
// ClearModal. A screen has at most one modal layer; setting it again
// replaces it.
func (r *Root) SetModal(dim color.RGBA, ws ...Widget) {
	for _, w := range r.modal {
		attach(w, nil)
	}
	for _, w := range ws {
		attach(w, r)
	}
	r.modal = ws
	r.dim = dim
	r.InvalidateAll()
}

// ClearModal removes the modal layer.
func (r *Root) ClearModal() {
	if r.modal == nil {
		return
	}
	for _, w := range r.modal {
		attach(w, nil)
	}
	r.modal = nil
	r.InvalidateAll()
}

// HasModal reports whether a modal layer is shown.
func (r *Root) HasModal() bool { return r.modal != nil }

// Invalidate marks an area of the screen for repaint.
func (r *Root) Invalidate(rect image.Rectangle) {
	r.dirty.add(rect.Intersect(r.rect))
}

// InvalidateAll marks the whole screen for repaint.
func (r *Root) InvalidateAll() { r.dirty.reset(r.rect) }

// Dirty reports whether anything waits to be repainted.
func (r *Root) Dirty() bool { return len(r.dirty.rects) > 0 }

// Render repaints every dirty area of frame, bottom to top, and returns the
// areas it painted so the caller can copy only those to the display. The
// dirty list is empty afterwards.
func (r *Root) Render(frame *image.RGBA) []image.Rectangle {
	rects := r.dirty.take()
	bg := image.NewUniform(r.bg)
	for _, d := range rects {
		draw.Draw(frame, d, bg, image.Point{}, draw.Src)
		paint(frame, d, r.widgets)
		if r.modal != nil {
			if r.dim.A != 0 {
				draw.Draw(frame, d, image.NewUniform(r.dim), image.Point{}, draw.Over)
			}
			paint(frame, d, r.modal)
		}
	}
	return rects
}

func paint(frame *image.RGBA, d image.Rectangle, ws []Widget) {
	for _, w := range ws {
		if !w.Visible() {
			continue
		}
		if c := d.Intersect(w.Bounds()); !c.Empty() {
			w.Draw(frame.SubImage(c).(*image.RGBA))
		}
	}
}
