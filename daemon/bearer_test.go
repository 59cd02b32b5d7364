package daemon

import (
	"testing"

	"mehfooz/daemon/state"
)

func TestBearerChanges(t *testing.T) {
	up := func(ip string) state.Modem { return state.Modem{Phase: state.ModemDataUp, IP: ip} }
	steps := []struct {
		m    state.Modem
		want bool
	}{
		{state.Modem{Phase: state.ModemSearching}, false},
		{up("10.64.0.7"), false}, // the boot's first bearer
		{up("10.64.0.7"), false}, // a signal update, same bearer
		{up("10.64.0.9"), true},  // a new address
		{state.Modem{Phase: state.ModemRecovering}, false},
		{state.Modem{Phase: state.ModemRegistered, IP: "10.64.0.9"}, false},
		{up("10.64.0.9"), true},                        // back up, even on the same address
		{state.Modem{Phase: state.ModemDataUp}, false}, // no address yet: not up
		{up("10.64.0.9"), true},
	}
	var b bearer
	for i, s := range steps {
		if got := b.observe(s.m); got != s.want {
			t.Errorf("step %d (%s %q): changed = %v, want %v", i, s.m.Phase, s.m.IP, got, s.want)
		}
	}
}
