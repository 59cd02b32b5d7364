package ui

import (
	"image"
	"slices"
	"testing"
	"time"

	"mehfooz/daemon/state"
	"mehfooz/ui/key"
	"mehfooz/ui/theme"
)

// harness drives a core synchronously and records the intents it sends.
type harness struct {
	t    *testing.T
	c    *core
	sent []state.Intent
	now  time.Time
}

func newHarness(t *testing.T, s state.Snapshot) *harness {
	t.Helper()
	th, err := theme.New(image.Rect(0, 0, 240, 320), theme.Dark)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, now: t0}
	h.c = newCore(th, func(i state.Intent) { h.sent = append(h.sent, i) }, t0)
	h.c.apply(s, t0)
	return h
}

func (h *harness) keys(ks ...key.Key) {
	for _, k := range ks {
		h.c.key(k)
	}
}

func (h *harness) apply(f func(*state.Snapshot)) {
	s := h.c.snap
	s.Contacts = slices.Clone(s.Contacts)
	s.Alerts = slices.Clone(s.Alerts)
	f(&s)
	s.Seq++
	h.c.apply(s, h.now)
}

func (h *harness) advance(d time.Duration) {
	h.now = h.now.Add(d)
	h.c.tick(h.now)
}

// take returns the intents sent since the last take.
func (h *harness) take() []state.Intent {
	out := h.sent
	h.sent = nil
	return out
}

func (h *harness) wantIntents(want ...state.Intent) {
	h.t.Helper()
	got := h.take()
	if len(got) != len(want) {
		h.t.Fatalf("sent %d intents %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Kind != w.Kind || string(g.PIN) != string(w.PIN) || g.ContactID != w.ContactID || g.On != w.On || g.Match != w.Match || g.AlertID != w.AlertID {
			h.t.Fatalf("intent %d = %+v, want %+v", i, g, w)
		}
	}
}

func (h *harness) wantScreen(name string) {
	h.t.Helper()
	screens := map[string]any{
		"lock": h.c.lock, "contacts": h.c.contacts, "detail": h.c.detail, "outgoing": h.c.outgoing,
		"incoming": h.c.incoming, "incall": h.c.incall, "ended": h.c.ended, "alert": h.c.alert,
	}
	if screens[name] != any(h.c.cur) {
		for n, s := range screens {
			if s == any(h.c.cur) {
				h.t.Fatalf("screen is %s, want %s", n, name)
			}
		}
		h.t.Fatalf("screen is unknown, want %s", name)
	}
}

func locked() state.Snapshot {
	s := base()
	s.Lock.Locked = true
	return s
}

func TestLockSendsPINAndWipesIt(t *testing.T) {
	h := newHarness(t, locked())
	h.wantScreen("lock")
	h.keys(key.Digit1, key.Digit2, key.Digit3, key.OK)
	h.wantIntents() // three digits are too few to send
	h.keys(key.Digit4, key.Digit5, key.Clear, key.OK)
	h.wantIntents(state.Intent{Kind: state.IntentUnlock, PIN: []byte("1234")})
	// Keys typed while the daemon checks are dropped, not queued.
	h.keys(key.Digit9, key.OK)
	h.wantIntents()
	h.apply(func(s *state.Snapshot) { s.Lock.WrongPINs = 1 })
	h.keys(key.Digit9, key.Digit9, key.Digit9, key.Digit9, key.Call)
	h.wantIntents(state.Intent{Kind: state.IntentUnlock, PIN: []byte("9999")})
	h.apply(func(s *state.Snapshot) { s.Lock.Locked, s.Lock.WrongPINs = false, 0 })
	h.wantScreen("contacts")
}

func TestLockSetUpAsksTwice(t *testing.T) {
	s := locked()
	s.Lock = state.Lock{Locked: true, Setup: true, MaxAttempts: 10}
	h := newHarness(t, s)
	h.keys(key.Digit2, key.Digit5, key.Digit8, key.Digit0, key.OK)
	h.wantIntents() // not yet: it must be typed again
	h.keys(key.Digit2, key.Digit5, key.Digit8, key.Digit1, key.OK)
	h.wantIntents() // differs: start over
	h.keys(key.Digit2, key.Digit5, key.Digit8, key.Digit0, key.OK)
	h.keys(key.Clear, key.Back) // nothing typed: back to choosing
	h.keys(key.Digit7, key.Digit7, key.Digit7, key.Digit7, key.OK)
	h.keys(key.Digit7, key.Digit7, key.Digit7, key.Digit7, key.OK)
	h.wantIntents(state.Intent{Kind: state.IntentUnlock, PIN: []byte("7777")})
	h.apply(func(s *state.Snapshot) { s.Lock = state.Lock{MaxAttempts: 10} })
	h.wantScreen("contacts")
}

