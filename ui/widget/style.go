package widget

import (
	"image/color"

	"mehfooz/ui/text"
)

// Align places text within its box.
type Align uint8

const (
	AlignStart Align = iota // left
	AlignCenter
	AlignEnd // right
)

// Style is how a widget looks: a theme builds Styles, widgets only read them.
// A zero Bg (alpha 0) leaves the background as it is.
type Style struct {
	Font   *text.Face
	Fg     color.RGBA
	Bg     color.RGBA
	Align  Align
	PadX   int // inner space left and right
	PadY   int // inner space above and below
	Radius int // corner radius of the background
}

// With returns a copy of s with other colours, for a variant of a style
// (dimmed, selected, alarm) without a second definition.
func (s Style) With(fg, bg color.RGBA) Style {
	s.Fg, s.Bg = fg, bg
	return s
}
