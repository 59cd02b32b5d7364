package widget

import (
	"image"
	"image/color"
	"slices"
	"strings"
	"testing"

	"mehfooz/ui/key"
	"mehfooz/ui/text"
)

var (
	black = color.RGBA{0, 0, 0, 255}
	white = color.RGBA{255, 255, 255, 255}
	blue  = color.RGBA{0, 0, 255, 255}
)

func face(t testing.TB, px float64) *text.Face {
	t.Helper()
	f, err := text.NewFace(text.Regular, px)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDirtyListMerges(t *testing.T) {
	var d dirtyList
	d.add(image.Rect(0, 0, 100, 20))
	d.add(image.Rect(0, 20, 100, 40)) // abutting row: merged
	d.add(image.Rect(10, 5, 50, 15))  // inside: dropped
	if want := []image.Rectangle{image.Rect(0, 0, 100, 40)}; !slices.Equal(d.rects, want) {
		t.Fatalf("rects = %v, want %v", d.rects, want)
	}
	d.add(image.Rect(0, 200, 100, 220)) // far away: kept apart
	if len(d.rects) != 2 {
		t.Fatalf("rects = %v, want two areas", d.rects)
	}
	d.add(image.Rectangle{}) // empty: ignored
	for i := range 20 {
		d.add(image.Rect(i*30, 500+i*30, i*30+5, 505+i*30))
	}
	if len(d.rects) > maxDirty {
		t.Fatalf("%d dirty rects, want at most %d", len(d.rects), maxDirty)
	}
	if got := d.take(); len(got) == 0 || len(d.rects) != 0 {
		t.Fatal("take did not empty the list")
	}
}

// counter is a widget that counts how often, and where, it is drawn.
type counter struct {
	Base
	draws []image.Rectangle
}

func (c *counter) Draw(dst *image.RGBA) {
	c.draws = append(c.draws, dst.Bounds())
	FillRect(dst, c.rect, white)
}

func TestRootRendersOnlyDirtyAreas(t *testing.T) {
	root := NewRoot(image.Rect(0, 0, 100, 100), black)
	a := &counter{Base: Base{rect: image.Rect(0, 0, 100, 10)}}
	b := &counter{Base: Base{rect: image.Rect(0, 50, 100, 60)}}
	root.Add(a, b)
	frame := image.NewRGBA(root.Bounds())
	if rs := root.Render(frame); len(rs) != 1 || rs[0] != root.Bounds() {
		t.Fatalf("first render painted %v, want the whole screen", rs)
	}
	if root.Dirty() {
		t.Fatal("still dirty after Render")
	}
	a.draws, b.draws = nil, nil
	b.Invalidate()
	rs := root.Render(frame)
	if len(rs) != 1 || rs[0] != b.rect || len(a.draws) != 0 || len(b.draws) != 1 {
		t.Fatalf("after invalidating b: painted %v, a drawn %d times, b %d; want only b", rs, len(a.draws), len(b.draws))
	}
	b.SetVisible(false)
	root.Render(frame)
	if frame.RGBAAt(5, 55) != black {
		t.Fatal("hidden widget still on screen")
	}
	if frame.RGBAAt(5, 5) != white {
		t.Fatal("the other widget was erased")
	}
}

func TestModalDimsAndCovers(t *testing.T) {
	root := NewRoot(image.Rect(0, 0, 100, 100), black)
	under := &counter{Base: Base{rect: image.Rect(0, 0, 100, 100)}}
	root.Add(under)
	frame := image.NewRGBA(root.Bounds())
	root.Render(frame)
	over := &counter{Base: Base{rect: image.Rect(20, 20, 80, 80)}}
	root.SetModal(color.RGBA{0, 0, 0, 128}, over)
	root.Render(frame)
	if got := frame.RGBAAt(5, 5); got.R == 255 || got.R == 0 {
		t.Fatalf("outside the modal got %v, want the screen dimmed", got)
	}
	if got := frame.RGBAAt(50, 50); got != white {
		t.Fatalf("modal area got %v, want the modal drawn over the dim", got)
	}
	root.ClearModal()
	root.Render(frame)
	if frame.RGBAAt(5, 5) != white {
		t.Fatal("screen still dimmed after ClearModal")
	}
}

func testListStyle(t *testing.T) ListStyle {
	f := face(t, 12)
	return ListStyle{
		Title: Style{Font: f, Fg: white}, Detail: Style{Font: f, Fg: white},
		SelectedBg: blue, SelectedFg: white, RowHeight: 20, PadX: 2, MarkRadius: 3, ScrollWidth: 2,
		Empty: Style{Font: f, Fg: white},
	}
}

func TestListMoveRepaintsTwoRows(t *testing.T) {
	var activated []int
	root := NewRoot(image.Rect(0, 0, 100, 100), black)
	l := NewList(image.Rect(0, 0, 100, 100), testListStyle(t), "none", func(i int) { activated = append(activated, i) })
	root.Add(l)
	items := make([]Item, 12)
	for i := range items {
		items[i] = Item{Title: strings.Repeat("x", i+1)}
	}
	l.SetItems(items, 0)
	frame := image.NewRGBA(root.Bounds())
	root.Render(frame)

	l.HandleKey(key.Down)
	rs := root.Render(frame)
	if len(rs) != 1 || rs[0] != image.Rect(0, 0, 100, 40) {
		t.Fatalf("moving within the window repainted %v, want rows 0 and 1 only", rs)
	}
	for range 4 { // to row 5: the window (5 rows) scrolls
		l.HandleKey(key.Down)
	}
	if rs := root.Render(frame); len(rs) != 1 || rs[0] != l.rect {
		t.Fatalf("scrolling repainted %v, want the whole list", rs)
	}
	l.HandleKey(key.OK)
	if !slices.Equal(activated, []int{5}) {
		t.Fatalf("activated %v, want [5]", activated)
	}
	l.HandleKey(key.Up)
	l.Select(0)
	l.HandleKey(key.Up) // wraps
	if l.Selected() != 11 {
		t.Fatalf("Up from the top selected %d, want the last row", l.Selected())
	}
	// Replacing rows with the same rows repaints nothing.
	root.Render(frame)
	l.SetItems(items, 11)
	if root.Dirty() {
		t.Fatal("SetItems with unchanged rows invalidated the screen")
	}
	l.SetItems(nil, 0)
	if l.Selected() != -1 {
		t.Fatal("empty list reports a selection")
	}
	l.HandleKey(key.OK)
	if len(activated) != 1 {
		t.Fatal("OK on an empty list activated a row")
	}
}

func TestFitAndWrap(t *testing.T) {
	f := face(t, 14)
	s := "Joint Secretary, Ministry of Interior"
	if got := Fit(f, s, 1000); got != s {
		t.Fatalf("Fit with room = %q, want it unchanged", got)
	}
	got := Fit(f, s, 100)
	if !strings.HasSuffix(got, ellipsis) || f.Measure(got) > 100 || !strings.HasPrefix(s, strings.TrimSuffix(got, ellipsis)) {
		t.Fatalf("Fit(100) = %q (%dpx)", got, f.Measure(got))
	}
	if got := Fit(f, s, 2); got != "" {
		t.Fatalf("Fit into 2px = %q, want empty", got)
	}
	lines := Wrap(f, s+" and a much longer tail that goes on", 120, 0)
	for _, l := range lines {
		if f.Measure(l) > 120 {
			t.Fatalf("wrapped line %q is %dpx, over 120", l, f.Measure(l))
		}
	}
	if strings.Join(lines, " ") != s+" and a much longer tail that goes on" {
		t.Fatalf("wrapping lost words: %q", lines)
	}
	short := Wrap(f, s+" and a much longer tail that goes on", 120, 2)
	if len(short) != 2 || !strings.HasSuffix(short[1], ellipsis) {
		t.Fatalf("Wrap to 2 lines = %q, want 2 lines ending in an ellipsis", short)
	}
	if got := Wrap(f, "Supercalifragilistic", 40, 0); len(got) < 2 {
		t.Fatalf("an over-wide word was not cut: %q", got)
	}
}

func TestParagraphScrolls(t *testing.T) {
	f := face(t, 12)
	l := NewParagraph(image.Rect(0, 0, 80, 3*lineHeight(f)), Style{Font: f, Fg: white}, strings.Repeat("word ", 40))
	if above, below := l.Overflow(); above || !below {
		t.Fatalf("Overflow = %v, %v; want false, true", above, below)
	}
	for l.ScrollBy(1) {
	}
	if above, below := l.Overflow(); !above || below {
		t.Fatalf("after scrolling to the end Overflow = %v, %v; want true, false", above, below)
	}
	l.SetText("short")
	if l.ScrollBy(1) {
		t.Fatal("a paragraph that fits scrolled")
	}
}

func TestGroupFocus(t *testing.T) {
	var pressed []string
	btn := func(s string) *Button {
		return NewButton(image.Rect(0, 0, 10, 10), Style{}, Style{}, 0, s, func() { pressed = append(pressed, s) })
	}
	a, b, c := btn("a"), btn("b"), btn("c")
	g := NewGroup(false, a, b, c)
	if g.Focused() != nil || g.HandleKey(key.OK) {
		t.Fatal("a new group has a focus")
	}
	g.HandleKey(key.Right)
	g.HandleKey(key.Right)
	g.HandleKey(key.Right) // stops at the end without wrap
	g.HandleKey(key.OK)
	if !slices.Equal(pressed, []string{"c"}) || !c.Focused() || a.Focused() || b.Focused() {
		t.Fatalf("pressed %v with focus at %d", pressed, g.Index())
	}
	w := NewGroup(true, a, b, c)
	w.Focus(2)
	w.HandleKey(key.Right)
	if w.Index() != 0 {
		t.Fatalf("wrapping group went to %d, want 0", w.Index())
	}
}

func TestDialogTakesKeys(t *testing.T) {
	f := face(t, 12)
	st := DialogStyle{Box: Style{PadX: 6}, Title: Style{Font: f}, Body: Style{Font: f}, Button: Style{Font: f}, ButtonFocus: Style{Font: f}, Margin: 8, ButtonH: 20}
	var got []string
	d := NewDialog(image.Rect(0, 0, 200, 300), st, "Title", "Body text that wraps over a couple of lines in the box.",
		Action{"No", func() { got = append(got, "no") }}, Action{"Yes", func() { got = append(got, "yes") }})
	if !d.Bounds().In(image.Rect(0, 0, 200, 300)) {
		t.Fatalf("dialog %v is off screen", d.Bounds())
	}
	d.HandleKey(key.OK)
	d.HandleKey(key.Right)
	d.HandleKey(key.OK)
	if !slices.Equal(got, []string{"no", "yes"}) {
		t.Fatalf("pressed %v, want [no yes]", got)
	}
}

func TestPaintStaysInBounds(t *testing.T) {
	frame := image.NewRGBA(image.Rect(0, 0, 60, 60))
	clip := frame.SubImage(image.Rect(10, 10, 50, 50)).(*image.RGBA)
	FillRoundRect(clip, image.Rect(-20, -20, 80, 80), 10, white)
	StrokeRoundRect(clip, image.Rect(0, 0, 60, 60), 12, 3, white)
	FillCircle(clip, 30, 30, 40, white)
	StrokeCircle(clip, 10, 10, 20, 3, white)
	DrawWarning(clip, image.Rect(0, 0, 60, 60), white, black)
	DrawCheck(clip, image.Rect(0, 0, 60, 60), 4, white)
	DrawBars(clip, image.Rect(0, 0, 60, 60), 3, white, black)
	DrawPadlock(clip, image.Rect(0, 0, 60, 60), false, white)
	for y := 0; y < 60; y++ {
		for x := 0; x < 60; x++ {
			if (image.Point{x, y}).In(clip.Rect) {
				continue
			}
			if frame.RGBAAt(x, y) != (color.RGBA{}) {
				t.Fatalf("pixel (%d,%d) painted outside the clip", x, y)
			}
		}
	}
	// A rounded fill covers its centre fully and its corner not at all.
	img := image.NewRGBA(image.Rect(0, 0, 40, 40))
	FillRoundRect(img, img.Rect, 10, white)
	if img.RGBAAt(20, 20) != white || img.RGBAAt(0, 0).A != 0 {
		t.Fatal("rounded rectangle centre or corner wrong")
	}
}