func TestLockCheckingTimesOut(t *testing.T) {
	h := newHarness(t, locked())
	h.keys(key.Digit1, key.Digit2, key.Digit3, key.Digit4, key.OK)
	h.take()
	h.keys(key.Digit5, key.Digit5, key.Digit5, key.Digit5, key.OK)
	h.wantIntents() // still checking
	h.advance(11 * time.Second)
	h.keys(key.Digit5, key.Digit5, key.Digit5, key.Digit5, key.OK)
	h.wantIntents(state.Intent{Kind: state.IntentUnlock, PIN: []byte("5555")})
}

// The UI cannot tell a duress PIN from any other: every PIN of a length
// leaves the same frame and sends the same kind of intent.
func TestLockTreatsEveryPINAlike(t *testing.T) {
	frames := map[string][]byte{}
	for _, pin := range []string{"1111", "2580", "9999"} {
		h := newHarness(t, locked())
		for _, d := range pin {
			h.keys(key.Digit0 + key.Key(d-'0'))
		}
		h.keys(key.OK)
		h.wantIntents(state.Intent{Kind: state.IntentUnlock, PIN: []byte(pin)})
		h.c.render()
		frames[pin] = slices.Clone(h.c.frame.Pix)
	}
	if string(frames["1111"]) != string(frames["2580"]) || string(frames["1111"]) != string(frames["9999"]) {
		t.Fatal("frames after different PINs differ: the screen would reveal which PIN was typed")
	}
}

func TestLockingForgetsSearchAndView(t *testing.T) {
	h := newHarness(t, base())
	h.keys(key.Digit7, key.Digit2)
	if q := h.c.contacts.Query(); q != "72" {
		t.Fatalf("query = %q, want 72", q)
	}
	h.keys(key.End)
	h.wantIntents(state.Intent{Kind: state.IntentLock})
	h.apply(func(s *state.Snapshot) { s.Lock.Locked = true })
	h.wantScreen("lock")
	h.apply(func(s *state.Snapshot) { s.Lock.Locked = false })
	h.wantScreen("contacts")
	if q := h.c.contacts.Query(); q != "" {
		t.Fatalf("query after lock = %q, want it cleared", q)
	}
}

func TestContactsNavigateAndDial(t *testing.T) {
	h := newHarness(t, base())
	h.wantScreen("contacts")
	h.keys(key.Down, key.Down, key.Down, key.Call) // Ayesha, Bilal, Farhan, Hina
	h.wantIntents(state.Intent{Kind: state.IntentDial, ContactID: "pk-0031"})
	h.keys(key.Up, key.Up, key.Up, key.Up, key.Call) // wraps to the last row
	h.wantIntents(state.Intent{Kind: state.IntentDial, ContactID: "pk-0040"})
}

func TestContactsSearchByKeypad(t *testing.T) {
	h := newHarness(t, base())
	h.keys(key.Digit7, key.Digit2) // "ra", "pa", "sa": Bilal Raza, Hina Parveen, Sana Javed
	h.keys(key.Call)
	h.wantIntents(state.Intent{Kind: state.IntentDial, ContactID: "pk-0012"})
	h.keys(key.Down, key.Call)
	h.wantIntents(state.Intent{Kind: state.IntentDial, ContactID: "pk-0031"})
	h.keys(key.Digit8) // "rat", "pav", "sat"...: nobody
	h.keys(key.Call)
	h.wantIntents()
	h.keys(key.Clear, key.Clear, key.Clear, key.Call) // back to everyone, selection kept
	h.wantIntents(state.Intent{Kind: state.IntentDial, ContactID: "pk-0031"})
}

func TestContactsRefuseWhatPolicyForbids(t *testing.T) {
	h := newHarness(t, base())
	h.keys(key.Digit4, key.Digit6) // Imran Qureshi, not callable
	h.keys(key.Call, key.SoftRight)
	h.wantIntents()
	h.keys(key.OK)
	h.wantScreen("detail")
	h.keys(key.Call, key.OK)
	h.wantIntents()
	h.keys(key.Back)
	h.wantScreen("contacts")
}

func TestSelectionFollowsContactAcrossUpdates(t *testing.T) {
	h := newHarness(t, base())
	h.keys(key.Down) // Bilal Raza
	h.apply(func(s *state.Snapshot) {
		s.Contacts = append(s.Contacts, state.Contact{ID: "pk-0001", Name: "Aamir Ali", Callable: true})
	})
	h.keys(key.Call)
	h.wantIntents(state.Intent{Kind: state.IntentDial, ContactID: "pk-0012"})
}

