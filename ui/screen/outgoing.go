package screen

import (
	"image"
	"time"

	"mehfooz/daemon/state"
	"mehfooz/ui/key"
	"mehfooz/ui/theme"
	"mehfooz/ui/widget"
)

// peer is the block naming the other party: name, large, then office.
type peer struct {
	name   *widget.Label
	office *widget.Label
}

func newPeer(t *theme.Theme, c image.Rectangle, y int) (peer, int) {
	nameH := widget.ParagraphHeight(t.Large, 2)
	p := peer{
		name: widget.NewParagraph(row(t, c, y, nameH), widget.Style{Font: t.Large, Fg: t.C.Fg, Align: widget.AlignCenter}, ""),
	}
	y += nameH
	p.office = widget.NewLabel(row(t, c, y, t.Body.Height()), widget.Style{Font: t.Body, Fg: t.C.Muted, Align: widget.AlignCenter}, "")
	return p, y + t.Body.Height()
}

func (p peer) update(s *state.Snapshot) {
	ct, _ := Contact(s, s.Call.PeerID)
	name := s.Call.PeerName
	if name == "" {
		name = ct.Name
	}
	if name == "" {
		name = s.Call.PeerID
	}
	p.name.SetText(name)
	p.office.SetText(ct.Office)
}

// secureNote draws the small padlock line that says a call is encrypted.
func secureNote(t *theme.Theme, r image.Rectangle, msg string) *widget.Canvas {
	return widget.NewCanvas(r, func(dst *image.RGBA, r image.Rectangle) {
		f := t.Small
		h := f.Height() * 8 / 10
		w := f.Measure(msg) + h + t.U(6)
		x := r.Min.X + (r.Dx()-w)/2
		y := r.Min.Y + (r.Dy()-h)/2
		widget.DrawPadlock(dst, image.Rect(x, y, x+h*8/10, y+h), true, t.C.Secure)
		f.Draw(dst, x+h+t.U(6), r.Min.Y+(r.Dy()-f.Height())/2+f.Ascent(), msg, t.C.Muted)
	})
}

// Outgoing is shown while our call is being set up: "Calling" until the
// callee's phone rings, then "Ringing". End hangs up.
type Outgoing struct {
	chrome
	env     Env
	status  *widget.Label
	peer    peer
	elapsed *widget.Label
}

// NewOutgoing returns the outgoing call screen.
func NewOutgoing(env Env) *Outgoing {
	t := env.Theme
	o := &Outgoing{env: env}
	o.chrome = newChrome(t, t.Hints.With(t.C.Fg, t.C.Bg))
	c := o.content
	y := c.Min.Y + t.U(28) + t.Slack(c)/3
	o.status = widget.NewLabel(row(t, c, y, t.Body.Height()), widget.Style{Font: t.Body, Fg: t.C.Accent, Align: widget.AlignCenter}, "")
	y += t.Body.Height() + t.U(10)
	o.peer, y = newPeer(t, c, y)
	y += t.U(14)
	o.elapsed = widget.NewLabel(row(t, c, y, t.Mono.Height()), widget.Style{Font: t.Mono, Fg: t.C.Muted, Align: widget.AlignCenter}, "")
	note := secureNote(t, row(t, c, c.Max.Y-t.U(30), t.U(22)), "End-to-end encrypted")
	o.root.Add(o.status, o.peer.name, o.peer.office, o.elapsed, note)
	o.hints.Set("", "", "End call")
	return o
}

// Update implements Screen.
func (o *Outgoing) Update(s *state.Snapshot, now time.Time) {
	o.updateStatus(s)
	o.peer.update(s)
	if s.Call.Phase == state.CallRinging {
		o.status.SetText("Ringing…")
	} else {
		o.status.SetText("Calling…")
	}
	o.elapsed.SetText(clock(now.Sub(s.Call.Since)))
}

// HandleKey implements Screen.
func (o *Outgoing) HandleKey(k key.Key) bool {
	switch k {
	case key.End, key.SoftRight:
		o.env.Send(state.Intent{Kind: state.IntentHangUp})
		return true
	}
	return false
}

// Incoming is shown while our phone rings: Call or Answer takes the call,
// End or Reject declines it.
type Incoming struct {
	chrome
	env     Env
	peer    peer
	answer  *widget.Button
	reject  *widget.Button
	buttons *widget.Group
}

// NewIncoming returns the incoming call screen.
func NewIncoming(env Env) *Incoming {
	t := env.Theme
	in := &Incoming{env: env}
	in.chrome = newChrome(t, t.Hints.With(t.C.Fg, t.C.Bg))
	c := in.content
	y := c.Min.Y + t.U(22) + t.Slack(c)/3
	title := widget.NewLabel(row(t, c, y, t.Body.Height()), widget.Style{Font: t.Bold, Fg: t.C.Secure, Align: widget.AlignCenter}, "Incoming secure call")
	y += t.Body.Height() + t.U(10)
	in.peer, _ = newPeer(t, c, y)
	bh := t.U(34)
	by := c.Max.Y - bh - t.U(40)
	half := (c.Dx() - 3*t.Pad) / 2
	rejectSt := t.Button.With(t.C.Fg, t.C.Raised)
	rejectFocus := t.ButtonFocus.With(t.C.OnAccent, t.C.Danger)
	answerFocus := t.ButtonFocus.With(t.C.OnAccent, t.C.Secure)
	in.reject = widget.NewButton(image.Rect(c.Min.X+t.Pad, by, c.Min.X+t.Pad+half, by+bh), rejectSt, rejectFocus, 0, "Reject", in.doReject)
	in.answer = widget.NewButton(image.Rect(c.Max.X-t.Pad-half, by, c.Max.X-t.Pad, by+bh), rejectSt, answerFocus, 0, "Answer", in.doAnswer)
	in.buttons = widget.NewGroup(false, in.reject, in.answer)
	in.buttons.Focus(1)
	note := secureNote(t, row(t, c, c.Max.Y-t.U(30), t.U(22)), "End-to-end encrypted")
	in.root.Add(title, in.peer.name, in.peer.office, in.reject, in.answer, note)
	in.hints.Set("Reject", "Select", "Answer")
	return in
}

func (in *Incoming) doAnswer() { in.env.Send(state.Intent{Kind: state.IntentAnswer}) }
func (in *Incoming) doReject() { in.env.Send(state.Intent{Kind: state.IntentReject}) }

// Update implements Screen.
func (in *Incoming) Update(s *state.Snapshot, _ time.Time) {
	in.updateStatus(s)
	in.peer.update(s)
}

// Reset puts the focus back on Answer for the next call.
func (in *Incoming) Reset() { in.buttons.Focus(1) }

// HandleKey implements Screen.
func (in *Incoming) HandleKey(k key.Key) bool {
	switch k {
	case key.Call, key.SoftRight:
		in.doAnswer()
	case key.End, key.SoftLeft:
		in.doReject()
	default:
		return in.buttons.HandleKey(k)
	}
	return true
}
