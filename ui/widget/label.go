package widget

import (
	"image"
	"strings"

	"mehfooz/ui/text"
)

// ellipsis marks text cut to fit.
const ellipsis = "…"

// Label is a line of text, or with Wrap several, in a box. Text that does not
// fit is cut with an ellipsis, never drawn over its neighbours.
type Label struct {
	Base
	style Style
	text  string
	wrap  bool
	top   int // first wrapped line shown
}

// NewLabel returns a one-line label.
func NewLabel(r image.Rectangle, st Style, s string) *Label {
	return &Label{Base: Base{rect: r}, style: st, text: s}
}

// NewParagraph returns a label that wraps at word boundaries and cuts the
// last line that fits with an ellipsis.
func NewParagraph(r image.Rectangle, st Style, s string) *Label {
	return &Label{Base: Base{rect: r}, style: st, text: s, wrap: true}
}

// Text returns the label's text.
func (l *Label) Text() string { return l.text }

// SetText changes the text, repainting only if it changed.
func (l *Label) SetText(s string) {
	if s == l.text {
		return
	}
	l.text = s
	l.top = 0
	l.Invalidate()
}

// SetStyle changes the look, repainting only if it changed.
func (l *Label) SetStyle(st Style) {
	if st == l.style {
		return
	}
	l.style = st
	l.Invalidate()
}

// inner is the box the text is laid out in.
func (l *Label) inner() image.Rectangle {
	st := l.style
	r := l.rect
	return image.Rect(r.Min.X+st.PadX, r.Min.Y+st.PadY, r.Max.X-st.PadX, r.Max.Y-st.PadY)
}

// lines returns the paragraph's wrapped lines and how many fit the box.
func (l *Label) lines() ([]string, int) {
	f := l.style.Font
	in := l.inner()
	return Wrap(f, l.text, in.Dx(), 0), max(1, in.Dy()/lineHeight(f))
}

// ScrollBy moves a paragraph's text n lines down (up if negative) when it
// does not all fit, and reports whether it moved.
func (l *Label) ScrollBy(n int) bool {
	if !l.wrap || l.style.Font == nil {
		return false
	}
	all, fit := l.lines()
	top := max(0, min(l.top+n, len(all)-fit))
	if top == l.top {
		return false
	}
	l.top = top
	l.Invalidate()
	return true
}

// Overflow reports whether a paragraph has lines hidden above or below.
func (l *Label) Overflow() (above, below bool) {
	if !l.wrap || l.style.Font == nil {
		return false, false
	}
	all, fit := l.lines()
	return l.top > 0, l.top+fit < len(all)
}

// Draw implements Widget.
func (l *Label) Draw(dst *image.RGBA) {
	st := l.style
	if st.Bg.A != 0 {
		FillRoundRect(dst, l.rect, st.Radius, st.Bg)
	}
	if st.Font == nil || l.text == "" {
		return
	}
	inner := l.inner()
	f := st.Font
	lh := lineHeight(f)
	if !l.wrap {
		y := inner.Min.Y + (inner.Dy()-lh)/2
		drawAligned(dst, f, inner, y+f.Ascent(), Fit(f, l.text, inner.Dx()), st)
		return
	}
	all, fit := l.lines()
	top := max(0, min(l.top, len(all)-fit))
	shown := all[top:min(len(all), top+fit)]
	y := inner.Min.Y
	for i, line := range shown {
		if i == len(shown)-1 && top+fit < len(all) {
			line = Fit(f, line+ellipsis, inner.Dx()) // more below
		}
		drawAligned(dst, f, inner, y+f.Ascent(), line, st)
		y += lh
	}
}

func lineHeight(f *text.Face) int { return f.Height() + f.Height()/8 }

// ParagraphHeight is the height a paragraph of n lines in f needs.
func ParagraphHeight(f *text.Face, n int) int { return n * lineHeight(f) }

// drawAligned draws one line on baseline y within box, aligned by st.
func drawAligned(dst *image.RGBA, f *text.Face, box image.Rectangle, y int, s string, st Style) {
	x := box.Min.X
	switch st.Align {
	case AlignCenter:
		x += (box.Dx() - f.Measure(s)) / 2
	case AlignEnd:
		x = box.Max.X - f.Measure(s)
	}
	f.Draw(dst, x, y, s, st.Fg)
}

// Fit returns s, or the longest prefix of it followed by an ellipsis, that
// is at most width pixels wide in f.
func Fit(f *text.Face, s string, width int) string {
	if f.Measure(s) <= width {
		return s
	}
	rs := []rune(s)
	lo, hi := 0, len(rs) // the answer keeps rs[:n] with lo <= n < hi
	for lo < hi-1 {
		mid := (lo + hi) / 2
		if f.Measure(strings.TrimRight(string(rs[:mid]), " ")+ellipsis) <= width {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo == 0 && f.Measure(ellipsis) > width {
		return ""
	}
	return strings.TrimRight(string(rs[:lo]), " ") + ellipsis
}

// Wrap breaks s into lines no wider than width, breaking at spaces (and
// inside a word only when the word alone is too wide); explicit newlines
// start a new line. With maxLines > 0 it returns at most that many, the
// last ending with an ellipsis if the text needed more.
func Wrap(f *text.Face, s string, width, maxLines int) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		words := strings.Fields(para)
		if len(words) == 0 {
			lines = append(lines, "")
			continue
		}
		cur := ""
		for _, w := range words {
			try := w
			if cur != "" {
				try = cur + " " + w
			}
			if f.Measure(try) <= width {
				cur = try
				continue
			}
			if cur != "" {
				lines = append(lines, cur)
			}
			for f.Measure(w) > width { // a word wider than the line: cut it
				n := fitRunes(f, w, width)
				lines = append(lines, string([]rune(w)[:n]))
				w = string([]rune(w)[n:])
			}
			cur = w
		}
		lines = append(lines, cur)
	}
	if maxLines > 0 && len(lines) > maxLines {
		last := lines[maxLines-1] + " " + strings.Join(lines[maxLines:], " ")
		lines = append(lines[:maxLines-1], Fit(f, last, width))
		if lines[maxLines-1] == last {
			lines[maxLines-1] = Fit(f, last+ellipsis, width)
		}
	}
	return lines
}

// fitRunes returns how many leading runes of w fit in width (at least one,
// so wrapping always progresses).
func fitRunes(f *text.Face, w string, width int) int {
	rs := []rune(w)
	n := 1
	for n < len(rs) && f.Measure(string(rs[:n+1])) <= width {
		n++
	}
	return n
}