func TestDetailOpensDialsAndCloses(t *testing.T) {
	h := newHarness(t, base())
	h.keys(key.Down, key.OK)
	h.wantScreen("detail")
	h.keys(key.Call)
	h.wantIntents(state.Intent{Kind: state.IntentDial, ContactID: "pk-0012"})
	// A contact that leaves the directory (revoked) closes its detail.
	h.apply(func(s *state.Snapshot) {
		s.Contacts = slices.DeleteFunc(s.Contacts, func(c state.Contact) bool { return c.ID == "pk-0012" })
	})
	h.wantScreen("contacts")
}

func callSnap(phase state.CallPhase) func(*state.Snapshot) {
	return func(s *state.Snapshot) {
		s.Call = state.Call{Phase: phase, ID: "c9", PeerID: "pk-0007", PeerName: "Ayesha Khan", Since: t0}
	}
}

func TestIncomingAnswerAndReject(t *testing.T) {
	h := newHarness(t, base())
	h.apply(callSnap(state.CallIncoming))
	h.wantScreen("incoming")
	h.keys(key.OK) // Answer has the focus
	h.wantIntents(state.Intent{Kind: state.IntentAnswer})
	h.keys(key.Left, key.OK)
	h.wantIntents(state.Intent{Kind: state.IntentReject})
	h.keys(key.Call, key.End)
	h.wantIntents(state.Intent{Kind: state.IntentAnswer}, state.Intent{Kind: state.IntentReject})
}

func TestInCallSASStep(t *testing.T) {
	h := newHarness(t, base())
	h.apply(callSnap(state.CallConnected))
	h.wantScreen("incall")
	h.keys(key.OK)
	h.wantIntents() // no SAS yet, nothing to confirm
	h.apply(func(s *state.Snapshot) { s.Call.SAS = "4719" })
	h.keys(key.OK)
	h.wantIntents() // nothing pre-selected: a reflexive OK confirms nothing
	h.keys(key.Left, key.OK)
	h.wantIntents(state.Intent{Kind: state.IntentSASVerdict, Match: false})
	h.keys(key.Right, key.OK)
	h.wantIntents(state.Intent{Kind: state.IntentSASVerdict, Match: true})
	h.apply(func(s *state.Snapshot) { s.Call.SASVerdict = state.SASMatch })
	// Once verified the buttons are Mute and Hold, again with no focus.
	h.keys(key.OK)
	h.wantIntents()
	h.keys(key.Left, key.OK)
	h.wantIntents(state.Intent{Kind: state.IntentMute, On: true})
	h.apply(func(s *state.Snapshot) { s.Call.Muted = true })
	h.keys(key.OK, key.Right, key.OK)
	h.wantIntents(state.Intent{Kind: state.IntentMute, On: false}, state.Intent{Kind: state.IntentHold, On: true})
	h.keys(key.SoftLeft, key.End)
	h.wantIntents(state.Intent{Kind: state.IntentMute, On: false}, state.Intent{Kind: state.IntentHangUp})
}

func TestHoldKeepsTheCallTimer(t *testing.T) {
	h := newHarness(t, base())
	h.apply(callSnap(state.CallConnected)) // connected at t0
	h.advance(90 * time.Second)
	h.apply(func(s *state.Snapshot) { s.Call.Phase, s.Call.Since = state.CallOnHold, h.now })
	h.advance(10 * time.Second)
	h.c.render()
	want, _ := renderFixture(t, fixture{snap: func() state.Snapshot {
		s := base()
		callSnap(state.CallOnHold)(&s)
		return s
	}, at: 100 * time.Second}, image.Pt(240, 320))
	if n, _ := diff(h.c.frame, want); n != 0 {
		t.Fatalf("after a hold the timer restarted (%d pixels differ from 1:40)", n)
	}
}

func TestOutgoingHangsUpOnlyOnEnd(t *testing.T) {
	h := newHarness(t, base())
	h.apply(callSnap(state.CallDialing))
	h.wantScreen("outgoing")
	h.keys(key.Back, key.OK, key.Digit1)
	h.wantIntents()
	h.keys(key.End)
	h.wantIntents(state.Intent{Kind: state.IntentHangUp})
}

func TestEndedScreenLingersUnlessSecurity(t *testing.T) {
	h := newHarness(t, base())
	h.apply(func(s *state.Snapshot) {
		s.Call = state.Call{Phase: state.CallEnded, ID: "c1", PeerID: "pk-0007", Since: t0, EndReason: "busy"}
	})
	h.wantScreen("ended")
	h.advance(5 * time.Second)
	h.wantScreen("contacts")

	h.apply(func(s *state.Snapshot) {
		s.Call = state.Call{Phase: state.CallEnded, ID: "c2", PeerID: "pk-0007", Since: h.now, EndReason: "security: revoked certificate"}
	})
	h.wantScreen("ended")
	h.advance(time.Minute)
	h.keys(key.Back, key.End, key.Digit1)
	h.wantScreen("ended") // only OK leaves a security failure
	h.keys(key.OK)
	h.wantScreen("contacts")
}

