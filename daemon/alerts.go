package daemon

import (
	"context"
	"fmt"
	"strconv"

	"mehfooz/daemon/api"
	"mehfooz/daemon/state"
)

// maxAlerts bounds the alert list the Snapshot carries. The oldest
// acknowledged alerts go first; unacknowledged critical ones are kept.
const maxAlerts = 32

// alertBook numbers alerts; it is guarded by Daemon.mu.
type alertBook struct {
	next uint64
}

// Raise publishes an alert. A condition that is already shown and not yet
// acknowledged (same kind and title) is refreshed instead of repeated, so a
// storm of the same event cannot push other alerts off the screen.
func (d *Daemon) Raise(kind state.AlertKind, sev state.Severity, title, text string) {
	d.mu.Lock()
	d.alerts.next++
	id := "a" + strconv.FormatUint(d.alerts.next, 10)
	d.mu.Unlock()
	now := d.clock.Now()
	d.log.Warn("alert", "kind", kind, "severity", sev, "title", title, "text", text)
	d.hub.Update(func(s *state.Snapshot) {
		for i := range s.Alerts {
			a := &s.Alerts[i]
			if !a.Acked && a.Kind == kind && a.Title == title {
				a.Text, a.At = text, now
				if rank(sev) > rank(a.Severity) {
					a.Severity = sev
				}
				return
			}
		}
		s.Alerts = append(s.Alerts, state.Alert{ID: id, Kind: kind, Severity: sev, Title: title, Text: text, At: now})
		trimAlerts(s)
	})
}

func rank(s state.Severity) int {
	switch s {
	case state.SeverityCritical:
		return 2
	case state.SeverityWarning:
		return 1
	}
	return 0
}

// trimAlerts drops the oldest acknowledged, then the oldest non-critical
// alerts until at most maxAlerts remain.
func trimAlerts(s *state.Snapshot) {
	for _, drop := range []func(state.Alert) bool{
		func(a state.Alert) bool { return a.Acked },
		func(a state.Alert) bool { return a.Severity != state.SeverityCritical },
		func(state.Alert) bool { return true },
	} {
		for i := 0; len(s.Alerts) > maxAlerts && i < len(s.Alerts); {
			if drop(s.Alerts[i]) {
				s.Alerts = append(s.Alerts[:i], s.Alerts[i+1:]...)
				continue
			}
			i++
		}
	}
}

func (d *Daemon) ackAlert(_ context.Context, in state.Intent) error {
	found := false
	d.hub.Update(func(s *state.Snapshot) {
		for i := range s.Alerts {
			if s.Alerts[i].ID == in.AlertID {
				s.Alerts[i].Acked = true
				found = true
			}
		}
	})
	if !found {
		return fmt.Errorf("ack-alert %s: %w: no such alert", in.AlertID, api.ErrRejected)
	}
	return nil
}
