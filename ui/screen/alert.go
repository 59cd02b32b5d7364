package screen

import (
	"fmt"
	"image"
	"strings"
	"time"

	"mehfooz/daemon/state"
	"mehfooz/ui/key"
	"mehfooz/ui/widget"
)

// Alert is a critical alert taking the whole screen in alarm colours: it
// cannot be dismissed, only acknowledged with OK, which sends the
// acknowledgement to the daemon.
type Alert struct {
	root    *widget.Root
	env     Env
	status  *widget.StatusBar
	kind    *widget.Label
	title   *widget.Label
	body    *widget.Label
	count   *widget.Label
	ack     *widget.Button
	alert   state.Alert
	pending int
	onAck   func(id string)
}

// NewAlert returns the critical alert screen; onAck is called with the
// alert's ID after the acknowledgement is sent.
func NewAlert(env Env, onAck func(id string)) *Alert {
	t := env.Theme
	r := t.Screen
	a := &Alert{env: env, onAck: onAck, root: widget.NewRoot(r, t.C.CriticalBg)}
	fg := t.C.OnCritical
	a.status = widget.NewStatusBar(image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+t.StatusH), t.Status, widget.Status{Battery: -1})
	c := image.Rect(r.Min.X, r.Min.Y+t.StatusH, r.Max.X, r.Max.Y)
	y := c.Min.Y + t.U(10)
	iconH := t.U(30)
	icon := widget.NewCanvas(image.Rect(c.Min.X, y, c.Max.X, y+iconH), func(dst *image.RGBA, r image.Rectangle) {
		s := r.Dy()
		widget.DrawWarning(dst, image.Rect(r.Min.X+(r.Dx()-s)/2, r.Min.Y, r.Min.X+(r.Dx()+s)/2, r.Max.Y), fg, t.C.CriticalBg)
	})
	y += iconH + t.U(6)
	a.kind = widget.NewLabel(row(t, c, y, t.Bold.Height()), widget.Style{Font: t.Bold, Fg: fg, Align: widget.AlignCenter}, "")
	y += t.Bold.Height() + t.U(4)
	titleH := widget.ParagraphHeight(t.Title, 2)
	a.title = widget.NewParagraph(row(t, c, y, titleH), widget.Style{Font: t.Title, Fg: fg, Align: widget.AlignCenter}, "")
	y += titleH + t.U(4)
	bh := t.U(30)
	by := c.Max.Y - bh - t.U(8)
	countY := by - t.Small.Height() - t.U(4)
	a.count = widget.NewLabel(row(t, c, countY, t.Small.Height()), widget.Style{Font: t.Small, Fg: fg, Align: widget.AlignCenter}, "")
	a.body = widget.NewParagraph(image.Rect(c.Min.X+t.U(12), y, c.Max.X-t.U(12), countY-t.U(2)), widget.Style{Font: t.Body, Fg: fg, Align: widget.AlignCenter}, "")
	ackSt := widget.Style{Font: t.Bold, Fg: t.C.CriticalBg, Bg: fg, Radius: t.Radius, PadX: t.U(4)}
	a.ack = widget.NewButton(row(t, c, by, bh), ackSt, ackSt, 0, "OK, I have read this", a.acknowledge)
	a.ack.SetFocused(true)
	a.root.Add(a.status, icon, a.kind, a.title, a.body, a.count, a.ack)
	return a
}

// Root implements Screen.
func (a *Alert) Root() *widget.Root { return a.root }

// Show selects the alert to show and how many wait in all.
func (a *Alert) Show(al state.Alert, pending int) {
	a.alert = al
	a.kind.SetText(kindTitle(al.Kind))
	a.title.SetText(al.Title)
	a.body.SetText(al.Text)
	a.pending = pending
	a.refreshCount()
}

// refreshCount says whether more text or more alerts wait.
func (a *Alert) refreshCount() {
	var parts []string
	if _, below := a.body.Overflow(); below {
		parts = append(parts, "▼ more text")
	}
	if a.pending > 1 {
		parts = append(parts, fmt.Sprintf("%d more %s waiting", a.pending-1, plural(a.pending-1, "alert", "alerts")))
	}
	a.count.SetText(strings.Join(parts, ", "))
}

// ID returns the alert shown.
func (a *Alert) ID() string { return a.alert.ID }

// kindTitle names an alert's kind in the banner above its title.
func kindTitle(k state.AlertKind) string {
	switch k {
	case state.AlertSIM:
		return "SIM CARD"
	case state.AlertNoService:
		return "NO SERVICE"
	case state.AlertBaseband:
		return "NETWORK SECURITY ALERT"
	case state.AlertRevokedPeer:
		return "CONTACT REVOKED"
	case state.AlertPinnedKey:
		return "CONTACT'S KEY CHANGED"
	case state.AlertSASMismatch:
		return "SECURITY CODES DIFFERED"
	case state.AlertExchange:
		return "EXCHANGE"
	case state.AlertKeystore:
		return "KEYSTORE"
	case state.AlertCallRefused:
		return "CALL REFUSED"
	}
	return "SECURITY ALERT"
}

// Update implements Screen.
func (a *Alert) Update(s *state.Snapshot, _ time.Time) {
	a.status.SetStatus(StatusOf(s))
}

func (a *Alert) acknowledge() {
	id := a.alert.ID
	a.env.Send(state.Intent{Kind: state.IntentAckAlert, AlertID: id})
	a.onAck(id)
}

// HandleKey implements Screen. Only OK acknowledges; End is left to the
// caller so a call in progress can still be hung up.
func (a *Alert) HandleKey(k key.Key) bool {
	switch k {
	case key.OK:
		a.acknowledge()
		return true
	case key.Down, key.Up:
		// A long alert scrolls: it must be readable to the end.
		d := 1
		if k == key.Up {
			d = -1
		}
		if a.body.ScrollBy(d) {
			a.refreshCount()
		}
		return true
	case key.End, key.Power, key.VolumeUp, key.VolumeDown:
		return false
	}
	return true // swallowed: Back does not dismiss a critical alert
}
