package daemon

import (
	"context"
	"time"

	"mehfooz/daemon/pid1"
	"mehfooz/daemon/state"
)

// batteryPoll is how often the charge is read: a fuel gauge moves slowly,
// and each read wakes the CPU.
const batteryPoll = time.Minute

// BatteryService reads the board's battery (read, e.g. board.ReadBattery
// over sysfs) at once and then every minute, and shows it in the status
// bar. A failed read hides the figure rather than show a stale one.
func (d *Daemon) BatteryService(read func() (percent int, charging bool, err error)) pid1.Service {
	return pid1.Service{Name: "battery", Run: func(ctx context.Context) error {
		t := d.clock.NewTicker(batteryPoll)
		defer t.Stop()
		failing := false
		for {
			p, ch, err := read()
			switch {
			case err != nil:
				if !failing {
					d.log.Warn("battery", "err", err)
				}
				failing = true
				d.hub.Update(func(s *state.Snapshot) { s.Battery = nil })
			default:
				failing = false
				d.hub.Update(func(s *state.Snapshot) { s.Battery = &state.Battery{Percent: p, Charging: ch} })
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C():
			}
		}
	}}
}
