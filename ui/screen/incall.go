package screen

import (
	"fmt"
	"image"
	"image/color"
	"time"

	"mehfooz/daemon/state"
	"mehfooz/ui/key"
	"mehfooz/ui/widget"
)

// InCall is the connected call: the peer, the call timer, the short
// authentication string in large type with the "does it match?" step, call
// quality, mute and hold. Until the user says the codes match, the screen
// says the call is not verified; neither answer is pre-selected, so a
// reflexive OK confirms nothing. End hangs up.
type InCall struct {
	chrome
	env     Env
	name    *widget.Label
	timer   *widget.Label
	office  *widget.Label
	badge   *widget.Canvas
	sas     *widget.Canvas
	prompt  *widget.Label
	left    *widget.Button // "Different", then Mute
	right   *widget.Button // "Same", then Hold
	buttons *widget.Group
	quality *widget.Canvas

	call    state.Call
	callID  string
	started time.Time // when this call first connected: holds do not restart the timer
}

// NewInCall returns the in-call screen.
func NewInCall(env Env) *InCall {
	t := env.Theme
	ic := &InCall{env: env}
	ic.chrome = newChrome(t, t.Hints.With(t.C.Fg, t.C.Bg))
	c := ic.content
	y := c.Min.Y + t.U(6)
	timerW := t.Mono.Measure("00:00") + t.Pad
	top := row(t, c, y, t.Title.Height())
	ic.name = widget.NewLabel(image.Rect(top.Min.X, top.Min.Y, top.Max.X-timerW, top.Max.Y), widget.Style{Font: t.Title, Fg: t.C.Fg}, "")
	ic.timer = widget.NewLabel(image.Rect(top.Max.X-timerW, top.Min.Y, top.Max.X, top.Max.Y), widget.Style{Font: t.Bold, Fg: t.C.Muted, Align: widget.AlignEnd}, "")
	y += t.Title.Height()
	ic.office = widget.NewLabel(row(t, c, y, t.Small.Height()), widget.Style{Font: t.Small, Fg: t.C.Muted}, "")
	y += t.Small.Height() + t.U(6)
	ic.badge = widget.NewCanvas(row(t, c, y, t.Bold.Height()+t.U(4)), ic.paintBadge)
	slack := t.Slack(c)
	y += t.Bold.Height() + t.U(10) + slack/4
	sasH := t.Huge.Height() + t.Small.Height() + t.U(18)
	ic.sas = widget.NewCanvas(row(t, c, y, sasH), ic.paintSAS)
	y += sasH + t.U(6)
	promptH := widget.ParagraphHeight(t.Body, 2)
	ic.prompt = widget.NewParagraph(row(t, c, y, promptH), widget.Style{Font: t.Body, Fg: t.C.Fg, Align: widget.AlignCenter}, "")
	y += promptH + t.U(4) + slack/4
	bh := t.U(30)
	half := (c.Dx() - 3*t.Pad) / 2
	ic.left = widget.NewButton(image.Rect(c.Min.X+t.Pad, y, c.Min.X+t.Pad+half, y+bh), t.Button, t.ButtonFocus, t.Ring, "", ic.pressLeft)
	ic.right = widget.NewButton(image.Rect(c.Max.X-t.Pad-half, y, c.Max.X-t.Pad, y+bh), t.Button, t.ButtonFocus, t.Ring, "", ic.pressRight)
	ic.buttons = widget.NewGroup(false, ic.left, ic.right)
	ic.quality = widget.NewCanvas(row(t, c, c.Max.Y-t.Small.Height()-t.U(6), t.Small.Height()), ic.paintQuality)
	ic.root.Add(ic.name, ic.timer, ic.office, ic.badge, ic.sas, ic.prompt, ic.left, ic.right, ic.quality)
	ic.layoutButtons()
	return ic
}

