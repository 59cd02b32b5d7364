package screen

import (
	"image"
	"strings"
	"time"

	"mehfooz/daemon/state"
	"mehfooz/ui/key"
	"mehfooz/ui/widget"
)

// securityPrefix marks an EndReason that is a failed security check.
const securityPrefix = "security:"

// SecurityEnd reports whether a call ended because a security check failed.
func SecurityEnd(c state.Call) bool {
	return c.Phase == state.CallEnded && strings.HasPrefix(c.EndReason, securityPrefix)
}

// Ended says how the last call ended. A call ended by a failed security
// check is shown in alarm colours and stays until OK; others can be left
// with any key, and the UI moves on by itself after a few seconds.
type Ended struct {
	chrome
	env    Env
	icon   *widget.Canvas
	title  *widget.Label
	peer   peer
	reason *widget.Label
	alarm  bool
	id     string
	onDone func()
}

// NewEnded returns the call-ended screen; onDone is called when the user
// leaves it.
func NewEnded(env Env, onDone func()) *Ended {
	t := env.Theme
	e := &Ended{env: env, onDone: onDone}
	e.chrome = newChrome(t, t.Hints.With(t.C.Fg, t.C.Bg))
	c := e.content
	y := c.Min.Y + t.U(16) + t.Slack(c)/3
	iconH := t.U(30)
	e.icon = widget.NewCanvas(image.Rect(c.Min.X, y, c.Max.X, y+iconH), e.paintIcon)
	y += iconH + t.U(8)
	e.title = widget.NewLabel(row(t, c, y, t.Title.Height()), widget.Style{Font: t.Title, Fg: t.C.Fg, Align: widget.AlignCenter}, "")
	y += t.Title.Height() + t.U(8)
	e.peer, y = newPeer(t, c, y)
	y += t.U(10)
	e.reason = widget.NewParagraph(image.Rect(c.Min.X+t.U(14), y, c.Max.X-t.U(14), c.Max.Y-t.Pad), widget.Style{Font: t.Body, Fg: t.C.Muted, Align: widget.AlignCenter}, "")
	e.root.Add(e.icon, e.title, e.peer.name, e.peer.office, e.reason)
	e.hints.Set("", "OK", "")
	return e
}

func (e *Ended) paintIcon(dst *image.RGBA, r image.Rectangle) {
	t := e.env.Theme
	s := r.Dy()
	sq := image.Rect(r.Min.X+(r.Dx()-s)/2, r.Min.Y, r.Min.X+(r.Dx()+s)/2, r.Max.Y)
	if e.alarm {
		widget.DrawWarning(dst, sq, t.C.Danger, t.C.Bg)
		return
	}
	widget.StrokeCircle(dst, float64(sq.Min.X)+float64(s)/2, float64(sq.Min.Y)+float64(s)/2, float64(s)/2, float64(t.Ring), t.C.Muted)
	widget.DrawCross(dst, sq.Inset(s/4), float32(t.U(2.5)), t.C.Muted)
}

// Alarm reports whether the screen shows a security failure.
func (e *Ended) Alarm() bool { return e.alarm }

// Update implements Screen.
func (e *Ended) Update(s *state.Snapshot, _ time.Time) {
	t := e.env.Theme
	e.updateStatus(s)
	e.peer.update(s)
	e.id = s.Call.ID
	alarm := SecurityEnd(s.Call)
	if alarm != e.alarm {
		e.alarm = alarm
		e.icon.Invalidate()
	}
	reason := s.Call.EndReason
	switch {
	case alarm:
		e.title.SetStyle(widget.Style{Font: t.Title, Fg: t.C.Danger, Align: widget.AlignCenter})
		e.title.SetText("Call ended for security")
		check := strings.TrimSpace(strings.TrimPrefix(reason, securityPrefix))
		e.reason.SetStyle(widget.Style{Font: t.Body, Fg: t.C.Fg, Align: widget.AlignCenter})
		e.reason.SetText("A security check failed: " + check + ". Report this to your security officer.")
	default:
		e.title.SetStyle(widget.Style{Font: t.Title, Fg: t.C.Fg, Align: widget.AlignCenter})
		e.title.SetText("Call ended")
		e.reason.SetStyle(widget.Style{Font: t.Body, Fg: t.C.Muted, Align: widget.AlignCenter})
		e.reason.SetText(endReason(reason))
	}
}

// endReason words an ordinary EndReason for the user.
func endReason(r string) string {
	switch r {
	case "declined":
		return "The call was declined."
	case "busy":
		return "The line is busy."
	case "unreachable":
		return "The phone could not be reached."
	case "hung-up", "":
		return ""
	}
	return r
}

// HandleKey implements Screen.
func (e *Ended) HandleKey(k key.Key) bool {
	if e.alarm && k != key.OK {
		return true // read it first
	}
	e.onDone()
	return true
}
