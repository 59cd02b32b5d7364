package widget

import (
	"image"
	"image/color"
	"slices"

	"mehfooz/ui/key"
)

// Mark is the state dot at the start of a list row.
type Mark uint8

const (
	MarkNone    Mark = iota
	MarkOnline       // a filled dot
	MarkOffline      // a hollow ring
)

// Item is one row of a List.
type Item struct {
	Title  string
	Detail string // second line, smaller; empty for one-line rows
	Mark   Mark
	Dim    bool // shown, but the row's action is not allowed
}

// ListStyle is how a List looks.
type ListStyle struct {
	Title, Detail Style // fonts and colours of the two lines
	DimFg         color.RGBA
	SelectedBg    color.RGBA
	SelectedFg    color.RGBA
	SelectedSub   color.RGBA // the second line of the selected row
	Online        color.RGBA
	Offline       color.RGBA
	Divider       color.RGBA
	Scrollbar     color.RGBA
	Empty         Style // the message shown when there are no rows
	RowHeight     int
	PadX          int
	Radius        int // of the selection highlight
	MarkRadius    int
	ScrollWidth   int
}

// List is a scrolling list with one selected row. Up and Down move the
// selection (wrapping at the ends) and OK activates it. Moving within the
// visible rows repaints only the two rows involved.
type List struct {
	Base
	st         ListStyle
	items      []Item
	sel, top   int
	focused    bool
	empty      string
	onActivate func(i int)
}

// NewList returns an empty list; onActivate is called with the selected
// index when OK is pressed.
func NewList(r image.Rectangle, st ListStyle, empty string, onActivate func(i int)) *List {
	return &List{Base: Base{rect: r}, st: st, empty: empty, onActivate: onActivate, focused: true}
}

// Len returns the number of rows.
func (l *List) Len() int { return len(l.items) }

// Selected returns the selected row, or -1 when the list is empty.
func (l *List) Selected() int {
	if len(l.items) == 0 {
		return -1
	}
	return l.sel
}

// SetEmpty changes the message shown when there are no rows.
func (l *List) SetEmpty(s string) {
	if s != l.empty {
		l.empty = s
		if len(l.items) == 0 {
			l.Invalidate()
		}
	}
}

// SetItems replaces the rows, keeping the selection at index sel (clamped).
// Only rows that changed are repainted when the scroll position holds.
func (l *List) SetItems(items []Item, sel int) {
	old, oldTop, oldSel := l.items, l.top, l.sel
	l.items = slices.Clone(items)
	l.sel = max(0, min(sel, len(items)-1))
	l.scrollTo()
	if l.top != oldTop || len(old) == 0 || len(items) == 0 {
		l.Invalidate()
		return
	}
	for i := l.top; i < l.top+l.visibleRows(); i++ {
		var was, is Item
		if i < len(old) {
			was = old[i]
		}
		if i < len(items) {
			is = items[i]
		}
		if was != is || (i == oldSel) != (i == l.sel) {
			l.InvalidateRect(l.rowRect(i))
		}
	}
	if (len(old) > l.visibleRows()) != (len(items) > l.visibleRows()) || len(old) != len(items) {
		l.InvalidateRect(l.scrollbarRect())
	}
}

// Select moves the selection to row i.
func (l *List) Select(i int) {
	if len(l.items) == 0 {
		return
	}
	i = max(0, min(i, len(l.items)-1))
	if i == l.sel {
		return
	}
	oldSel, oldTop := l.sel, l.top
	l.sel = i
	l.scrollTo()
	if l.top != oldTop {
		l.Invalidate()
		return
	}
	l.InvalidateRect(l.rowRect(oldSel))
	l.InvalidateRect(l.rowRect(i))
}

// SetFocused implements Focusable.
func (l *List) SetFocused(f bool) {
	if f != l.focused {
		l.focused = f
		if len(l.items) > 0 {
			l.InvalidateRect(l.rowRect(l.sel))
		}
	}
}

// HandleKey implements Focusable.
func (l *List) HandleKey(k key.Key) bool {
	n := len(l.items)
	switch k {
	case key.Up:
		if n > 0 {
			l.Select((l.sel - 1 + n) % n)
		}
		return true
	case key.Down:
		if n > 0 {
			l.Select((l.sel + 1) % n)
		}
		return true
	case key.OK:
		if n > 0 && l.onActivate != nil {
			l.onActivate(l.sel)
		}
		return true
	}
	return false
}

