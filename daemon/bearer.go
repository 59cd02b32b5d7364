package daemon

import (
	"context"

	"mehfooz/daemon/state"
)

// bearer follows the modem's data bearer through the state stream and says
// when it came back different: a new address, or up again after being
// down. A call then restarts ICE (voice.Phone.BearerChanged), so its TURN
// allocation moves to the new bearer instead of waiting for consent to fail.
type bearer struct {
	seen bool   // the bearer has been up at least once
	up   bool   // it is up now
	ip   string // its address while up
}

// observe takes the modem's latest state and reports whether the bearer
// changed under a running call's feet.
func (b *bearer) observe(m state.Modem) bool {
	up := m.Phase == state.ModemDataUp && m.IP != ""
	changed := false
	switch {
	case up && !b.up:
		changed = b.seen // the first bearer of the boot is no change
	case up && m.IP != b.ip:
		changed = true
	}
	if up {
		b.seen, b.ip = true, m.IP
	}
	b.up = up
	return changed
}

// watchBearer calls changed each time the bearer comes back different,
// until ctx ends.
func (d *Daemon) watchBearer(ctx context.Context, changed func()) {
	snaps, cancel := d.hub.Subscribe()
	defer cancel()
	var b bearer
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-snaps:
			if !ok {
				return
			}
			if b.observe(s.Modem) {
				changed()
			}
		}
	}
}