// verified reports whether the user has confirmed the codes match.
func (ic *InCall) verified() bool { return ic.call.SASVerdict == state.SASMatch }

func (ic *InCall) pressLeft() {
	if !ic.verified() {
		ic.env.Send(state.Intent{Kind: state.IntentSASVerdict, Match: false})
		return
	}
	ic.env.Send(state.Intent{Kind: state.IntentMute, On: !ic.call.Muted})
}

func (ic *InCall) pressRight() {
	if !ic.verified() {
		ic.env.Send(state.Intent{Kind: state.IntentSASVerdict, Match: true})
		return
	}
	ic.env.Send(state.Intent{Kind: state.IntentHold, On: ic.call.Phase != state.CallOnHold})
}

// layoutButtons names the buttons and hints for the call's state.
func (ic *InCall) layoutButtons() {
	mute := "Mute"
	if ic.call.Muted {
		mute = "Unmute"
	}
	center := "Select"
	if !ic.verified() {
		switch {
		case ic.call.SAS == "":
			ic.prompt.SetText("Securing the call…")
			ic.left.SetVisible(false)
			ic.right.SetVisible(false)
		default:
			ic.prompt.SetText("Does the other phone show the same code?")
			ic.left.SetText("Different")
			ic.right.SetText("Same")
			ic.left.SetVisible(true)
			ic.right.SetVisible(true)
			if ic.buttons.Index() < 0 {
				center = "◄ ► choose"
			}
		}
	} else {
		hold := "Hold"
		if ic.call.Phase == state.CallOnHold {
			hold = "Resume"
		}
		ic.prompt.SetText("")
		ic.left.SetText(mute)
		ic.right.SetText(hold)
		ic.left.SetVisible(true)
		ic.right.SetVisible(true)
	}
	ic.hints.Set(mute, center, "End call")
}

// Update implements Screen.
func (ic *InCall) Update(s *state.Snapshot, now time.Time) {
	ic.updateStatus(s)
	call := s.Call
	if call.ID != ic.callID {
		ic.callID = call.ID
		ic.started = call.Since
		ic.buttons.Focus(-1) // a new call: nothing pre-selected
	}
	if call.Since.Before(ic.started) {
		ic.started = call.Since
	}
	if call.SASVerdict != ic.call.SASVerdict {
		ic.buttons.Focus(-1)
	}
	if call.SAS != ic.call.SAS || call.SASVerdict != ic.call.SASVerdict {
		ic.sas.Invalidate()
	}
	if call.SASVerdict != ic.call.SASVerdict || call.Muted != ic.call.Muted || call.Phase != ic.call.Phase {
		ic.badge.Invalidate()
	}
	if call.Quality != ic.call.Quality {
		ic.quality.Invalidate()
	}
	ic.call = call
	ct, _ := Contact(s, call.PeerID)
	name := call.PeerName
	if name == "" {
		name = ct.Name
	}
	ic.name.SetText(name)
	ic.office.SetText(ct.Office)
	ic.timer.SetText(clock(now.Sub(ic.started)))
	ic.layoutButtons()
}

func (ic *InCall) paintBadge(dst *image.RGBA, r image.Rectangle) {
	t := ic.env.Theme
	f := t.Bold
	type chip struct {
		text string
		c    color.RGBA
	}
	var chips []chip
	if ic.verified() {
		chips = append(chips, chip{"Verified", t.C.Secure})
	} else {
		chips = append(chips, chip{"Not verified", t.C.Warn})
	}
	if ic.call.Phase == state.CallOnHold {
		chips = append(chips, chip{"On hold", t.C.Warn})
	}
	if ic.call.Muted {
		chips = append(chips, chip{"Muted", t.C.Danger})
	}
	x := r.Min.X
	for _, ch := range chips {
		w := f.Measure(ch.text) + 2*t.U(6)
		box := image.Rect(x, r.Min.Y, x+w, r.Max.Y)
		widget.StrokeRoundRect(dst, box, r.Dy()/2, t.Ring, ch.c)
		f.Draw(dst, x+t.U(6), r.Min.Y+(r.Dy()-f.Height())/2+f.Ascent(), ch.text, ch.c)
		x += w + t.U(6)
	}
}

