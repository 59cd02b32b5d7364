package screen

import (
	"crypto/subtle"
	"fmt"
	"image"
	"time"

	"mehfooz/daemon/state"
	"mehfooz/ui/key"
	"mehfooz/ui/widget"
)

// PIN length limits. The keystore sets the real policy; these only keep the
// field sane: no PIN shorter than 4 is sent, none longer than 16 is typed.
const (
	minPIN = 4
	maxPIN = 16
	// checkTimeout is how long "Checking" shows if the daemon publishes no
	// change to the lock state.
	checkTimeout = 10 * time.Second
)

// Lock is the PIN entry screen, the first-boot PIN set-up (the PIN is typed
// twice before it is sent), and the notice shown once the keystore has been
// wiped. It shows dots, never digits; it sends every PIN the same way, so a
// duress PIN looks exactly like any other.
type Lock struct {
	chrome
	env     Env
	icon    *widget.Canvas
	title   *widget.Label
	prompt  *widget.Label
	field   *widget.Canvas
	message *widget.Label

	pin      []byte
	first    []byte // set-up: the PIN typed the first time, until confirmed
	differ   bool   // set-up: the confirmation did not match
	wiped    bool
	pending  bool
	sentAt   time.Time
	sentLock state.Lock
	lock     state.Lock
	now      time.Time // of the last Update: the screen has no clock of its own
}

// NewLock returns the lock screen.
func NewLock(env Env) *Lock {
	t := env.Theme
	l := &Lock{env: env}
	l.chrome = newChrome(t, t.Hints.With(t.C.Fg, t.C.Bg))
	c := l.content
	y := c.Min.Y + t.U(18) + t.Slack(c)/3
	iconH := t.U(34)
	l.icon = widget.NewCanvas(image.Rect(c.Min.X, y, c.Max.X, y+iconH), l.paintIcon)
	y += iconH + t.U(10)
	l.title = widget.NewLabel(row(t, c, y, t.Title.Height()), widget.Style{Font: t.Title, Fg: t.C.Fg, Align: widget.AlignCenter}, "Mehfooz")
	y += t.Title.Height() + t.U(4)
	l.prompt = widget.NewLabel(row(t, c, y, t.Body.Height()), widget.Style{Font: t.Body, Fg: t.C.Muted, Align: widget.AlignCenter}, "Enter PIN to unlock")
	y += t.Body.Height() + t.U(14)
	fieldH := t.U(40)
	fieldW := min(c.Dx()-2*t.U(24), t.U(200)) // a PIN field, not a banner, on a wide screen
	fx := c.Min.X + (c.Dx()-fieldW)/2
	l.field = widget.NewCanvas(image.Rect(fx, y, fx+fieldW, y+fieldH), l.paintField)
	y += fieldH + t.U(12)
	l.message = widget.NewParagraph(image.Rect(c.Min.X+t.U(16), y, c.Max.X-t.U(16), c.Max.Y-t.Pad), widget.Style{Font: t.Body, Fg: t.C.Warn, Align: widget.AlignCenter}, "")
	l.root.Add(l.icon, l.title, l.prompt, l.field, l.message)
	l.refresh()
	return l
}

func (l *Lock) paintIcon(dst *image.RGBA, r image.Rectangle) {
	t := l.env.Theme
	c := t.C.Muted
	if l.wiped {
		widget.DrawWarning(dst, r, t.C.Danger, t.C.Bg)
		return
	}
	w := r.Dy() * 8 / 10
	x := r.Min.X + (r.Dx()+w)/2
	widget.DrawPadlock(dst, image.Rect(x-w, r.Min.Y, x, r.Max.Y), true, c)
}

func (l *Lock) paintField(dst *image.RGBA, r image.Rectangle) {
	t := l.env.Theme
	border := t.C.Faint
	if len(l.pin) > 0 {
		border = t.C.Accent
	}
	widget.FillRoundRect(dst, r, t.Radius, t.C.Surface)
	widget.StrokeRoundRect(dst, r, t.Radius, t.Ring, border)
	n := len(l.pin)
	if n == 0 {
		return
	}
	rad := float64(t.U(5))
	step := float64(t.U(15))
	if w := float64(r.Dx() - 2*t.Pad); step*float64(n) > w {
		step = w / float64(n)
		rad = min(rad, step*0.4)
	}
	x := float64(r.Min.X) + (float64(r.Dx())-step*float64(n-1))/2
	y := float64(r.Min.Y) + float64(r.Dy())/2
	for i := 0; i < n; i++ {
		widget.FillCircle(dst, x+step*float64(i), y, rad, t.C.Fg)
	}
}

