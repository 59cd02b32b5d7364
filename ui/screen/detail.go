package screen

import (
	"image"
	"strings"
	"time"

	"mehfooz/daemon/state"
	"mehfooz/ui/key"
	"mehfooz/ui/widget"
)

// Detail shows one contact: name, rank and office, presence, whether the
// directory lets us call them, and their device ID. Call or OK dials.
type Detail struct {
	chrome
	env      Env
	name     *widget.Label
	role     *widget.Label
	presence *widget.Canvas
	policy   *widget.Label
	note     *widget.Label
	device   *widget.Label

	id      string
	contact state.Contact
	found   bool
}

// NewDetail returns the contact detail screen.
func NewDetail(env Env) *Detail {
	t := env.Theme
	d := &Detail{env: env}
	d.chrome = newChrome(t, t.Hints.With(t.C.Fg, t.C.Bg))
	c := d.content
	y := c.Min.Y + t.U(12)
	nameH := widget.ParagraphHeight(t.Large, 2)
	d.name = widget.NewParagraph(row(t, c, y, nameH), widget.Style{Font: t.Large, Fg: t.C.Fg}, "")
	y += nameH + t.U(2)
	roleH := widget.ParagraphHeight(t.Body, 2)
	d.role = widget.NewParagraph(row(t, c, y, roleH), widget.Style{Font: t.Body, Fg: t.C.Muted}, "")
	y += roleH + t.U(10)
	d.presence = widget.NewCanvas(row(t, c, y, t.Bold.Height()), d.paintPresence)
	y += t.Bold.Height() + t.U(6)
	d.policy = widget.NewParagraph(row(t, c, y, widget.ParagraphHeight(t.Small, 2)), widget.Style{Font: t.Small, Fg: t.C.Secure}, "")
	y += widget.ParagraphHeight(t.Small, 2) + t.U(8)
	d.note = widget.NewParagraph(row(t, c, y, widget.ParagraphHeight(t.Small, 3)), widget.Style{Font: t.Small, Fg: t.C.Muted}, "Calls are end-to-end encrypted. When a call connects, compare the security code on both phones.")
	d.device = widget.NewLabel(row(t, c, c.Max.Y-t.Small.Height()-t.U(6), t.Small.Height()), widget.Style{Font: t.Small, Fg: t.C.Faint}, "")
	d.root.Add(d.name, d.role, d.presence, d.policy, d.note, d.device)
	return d
}

// Show selects the contact to show.
func (d *Detail) Show(id string) {
	if id != d.id {
		d.id = id
		d.found = false
		d.contact = state.Contact{}
	}
}

// ID returns the contact shown.
func (d *Detail) ID() string { return d.id }

// Found reports whether the contact shown is in the directory.
func (d *Detail) Found() bool { return d.found }

func (d *Detail) paintPresence(dst *image.RGBA, r image.Rectangle) {
	t := d.env.Theme
	f := t.Bold
	rad := float64(t.U(4))
	cy := float64(r.Min.Y) + float64(r.Dy())/2
	label, c := "Offline", t.C.Muted
	if d.contact.Online {
		label, c = "Online", t.C.Secure
		widget.FillCircle(dst, float64(r.Min.X)+rad, cy, rad, c)
	} else {
		widget.StrokeCircle(dst, float64(r.Min.X)+rad, cy, rad, max(1, rad/3), c)
	}
	f.Draw(dst, r.Min.X+int(2*rad)+t.U(6), r.Min.Y+f.Ascent(), label, c)
}

// Update implements Screen.
func (d *Detail) Update(s *state.Snapshot, _ time.Time) {
	t := d.env.Theme
	d.updateStatus(s)
	ct, ok := Contact(s, d.id)
	d.found = ok
	if ct != d.contact {
		d.contact = ct
		d.presence.Invalidate()
	}
	d.name.SetText(ct.Name)
	var role []string
	for _, p := range []string{ct.Rank, ct.Office} {
		if p != "" {
			role = append(role, p)
		}
	}
	d.role.SetText(strings.Join(role, "\n"))
	if ct.Callable {
		d.policy.SetStyle(widget.Style{Font: t.Small, Fg: t.C.Secure})
		d.policy.SetText("The directory allows you to call this contact.")
		d.hints.Set("Back", "", "Call")
	} else {
		d.policy.SetStyle(widget.Style{Font: t.Small, Fg: t.C.Warn})
		d.policy.SetText("The directory does not allow calls to this contact.")
		d.hints.Set("Back", "", "")
	}
	d.device.SetText("Device " + ct.ID)
}

// HandleKey implements Screen.
func (d *Detail) HandleKey(k key.Key) bool {
	switch k {
	case key.Back, key.SoftLeft, key.Clear, key.End:
		d.env.Nav.Home()
	case key.Call, key.OK, key.SoftRight:
		if d.found && d.contact.Callable {
			d.env.Send(state.Intent{Kind: state.IntentDial, ContactID: d.id})
		}
	default:
		return false
	}
	return true
}
