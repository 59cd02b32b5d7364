package ui

import (
	"image"
	"time"

	"mehfooz/daemon/state"
	"mehfooz/ui/key"
	"mehfooz/ui/screen"
	"mehfooz/ui/theme"
	"mehfooz/ui/widget"
)

// ackGrace is how long an alert acknowledged here stays hidden while the
// daemon has not yet reported it acknowledged. If the acknowledgement was
// lost or refused, the alert comes back: it cannot be missed.
const ackGrace = 5 * time.Second

// endedLinger is how long an ordinary "call ended" screen stays before the
// phone returns to where it was.
const endedLinger = 4 * time.Second

// view is the unlocked, idle part of the UI the user navigated to.
type view uint8

const (
	viewHome view = iota
	viewDetail
)

// core is the UI's state and screens, driven synchronously: the App's loop
// feeds it snapshots, keys and ticks, and tests drive it directly. It decides
// which screen is shown; the screens decide what it shows.
type core struct {
	t     *theme.Theme
	send  func(state.Intent)
	frame *image.RGBA

	lock     *screen.Lock
	contacts *screen.Contacts
	detail   *screen.Detail
	outgoing *screen.Outgoing
	incoming *screen.Incoming
	incall   *screen.InCall
	ended    *screen.Ended
	alert    *screen.Alert

	cur  screen.Screen
	snap state.Snapshot
	have bool // a snapshot has arrived
	now  time.Time

	view         view
	dismissedEnd string               // the ended call whose screen was left
	acked        map[string]time.Time // alerts acknowledged here, and when; maybe not yet in a snapshot
	dialog       *widget.Dialog       // a warning or info alert over the idle screens
	dialogID     string
	dialogOn     *widget.Root
}

func newCore(t *theme.Theme, send func(state.Intent), now time.Time) *core {
	c := &core{
		t:     t,
		send:  send,
		frame: image.NewRGBA(t.Screen),
		acked: make(map[string]time.Time),
		now:   now,
	}
	env := screen.Env{Theme: t, Send: send, Nav: c}
	c.lock = screen.NewLock(env)
	c.contacts = screen.NewContacts(env)
	c.detail = screen.NewDetail(env)
	c.outgoing = screen.NewOutgoing(env)
	c.incoming = screen.NewIncoming(env)
	c.incall = screen.NewInCall(env)
	c.ended = screen.NewEnded(env, c.leaveEnded)
	c.alert = screen.NewAlert(env, func(id string) { c.acked[id] = c.now; c.refresh() })
	c.snap.Lock.Locked = true // until told otherwise, nothing behind the lock shows
	c.refresh()
	return c
}

// OpenContact implements screen.Nav.
func (c *core) OpenContact(id string) {
	c.detail.Show(id)
	c.view = viewDetail
	c.refresh()
}

// Home implements screen.Nav.
func (c *core) Home() {
	c.view = viewHome
	c.refresh()
}

func (c *core) leaveEnded() {
	c.dismissedEnd = c.snap.Call.ID
	c.refresh()
}

// apply shows a new snapshot.
func (c *core) apply(s state.Snapshot, now time.Time) {
	wasLocked := c.snap.Lock.Locked || c.snap.Lock.Wiped
	c.snap = s
	c.have = true
	c.now = now
	if locked := s.Lock.Locked || s.Lock.Wiped; locked && !wasLocked {
		// Locking forgets where the user was and what they typed.
		c.contacts.Reset()
		c.view = viewHome
	}
	for id := range c.acked {
		if !pendingAlert(s.Alerts, id) {
			delete(c.acked, id) // the daemon has it, or dropped it
		}
	}
	c.refresh()
}

// tick moves time on for timers and lingering screens.
func (c *core) tick(now time.Time) {
	c.now = now
	c.refresh()
}

// animating reports whether the shown screen changes with time alone.
func (c *core) animating() bool {
	if len(c.acked) > 0 {
		return true // an acknowledgement the daemon has not confirmed yet
	}
	switch c.cur {
	case c.outgoing, c.incall, c.ended, c.lock:
		return true
	}
	return false
}

func pendingAlert(as []state.Alert, id string) bool {
	for _, a := range as {
		if a.ID == id && !a.Acked {
			return true
		}
	}
	return false
}