func (ic *InCall) paintSAS(dst *image.RGBA, r image.Rectangle) {
	t := ic.env.Theme
	border := t.C.Warn
	if ic.verified() {
		border = t.C.Secure
	}
	widget.FillRoundRect(dst, r, t.U(8), t.C.Surface)
	widget.StrokeRoundRect(dst, r, t.U(8), max(2, t.Ring), border)
	label := "Security code"
	t.Small.Draw(dst, r.Min.X+(r.Dx()-t.Small.Measure(label))/2, r.Min.Y+t.U(6)+t.Small.Ascent(), label, t.C.Muted)
	code := ic.call.SAS
	f := t.Huge
	if code == "" {
		code, f = "· · · ·", t.Large
	}
	// A code too long for the huge face (words rather than digits) drops
	// to the large one, then is cut: never drawn outside the card.
	if f.Measure(code) > r.Dx()-2*t.Pad {
		f = t.Large
	}
	code = widget.Fit(f, code, r.Dx()-2*t.Pad)
	area := image.Rect(r.Min.X, r.Min.Y+t.U(6)+t.Small.Height(), r.Max.X, r.Max.Y)
	y := area.Min.Y + (area.Dy()-f.Height())/2 + f.Ascent()
	f.Draw(dst, r.Min.X+(r.Dx()-f.Measure(code))/2, y, code, t.C.Fg)
	if ic.verified() {
		s := t.U(16)
		widget.DrawCheck(dst, image.Rect(r.Max.X-s-t.U(8), r.Min.Y+t.U(6), r.Max.X-t.U(8), r.Min.Y+t.U(6)+s), float32(t.U(3)), t.C.Secure)
	}
}

func (ic *InCall) paintQuality(dst *image.RGBA, r image.Rectangle) {
	t := ic.env.Theme
	q := ic.call.Quality
	c := t.C.Secure
	word := "Good"
	switch {
	case q.Bars <= 1:
		c, word = t.C.Danger, "Poor"
	case q.Bars <= 3:
		c, word = t.C.Warn, "Fair"
	}
	h := r.Dy() * 8 / 10
	x := widget.DrawBars(dst, image.Rect(r.Min.X, r.Min.Y+(r.Dy()-h)/2, r.Min.X+h*2, r.Min.Y+(r.Dy()-h)/2+h), q.Bars, c, t.C.Faint)
	f := t.Small
	y := r.Min.Y + f.Ascent()
	f.Draw(dst, x+t.U(6), y, word, c)
	detail := fmt.Sprintf("%.0f ms, %.1f%% loss", q.RTTms, q.LossPct)
	f.Draw(dst, r.Max.X-f.Measure(detail), y, detail, t.C.Muted)
}

// HandleKey implements Screen.
func (ic *InCall) HandleKey(k key.Key) bool {
	switch k {
	case key.End, key.SoftRight:
		ic.env.Send(state.Intent{Kind: state.IntentHangUp})
		return true
	case key.SoftLeft:
		ic.env.Send(state.Intent{Kind: state.IntentMute, On: !ic.call.Muted})
		return true
	}
	if !ic.left.Visible() {
		return false
	}
	if ic.buttons.Index() < 0 {
		// Nothing chosen yet: OK alone confirms nothing, and Left or
		// Right picks the button on that side.
		switch k {
		case key.OK:
			return true
		case key.Left:
			ic.buttons.Focus(0)
		case key.Right:
			ic.buttons.Focus(1)
		default:
			return false
		}
		ic.layoutButtons()
		return true
	}
	used := ic.buttons.HandleKey(k)
	ic.layoutButtons()
	return used
}
