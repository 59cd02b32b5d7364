// Package theme holds the handset's look: colours, type sizes and spacing,
// scaled to the panel. Screens build widgets from a Theme and never name a
// colour or a pixel size themselves, so the same screens fit a 240x320
// keypad phone, a 480x800 handset and the QEMU board's 1280x800.
package theme

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"mehfooz/ui/text"
	"mehfooz/ui/widget"
)

// Palette is the set of colours; every screen colour comes from here.
type Palette struct {
	Bg, Surface, Raised  color.RGBA
	Fg, Muted, Faint     color.RGBA
	Accent               color.RGBA // focus and selection
	Secure               color.RGBA // verified, linked, online
	Warn                 color.RGBA
	Danger               color.RGBA
	CriticalBg           color.RGBA // a critical alert's full-screen background
	Dim                  color.RGBA // veil over the screen behind a dialog
	OnAccent, OnCritical color.RGBA // text on those backgrounds
	OnAccentSub          color.RGBA // secondary text on the accent
}

// Dark is the default palette: light text on near-black, which reads in
// sunlight on a small panel and keeps an OLED's power low.
var Dark = Palette{
	Bg:          rgb(0x0D1117),
	Surface:     rgb(0x161B22),
	Raised:      rgb(0x222A35),
	Fg:          rgb(0xE6EDF3),
	Muted:       rgb(0x9BA6B2),
	Faint:       rgb(0x3A4350),
	Accent:      rgb(0x2F81F7),
	Secure:      rgb(0x3FB950),
	Warn:        rgb(0xE3A92B),
	Danger:      rgb(0xF85149),
	CriticalBg:  rgb(0x8E1519),
	Dim:         color.RGBA{0, 0, 0, 0xB0},
	OnAccent:    rgb(0xFFFFFF),
	OnAccentSub: rgb(0xD6E6FF),
	OnCritical:  rgb(0xFFFFFF),
}

func rgb(v uint32) color.RGBA {
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xFF}
}

// Theme is the palette, fonts and metrics for one screen size.
type Theme struct {
	Screen image.Rectangle
	Unit   float64 // pixels per design unit; the design is drawn for 240x320
	C      Palette

	Small, Body, Bold, Title, Large *text.Face
	Mono, Huge                      *text.Face // PIN, timers; the authentication code

	StatusH, HintsH, RowH int
	Pad                   int // the standard gap
	Radius                int

	Status      widget.StatusStyle
	List        widget.ListStyle
	Hints       widget.Style
	Button      widget.Style
	ButtonFocus widget.Style
	Ring        int
}

// New returns the theme for a screen of size r with palette p.
func New(r image.Rectangle, p Palette) (*Theme, error) {
	if r.Dx() < 120 || r.Dy() < 120 {
		return nil, fmt.Errorf("theme: screen %v too small", r.Size())
	}
	t := &Theme{Screen: r, C: p}
	t.Unit = math.Min(float64(r.Dx())/240, float64(r.Dy())/320)
	faces := []struct {
		dst **text.Face
		w   text.Weight
		px  float64
	}{
		{&t.Small, text.Regular, 11.5},
		{&t.Body, text.Regular, 15},
		{&t.Bold, text.Bold, 15},
		{&t.Title, text.Bold, 18},
		{&t.Large, text.Bold, 24},
		{&t.Mono, text.MonoBold, 20},
		{&t.Huge, text.MonoBold, 40},
	}
	for _, f := range faces {
		face, err := text.NewFace(f.w, f.px*t.Unit)
		if err != nil {
			return nil, err
		}
		*f.dst = face
	}
	t.StatusH = t.U(20)
	t.HintsH = t.U(22)
	t.RowH = t.U(40)
	t.Pad = t.U(8)
	t.Radius = t.U(6)
	t.Ring = max(1, t.U(1.5))

	t.Status = widget.StatusStyle{
		Text:  widget.Style{Font: t.Small, Fg: p.Fg, Bg: p.Surface, PadX: t.U(6)},
		Good:  p.Secure,
		Warn:  p.Warn,
		Bad:   p.Danger,
		Faint: p.Faint,
		Gap:   t.U(5),
	}
	t.List = widget.ListStyle{
		Title:       widget.Style{Font: t.Body, Fg: p.Fg},
		Detail:      widget.Style{Font: t.Small, Fg: p.Muted},
		DimFg:       p.Faint,
		SelectedBg:  p.Accent,
		SelectedFg:  p.OnAccent,
		SelectedSub: p.OnAccentSub,
		Online:      p.Secure,
		Offline:     p.Muted,
		Divider:     p.Surface,
		Scrollbar:   p.Faint,
		Empty:       widget.Style{Font: t.Body, Fg: p.Muted, Align: widget.AlignCenter, PadX: t.Pad},
		RowHeight:   t.RowH,
		PadX:        t.U(7),
		Radius:      t.Radius,
		MarkRadius:  t.U(4),
		ScrollWidth: max(2, t.U(3)),
	}
	t.Hints = widget.Style{Font: t.Small, Fg: p.Muted, Bg: p.Surface, PadX: t.U(6)}
	t.Button = widget.Style{Font: t.Bold, Fg: p.Fg, Bg: p.Raised, Radius: t.Radius, PadX: t.U(4)}
	t.ButtonFocus = widget.Style{Font: t.Bold, Fg: p.OnAccent, Bg: p.Accent, Radius: t.Radius, PadX: t.U(4)}
	return t, nil
}

// designContentH is the height, in design units, between the status bar
// and the hint bar on the 240x320 design.
const designContentH = 320 - 20 - 22

// Slack is how much taller than the design a content area is: the spare
// height a screen may spread out on a tall panel instead of leaving it at
// the bottom.
func (t *Theme) Slack(content image.Rectangle) int {
	return max(0, content.Dy()-t.U(designContentH))
}

// U converts design units to whole pixels.
func (t *Theme) U(v float64) int { return int(math.Round(v * t.Unit)) }

// Severity selects a dialog's accent.
type Severity uint8

const (
	Info Severity = iota
	Warning
	Critical
)

// Accent returns the colour that marks severity s.
func (t *Theme) Accent(s Severity) color.RGBA {
	switch s {
	case Warning:
		return t.C.Warn
	case Critical:
		return t.C.Danger
	}
	return t.C.Accent
}

// Dialog returns the style of a dialog of severity s.
func (t *Theme) Dialog(s Severity) widget.DialogStyle {
	return widget.DialogStyle{
		Box:         widget.Style{Bg: t.C.Raised, Radius: t.U(8), PadX: t.U(12)},
		Title:       widget.Style{Font: t.Title, Fg: t.C.Fg},
		Body:        widget.Style{Font: t.Body, Fg: t.C.Fg},
		Button:      widget.Style{Font: t.Bold, Fg: t.C.Fg, Bg: t.C.Surface, Radius: t.Radius, PadX: t.U(4)},
		ButtonFocus: t.ButtonFocus,
		Ring:        t.Ring,
		Accent:      t.Accent(s),
		Margin:      t.U(12),
		MaxWidth:    t.U(300),
		ButtonH:     t.U(30),
	}
}

// Text returns a plain text style: font f in colour c.
func (t *Theme) Text(f *text.Face, c color.RGBA) widget.Style {
	return widget.Style{Font: f, Fg: c}
}
