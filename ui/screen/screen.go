// Package screen holds the handset's screens: lock, contacts, contact detail,
// outgoing, incoming and in-call, call ended, and the alerts. Each builds its
// widgets from a theme, shows a daemon Snapshot, and turns keys into
// Intents; none holds call or key logic, and none can tell a duress PIN from
// any other.
package screen

import (
	"fmt"
	"image"
	"time"

	"mehfooz/daemon/state"
	"mehfooz/ui/key"
	"mehfooz/ui/theme"
	"mehfooz/ui/widget"
)

// Screen is one full-screen view.
type Screen interface {
	// Root is the screen's widget tree.
	Root() *widget.Root
	// Update shows snapshot s as of now.
	Update(s *state.Snapshot, now time.Time)
	// HandleKey acts on k and reports whether it was used.
	HandleKey(k key.Key) bool
}

// Nav is what a screen may ask of whoever chooses the screen shown.
type Nav interface {
	// OpenContact shows the detail of contact id.
	OpenContact(id string)
	// Home returns to the contact list.
	Home()
}

// Env is what every screen is built with.
type Env struct {
	Theme *theme.Theme
	// Send delivers an Intent to the daemon. It must not block for long:
	// it runs on the UI goroutine. The Intent's PIN belongs to the
	// receiver, which wipes it after use.
	Send func(state.Intent)
	Nav  Nav
}

// chrome is the status bar and hint bar every screen has, and the area
// between them.
type chrome struct {
	root    *widget.Root
	status  *widget.StatusBar
	hints   *widget.Hints
	content image.Rectangle
}

func newChrome(t *theme.Theme, bg widget.Style) chrome {
	r := t.Screen
	c := chrome{root: widget.NewRoot(r, bg.Bg)}
	c.status = widget.NewStatusBar(image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+t.StatusH), t.Status, widget.Status{Battery: -1})
	c.hints = widget.NewHints(image.Rect(r.Min.X, r.Max.Y-t.HintsH, r.Max.X, r.Max.Y), t.Hints, "", "", "")
	c.content = image.Rect(r.Min.X, r.Min.Y+t.StatusH, r.Max.X, r.Max.Y-t.HintsH)
	c.root.Add(c.status, c.hints)
	return c
}

// Root implements Screen.
func (c *chrome) Root() *widget.Root { return c.root }

// updateStatus shows s in the status bar.
func (c *chrome) updateStatus(s *state.Snapshot) { c.status.SetStatus(StatusOf(s)) }

// StatusOf reduces a Snapshot to what the status bar shows. The network name
// says why there is no service when there is none.
func StatusOf(s *state.Snapshot) widget.Status {
	m := s.Modem
	st := widget.Status{Battery: -1, Linked: s.Link.Connected}
	if s.Battery != nil {
		st.Battery = s.Battery.Percent
		st.Charging = s.Battery.Charging
	}
	switch {
	case m.SIM == state.SIMAbsent:
		st.Network = "No SIM"
	case m.SIM == state.SIMPIN || m.SIM == state.SIMPUK:
		st.Network = "SIM locked"
	}
	if st.Network == "" {
		switch m.Phase {
		case state.ModemOff, "":
			st.Network = "Modem off"
		case state.ModemBooting, state.ModemConfiguring, state.ModemSIMCheck:
			st.Network = "Starting"
		case state.ModemSearching:
			st.Network = "Searching"
		case state.ModemRecovering:
			st.Network = "Reconnecting"
		case state.ModemRegistered, state.ModemDataUp:
			st.Network = m.Operator
			if st.Network == "" {
				st.Network = m.PLMN
			}
			st.RAT = m.RAT
			st.Bars = max(0, min(m.Bars, 5))
			// 2G has no mutual authentication, and registration
			// without a data bearer cannot carry calls: both are worth
			// the user's attention.
			st.Warn = m.RAT == "GSM" || m.Phase != state.ModemDataUp
		}
	}
	return st
}

// Contact returns the contact with id from s, and whether it is there.
func Contact(s *state.Snapshot, id string) (state.Contact, bool) {
	for _, c := range s.Contacts {
		if c.ID == id {
			return c, true
		}
	}
	return state.Contact{}, false
}

// row returns a rectangle of height h at y spanning the content
// width less the theme's padding.
func row(t *theme.Theme, content image.Rectangle, y, h int) image.Rectangle {
	return image.Rect(content.Min.X+t.Pad, y, content.Max.X-t.Pad, y+h)
}

// clock formats a duration as m:ss, or h:mm:ss past an hour.
func clock(d time.Duration) string {
	s := max(0, int(d/time.Second))
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