// Update implements Screen.
func (l *Lock) Update(s *state.Snapshot, now time.Time) {
	l.updateStatus(s)
	if s.Lock.Setup != l.lock.Setup {
		l.Reset() // set up, or a new handset: start afresh
	}
	l.lock = s.Lock
	l.now = now
	if l.pending && (s.Lock != l.sentLock || now.Sub(l.sentAt) >= checkTimeout) {
		l.pending = false
	}
	if s.Lock.Wiped != l.wiped {
		l.wiped = s.Lock.Wiped
		l.Reset()
		l.icon.Invalidate()
	}
	l.refresh()
}

// refresh sets the labels and hints from the screen's state.
func (l *Lock) refresh() {
	t := l.env.Theme
	if l.wiped {
		l.title.SetText("Keys erased")
		l.prompt.SetText("")
		l.field.SetVisible(false)
		l.message.SetStyle(widget.Style{Font: t.Body, Fg: t.C.Fg, Align: widget.AlignCenter})
		l.message.SetText("Too many wrong PINs were entered, so this phone erased its keys. Take it to a technician to enroll it again.")
		l.hints.Set("", "", "")
		return
	}
	l.field.SetVisible(true)
	msg, c := "", t.C.Warn
	switch {
	case l.lock.Setup && l.first == nil:
		l.title.SetText("Choose a PIN")
		l.prompt.SetText("4 to 16 digits")
	case l.lock.Setup:
		l.title.SetText("Confirm the PIN")
		l.prompt.SetText("Type the same PIN again")
	default:
		l.title.SetText("Mehfooz")
		l.prompt.SetText("Enter PIN to unlock")
	}
	switch {
	case l.pending:
		msg, c = "Checking…", t.C.Muted
	case l.differ:
		msg = "The two PINs differ. Choose a PIN again."
	case l.lock.Setup:
		msg, c = "This PIN protects the phone's keys. Do not write it down.", t.C.Muted
	case l.lock.WrongPINs > 0 && l.lock.MaxAttempts > 0:
		left := l.lock.MaxAttempts - l.lock.WrongPINs
		msg = fmt.Sprintf("Wrong PIN. %d %s left.", left, plural(left, "try", "tries"))
		if left <= 3 {
			c = t.C.Danger
			msg = fmt.Sprintf("Wrong PIN. %d %s left before this phone erases its keys.", left, plural(left, "try", "tries"))
		}
	case l.lock.WrongPINs > 0:
		msg = "Wrong PIN."
	}
	l.message.SetStyle(widget.Style{Font: t.Body, Fg: c, Align: widget.AlignCenter})
	l.message.SetText(msg)
	left, center := "", ""
	if len(l.pin) > 0 {
		left = "Delete"
	}
	if len(l.pin) >= minPIN && !l.pending {
		switch {
		case l.lock.Setup && l.first == nil:
			center = "Next"
		case l.lock.Setup:
			center = "Set PIN"
		default:
			center = "Unlock"
		}
	}
	l.hints.Set(left, center, "")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// HandleKey implements Screen.
func (l *Lock) HandleKey(k key.Key) bool {
	if l.wiped {
		return false
	}
	switch {
	case k.Char() >= '0' && k.Char() <= '9':
		if len(l.pin) < maxPIN && !l.pending {
			l.pin = append(l.pin, k.Char())
			l.field.Invalidate()
		}
	case k == key.Clear || k == key.Back || k == key.SoftLeft:
		if n := len(l.pin); n > 0 {
			l.pin[n-1] = 0
			l.pin = l.pin[:n-1]
			l.field.Invalidate()
		} else if l.first != nil {
			l.Reset() // back from confirming to choosing
		}
	case k == key.OK || k == key.Call:
		if len(l.pin) < minPIN || l.pending {
			return true
		}
		l.differ = false
		if l.lock.Setup && l.first == nil {
			l.first = append([]byte(nil), l.pin...)
			l.wipePIN()
			break
		}
		if l.lock.Setup && subtle.ConstantTimeCompare(l.first, l.pin) != 1 {
			l.Reset()
			l.differ = true
			break
		}
		pin := append([]byte(nil), l.pin...)
		l.Reset()
		l.pending = true
		l.sentLock = l.lock
		l.sentAt = l.now
		l.env.Send(state.Intent{Kind: state.IntentUnlock, PIN: pin})
	default:
		return false
	}
	l.refresh()
	return true
}

// Reset wipes the digits typed so far, and a set-up PIN awaiting its
// confirmation. The UI calls it whenever the lock screen stops being shown,
// so no PIN lingers in memory.
func (l *Lock) Reset() {
	l.wipePIN()
	for i := range l.first {
		l.first[i] = 0
	}
	l.first = nil
	l.differ = false
}

// wipePIN zeroes and empties the digits typed.
func (l *Lock) wipePIN() {
	for i := range l.pin {
		l.pin[i] = 0
	}
	l.pin = l.pin[:0]
	l.field.Invalidate()
}