func critical(id string, kind state.AlertKind) state.Alert {
	return state.Alert{ID: id, Kind: kind, Severity: state.SeverityCritical, Title: "t " + id, Text: "x", At: t0}
}

func TestCriticalAlertTakesScreenUntilAcknowledged(t *testing.T) {
	h := newHarness(t, locked())
	h.apply(func(s *state.Snapshot) {
		s.Alerts = []state.Alert{critical("a1", state.AlertBaseband), critical("a2", state.AlertPinnedKey)}
	})
	h.wantScreen("alert") // even over the lock screen
	h.keys(key.Back, key.Clear, key.Digit1, key.Down, key.SoftLeft)
	h.wantScreen("alert")
	h.wantIntents()
	h.keys(key.OK)
	h.wantIntents(state.Intent{Kind: state.IntentAckAlert, AlertID: "a1"})
	h.wantScreen("alert") // the second one
	if h.c.alert.ID() != "a2" {
		t.Fatalf("showing alert %q, want a2", h.c.alert.ID())
	}
	h.keys(key.OK)
	h.wantIntents(state.Intent{Kind: state.IntentAckAlert, AlertID: "a2"})
	h.wantScreen("lock")
	// The daemon confirms; nothing comes back.
	h.apply(func(s *state.Snapshot) {
		for i := range s.Alerts {
			s.Alerts[i].Acked = true
		}
	})
	h.wantScreen("lock")
}

func TestUnconfirmedAcknowledgementComesBack(t *testing.T) {
	h := newHarness(t, base())
	h.apply(func(s *state.Snapshot) { s.Alerts = []state.Alert{critical("a1", state.AlertRevokedPeer)} })
	h.keys(key.OK)
	h.wantIntents(state.Intent{Kind: state.IntentAckAlert, AlertID: "a1"})
	h.wantScreen("contacts")
	if !h.c.animating() {
		t.Fatal("no timer runs while an acknowledgement is unconfirmed")
	}
	h.advance(2 * time.Second)
	h.wantScreen("contacts")
	h.advance(4 * time.Second) // the daemon never recorded it
	h.wantScreen("alert")
	h.keys(key.OK)
	h.apply(func(s *state.Snapshot) { s.Alerts[0].Acked = true })
	h.advance(time.Minute)
	h.wantScreen("contacts")
	if len(h.c.acked) != 0 {
		t.Fatalf("local acknowledgements kept after the daemon confirmed: %v", h.c.acked)
	}
}

func TestCriticalAlertLeavesEndForTheCall(t *testing.T) {
	h := newHarness(t, base())
	h.apply(callSnap(state.CallConnected))
	h.apply(func(s *state.Snapshot) { s.Alerts = []state.Alert{critical("a1", state.AlertBaseband)} })
	h.wantScreen("alert")
	h.keys(key.End)
	h.wantIntents(state.Intent{Kind: state.IntentHangUp})
}

func TestWarningDialogNeedsOK(t *testing.T) {
	h := newHarness(t, base())
	h.apply(func(s *state.Snapshot) {
		s.Alerts = []state.Alert{{ID: "w1", Kind: state.AlertExchange, Severity: state.SeverityWarning, Title: "Exchange", Text: "down"}}
	})
	h.wantScreen("contacts")
	if h.c.dialog == nil {
		t.Fatal("no dialog for a warning")
	}
	h.keys(key.Digit7, key.Down, key.Call, key.Back)
	h.wantIntents() // the dialog takes the keys
	if q := h.c.contacts.Query(); q != "" {
		t.Fatalf("a key reached the list under the dialog: query %q", q)
	}
	h.keys(key.OK)
	h.wantIntents(state.Intent{Kind: state.IntentAckAlert, AlertID: "w1"})
	if h.c.dialog != nil {
		t.Fatal("dialog still shown after OK")
	}
	h.keys(key.Call)
	h.wantIntents(state.Intent{Kind: state.IntentDial, ContactID: "pk-0007"})
}

func TestWarningWaitsForCallToEnd(t *testing.T) {
	h := newHarness(t, base())
	h.apply(callSnap(state.CallConnected))
	h.apply(func(s *state.Snapshot) {
		s.Alerts = []state.Alert{{ID: "w1", Severity: state.SeverityWarning, Title: "Exchange", Text: "down"}}
	})
	if h.c.dialog != nil {
		t.Fatal("a warning dialog covered the call")
	}
	h.apply(func(s *state.Snapshot) { s.Call = state.Call{Phase: state.CallIdle} })
	if h.c.dialog == nil {
		t.Fatal("the warning was not shown after the call")
	}
}
