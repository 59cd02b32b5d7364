package daemon

import (
	"crypto/x509"
	"log/slog"
	"strings"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/daemon/state"
)

// TestRenewalWarning: a device certificate in the last third of its life
// raises a warning naming the date; a younger one raises nothing.
func TestRenewalWarning(t *testing.T) {
	issued := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cert := &x509.Certificate{NotBefore: issued, NotAfter: issued.Add(30 * 24 * time.Hour)}
	for _, c := range []struct {
		day  int
		want string // text the alert holds; empty: no alert
	}{
		{1, ""},
		{19, ""},
		{21, "before 1 Dec 2026"},
		{31, "expired on 1 Dec 2026"},
	} {
		now := issued.Add(time.Duration(c.day) * 24 * time.Hour)
		d := New(clock.NewFake(now), slog.New(slog.DiscardHandler), state.Snapshot{Board: "sim"})
		l := &link{d: d, cert: cert}
		l.checkRenewal(now)
		alerts := d.Hub().Current().Alerts
		switch {
		case c.want == "" && len(alerts) != 0:
			t.Errorf("day %d: alerts %+v, want none", c.day, alerts)
		case c.want != "" && (len(alerts) != 1 || alerts[0].Severity != state.SeverityWarning || !strings.Contains(alerts[0].Text, c.want)):
			t.Errorf("day %d: alerts %+v, want one warning saying %q", c.day, alerts, c.want)
		}
	}
}