// unacked returns the alerts of severity sev not yet acknowledged.
func (c *core) unacked(critical bool) []state.Alert {
	var out []state.Alert
	for _, a := range c.snap.Alerts {
		if at, ok := c.acked[a.ID]; ok && c.now.Sub(at) < ackGrace {
			continue
		}
		if a.Acked || (a.Severity == state.SeverityCritical) != critical {
			continue
		}
		out = append(out, a)
	}
	return out
}

// choose picks the screen the state calls for, most urgent first: a critical
// alert, then a call, then the lock, then where the user navigated.
func (c *core) choose() screen.Screen {
	if crit := c.unacked(true); len(crit) > 0 {
		if c.alert.ID() != crit[0].ID || c.cur != c.alert {
			c.alert.Show(crit[0], len(crit))
		}
		return c.alert
	}
	call := c.snap.Call
	switch call.Phase {
	case state.CallIncoming:
		return c.incoming
	case state.CallDialing, state.CallRinging:
		return c.outgoing
	case state.CallConnected, state.CallOnHold:
		return c.incall
	case state.CallEnded:
		if call.ID != c.dismissedEnd && (screen.SecurityEnd(call) || c.now.Sub(call.Since) < endedLinger) {
			return c.ended
		}
	}
	if !c.have || c.snap.Lock.Locked || c.snap.Lock.Wiped {
		return c.lock
	}
	if c.view == viewDetail {
		if _, ok := screen.Contact(&c.snap, c.detail.ID()); ok {
			return c.detail
		}
		c.view = viewHome
	}
	return c.contacts
}

// refresh shows the chosen screen, updated to the current state, with any
// pending warning as a dialog over it.
func (c *core) refresh() {
	next := c.choose()
	if next != c.cur {
		switch c.cur {
		case c.lock:
			c.lock.Reset()
		case c.incoming:
			c.incoming.Reset()
		}
		if c.dialogOn != nil {
			c.dialogOn.ClearModal()
			c.dialogOn, c.dialog, c.dialogID = nil, nil, ""
		}
		c.cur = next
		next.Root().InvalidateAll()
	}
	c.cur.Update(&c.snap, c.now)
	c.syncDialog()
}

// syncDialog shows the first unacknowledged warning or info alert as a
// dialog over the contact list or detail; calls and the lock screen are
// never covered by one.
func (c *core) syncDialog() {
	var want *state.Alert
	if c.cur == c.contacts || c.cur == c.detail {
		if ws := c.unacked(false); len(ws) > 0 {
			want = &ws[0]
		}
	}
	switch {
	case want == nil && c.dialog != nil:
		c.dialogOn.ClearModal()
		c.dialogOn, c.dialog, c.dialogID = nil, nil, ""
	case want != nil && want.ID != c.dialogID:
		sev := theme.Info
		if want.Severity == state.SeverityWarning {
			sev = theme.Warning
		}
		id := want.ID
		c.dialog = widget.NewDialog(c.t.Screen, c.t.Dialog(sev), want.Title, want.Text, widget.Action{Text: "OK", Do: func() {
			c.send(state.Intent{Kind: state.IntentAckAlert, AlertID: id})
			c.acked[id] = c.now
			c.refresh()
		}})
		c.dialogID = id
		c.dialogOn = c.cur.Root()
		c.dialogOn.SetModal(c.t.C.Dim, c.dialog)
	}
}

// key handles one key press.
func (c *core) key(k key.Key) {
	if c.dialog != nil {
		switch k {
		case key.OK:
			c.dialog.HandleKey(k)
		case key.End:
			c.cur.HandleKey(k) // End still locks under a dialog
		}
		return // a dialog takes every other key until acknowledged
	}
	if c.cur.HandleKey(k) {
		return
	}
	switch k {
	case key.End:
		switch c.snap.Call.Phase {
		case state.CallIncoming:
			c.send(state.Intent{Kind: state.IntentReject})
		case state.CallDialing, state.CallRinging, state.CallConnected, state.CallOnHold:
			c.send(state.Intent{Kind: state.IntentHangUp})
		}
	case key.Power:
		if !c.snap.Lock.Locked && c.snap.Call.Phase != state.CallConnected {
			c.send(state.Intent{Kind: state.IntentLock})
		}
	}
}

// render repaints what changed and returns the changed areas.
func (c *core) render() []image.Rectangle { return c.cur.Root().Render(c.frame) }

// dirty reports whether a render would paint anything.
func (c *core) dirty() bool { return c.cur.Root().Dirty() }
