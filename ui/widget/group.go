package widget

import "mehfooz/ui/key"

// Focusable is a widget that can hold the keypad's focus.
type Focusable interface {
	Widget
	// SetFocused tells the widget whether it holds the focus.
	SetFocused(bool)
	// HandleKey acts on k and reports whether it used it.
	HandleKey(k key.Key) bool
}

// Group is a focus group (LVGL's lv_group): of its widgets at most one has
// the focus and gets keys first; Left and Right, or Up and Down when the
// focused widget does not use them, move the focus along the group.
type Group struct {
	items []Focusable
	cur   int // -1: nothing focused
	wrap  bool
}

// NewGroup returns a group of items with nothing focused; with wrap, moving
// past the last item returns to the first.
func NewGroup(wrap bool, items ...Focusable) *Group {
	return &Group{items: items, cur: -1, wrap: wrap}
}

// Focused returns the focused widget, or nil.
func (g *Group) Focused() Focusable {
	if g.cur < 0 {
		return nil
	}
	return g.items[g.cur]
}

// Index returns the focused item's index, or -1.
func (g *Group) Index() int { return g.cur }

// Focus moves the focus to item i (-1 for none).
func (g *Group) Focus(i int) {
	if i < -1 || i >= len(g.items) || i == g.cur {
		return
	}
	if g.cur >= 0 {
		g.items[g.cur].SetFocused(false)
	}
	g.cur = i
	if i >= 0 {
		g.items[i].SetFocused(true)
	}
}

// Move moves the focus by delta items. With nothing focused, a move forward
// focuses the first item and a move back the last.
func (g *Group) Move(delta int) {
	n := len(g.items)
	if n == 0 {
		return
	}
	if g.cur < 0 {
		if delta > 0 {
			g.Focus(0)
		} else {
			g.Focus(n - 1)
		}
		return
	}
	i := g.cur + delta
	switch {
	case g.wrap:
		i = ((i % n) + n) % n
	case i < 0:
		i = 0
	case i >= n:
		i = n - 1
	}
	g.Focus(i)
}

// HandleKey gives k to the focused widget, then uses it to move the focus.
func (g *Group) HandleKey(k key.Key) bool {
	if f := g.Focused(); f != nil && f.HandleKey(k) {
		return true
	}
	switch k {
	case key.Left, key.Up:
		g.Move(-1)
		return len(g.items) > 0
	case key.Right, key.Down:
		g.Move(+1)
		return len(g.items) > 0
	}
	return false
}