func (l *List) visibleRows() int { return max(1, l.rect.Dy()/max(1, l.st.RowHeight)) }

// scrollTo moves the window so the selected row is visible.
func (l *List) scrollTo() {
	vis := l.visibleRows()
	if l.sel < l.top {
		l.top = l.sel
	}
	if l.sel >= l.top+vis {
		l.top = l.sel - vis + 1
	}
	l.top = max(0, min(l.top, len(l.items)-vis))
}

func (l *List) rowRect(i int) image.Rectangle {
	y := l.rect.Min.Y + (i-l.top)*l.st.RowHeight
	return image.Rect(l.rect.Min.X, y, l.rect.Max.X, y+l.st.RowHeight).Intersect(l.rect)
}

func (l *List) scrollbarRect() image.Rectangle {
	return image.Rect(l.rect.Max.X-l.st.ScrollWidth, l.rect.Min.Y, l.rect.Max.X, l.rect.Max.Y)
}

// Draw implements Widget.
func (l *List) Draw(dst *image.RGBA) {
	st := l.st
	if len(l.items) == 0 {
		lbl := Label{Base: Base{rect: l.rect}, style: st.Empty, text: l.empty, wrap: true}
		lbl.style.PadY = l.rect.Dy() / 4
		lbl.Draw(dst)
		return
	}
	clip := dst.Bounds()
	vis := l.visibleRows()
	for i := l.top; i < min(len(l.items), l.top+vis); i++ {
		rr := l.rowRect(i)
		if rr.Overlaps(clip) {
			l.drawRow(dst, i, rr)
		}
	}
	if len(l.items) > vis && st.ScrollWidth > 0 {
		sb := l.scrollbarRect()
		h := max(st.ScrollWidth*2, sb.Dy()*vis/len(l.items))
		y := sb.Min.Y + (sb.Dy()-h)*l.top/max(1, len(l.items)-vis)
		FillRoundRect(dst, image.Rect(sb.Min.X, y, sb.Max.X, y+h), st.ScrollWidth/2, st.Scrollbar)
	}
}

func (l *List) drawRow(dst *image.RGBA, i int, rr image.Rectangle) {
	st := l.st
	it := l.items[i]
	selected := i == l.sel && l.focused
	titleFg, detailFg := st.Title.Fg, st.Detail.Fg
	if it.Dim {
		titleFg, detailFg = st.DimFg, st.DimFg
	}
	inner := rr
	inner.Max.X -= st.ScrollWidth + st.ScrollWidth/2
	if selected {
		FillRoundRect(dst, inner.Inset(1), st.Radius, st.SelectedBg)
		titleFg, detailFg = st.SelectedFg, st.SelectedSub
	} else if st.Divider.A != 0 && i < len(l.items)-1 {
		FillRect(dst, image.Rect(inner.Min.X+st.PadX, rr.Max.Y-1, inner.Max.X-st.PadX, rr.Max.Y), st.Divider)
	}
	x := inner.Min.X + st.PadX
	cy := float64(rr.Min.Y) + float64(rr.Dy())/2
	if it.Mark != MarkNone {
		r := float64(st.MarkRadius)
		cx := float64(x) + r
		on, off := st.Online, st.Offline
		switch {
		case selected:
			on, off = st.SelectedFg, st.SelectedSub
		case it.Dim:
			on, off = st.DimFg, st.DimFg
		}
		if it.Mark == MarkOnline {
			FillCircle(dst, cx, cy, r, on)
		} else {
			StrokeCircle(dst, cx, cy, r, max(1, r/3), off)
		}
		x += 2*st.MarkRadius + st.PadX
	}
	box := image.Rect(x, rr.Min.Y, inner.Max.X-st.PadX, rr.Max.Y)
	tf, df := st.Title.Font, st.Detail.Font
	if it.Detail == "" || df == nil {
		y := rr.Min.Y + (rr.Dy()-tf.Height())/2 + tf.Ascent()
		tf.Draw(dst, x, y, Fit(tf, it.Title, box.Dx()), titleFg)
		return
	}
	gap := tf.Height() / 10
	top := rr.Min.Y + (rr.Dy()-tf.Height()-df.Height()-gap)/2
	tf.Draw(dst, x, top+tf.Ascent(), Fit(tf, it.Title, box.Dx()), titleFg)
	df.Draw(dst, x, top+tf.Height()+gap+df.Ascent(), Fit(df, it.Detail, box.Dx()), detailFg)
}
