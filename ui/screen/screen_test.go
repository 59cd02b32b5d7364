package screen

import (
	"image"
	"testing"
	"time"

	"mehfooz/daemon/state"
	"mehfooz/ui/key"
	"mehfooz/ui/theme"
)

func env(t *testing.T, send func(state.Intent)) Env {
	t.Helper()
	th, err := theme.New(image.Rect(0, 0, 240, 320), theme.Dark)
	if err != nil {
		t.Fatal(err)
	}
	return Env{Theme: th, Send: send, Nav: nopNav{}}
}

type nopNav struct{}

func (nopNav) OpenContact(string) {}
func (nopNav) Home()              {}

func TestLockWipesDigits(t *testing.T) {
	var got []state.Intent
	l := NewLock(env(t, func(i state.Intent) { got = append(got, i) }))
	l.Update(&state.Snapshot{Lock: state.Lock{Locked: true}}, time.Unix(0, 0))
	for _, k := range []key.Key{key.Digit2, key.Digit5, key.Digit8, key.Digit0} {
		l.HandleKey(k)
	}
	typed := l.pin[:cap(l.pin)] // the buffer the digits were typed into
	l.HandleKey(key.OK)
	if len(got) != 1 || string(got[0].PIN) != "2580" {
		t.Fatalf("sent %+v, want one unlock with 2580", got)
	}
	for i, b := range typed {
		if b != 0 {
			t.Fatalf("typed buffer byte %d = %q after sending: the PIN lingers", i, b)
		}
	}
	// The sent PIN is the receiver's own copy: wiping it leaves the UI intact.
	got[0].Wipe()

	// Leaving the screen mid-entry wipes too.
	l.Update(&state.Snapshot{Lock: state.Lock{Locked: true, WrongPINs: 1}}, time.Unix(1, 0))
	l.HandleKey(key.Digit7)
	l.HandleKey(key.Digit7)
	typed = l.pin[:cap(l.pin)]
	l.Reset()
	for i, b := range typed {
		if b != 0 {
			t.Fatalf("byte %d = %q after Reset", i, b)
		}
	}
}

func TestLockSetUpWipesFirstEntry(t *testing.T) {
	var got []state.Intent
	l := NewLock(env(t, func(i state.Intent) { got = append(got, i) }))
	l.Update(&state.Snapshot{Lock: state.Lock{Locked: true, Setup: true}}, time.Unix(0, 0))
	for _, k := range []key.Key{key.Digit1, key.Digit3, key.Digit5, key.Digit7, key.OK} {
		l.HandleKey(k)
	}
	first := l.first
	if string(first) != "1357" {
		t.Fatalf("first entry %q, want 1357", first)
	}
	for _, k := range []key.Key{key.Digit1, key.Digit3, key.Digit5, key.Digit7, key.OK} {
		l.HandleKey(k)
	}
	if len(got) != 1 || string(got[0].PIN) != "1357" {
		t.Fatalf("sent %+v, want one unlock with 1357", got)
	}
	for i, b := range first {
		if b != 0 {
			t.Fatalf("first entry byte %d = %q after sending", i, b)
		}
	}
}

func TestLockFieldIsBounded(t *testing.T) {
	var got []state.Intent
	l := NewLock(env(t, func(i state.Intent) { got = append(got, i) }))
	l.Update(&state.Snapshot{Lock: state.Lock{Locked: true}}, time.Unix(0, 0))
	for range 40 {
		l.HandleKey(key.Digit1)
	}
	l.HandleKey(key.OK)
	if len(got) != 1 || len(got[0].PIN) != maxPIN {
		t.Fatalf("sent %d intents, PIN length %d; want one of %d", len(got), len(got[0].PIN), maxPIN)
	}
	wiped := NewLock(env(t, func(i state.Intent) { got = append(got, i) }))
	wiped.Update(&state.Snapshot{Lock: state.Lock{Locked: true, Wiped: true}}, time.Unix(0, 0))
	for _, k := range []key.Key{key.Digit1, key.Digit1, key.Digit1, key.Digit1, key.OK} {
		wiped.HandleKey(k)
	}
	if len(got) != 1 {
		t.Fatal("a wiped phone's lock screen sent a PIN")
	}
}

func TestStatusOf(t *testing.T) {
	up := state.Modem{Phase: state.ModemDataUp, SIM: state.SIMReady, Operator: "Zong", RAT: "LTE", Bars: 9}
	for _, tc := range []struct {
		name string
		s    state.Snapshot
		want string
		rat  string
		bars int
		warn bool
	}{
		{"data up", state.Snapshot{Modem: up}, "Zong", "LTE", 5, false},
		{"2G", state.Snapshot{Modem: state.Modem{Phase: state.ModemDataUp, SIM: state.SIMReady, Operator: "Ufone", RAT: "GSM", Bars: 2}}, "Ufone", "GSM", 2, true},
		{"no data", state.Snapshot{Modem: state.Modem{Phase: state.ModemRegistered, SIM: state.SIMReady, PLMN: "41006", RAT: "LTE", Bars: 3}}, "41006", "LTE", 3, true},
		{"no SIM", state.Snapshot{Modem: state.Modem{Phase: state.ModemSIMCheck, SIM: state.SIMAbsent}}, "No SIM", "", 0, false},
		{"SIM PIN", state.Snapshot{Modem: state.Modem{Phase: state.ModemSIMCheck, SIM: state.SIMPIN}}, "SIM locked", "", 0, false},
		{"searching", state.Snapshot{Modem: state.Modem{Phase: state.ModemSearching, SIM: state.SIMReady}}, "Searching", "", 0, false},
		{"off", state.Snapshot{}, "Modem off", "", 0, false},
	} {
		got := StatusOf(&tc.s)
		if got.Network != tc.want || got.RAT != tc.rat || got.Bars != tc.bars || got.Warn != tc.warn || got.Battery != -1 {
			t.Errorf("%s: StatusOf = %+v, want network %q rat %q bars %d warn %v battery -1", tc.name, got, tc.want, tc.rat, tc.bars, tc.warn)
		}
	}
	s := state.Snapshot{Battery: &state.Battery{Percent: 12, Charging: true}, Link: state.Link{Connected: true}}
	if got := StatusOf(&s); got.Battery != 12 || !got.Charging || !got.Linked {
		t.Errorf("battery and link: %+v", got)
	}
}

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		name, q string
		want    bool
	}{
		{"Bilal Raza", "", true},
		{"Bilal Raza", "2", true},     // b
		{"Bilal Raza", "72", true},    // ra
		{"Bilal Raza", "24525", true}, // bilal
		{"Bilal Raza", "245257", true},
		{"Bilal Raza", "73", false},
		{"Hina Parveen", "727", true}, // par
		{"Zoë Ahmed", "963", true},    // zoe, accent folded
		{"Cell 0300", "0300", true},   // digits match themselves
		{"عائشہ خان", "2", false},     // no keys for Urdu letters
		{"Ali Raza", "2547", true},    // "ali" runs on into "r"
		{"Ali Raza", "54", false},     // words start at word starts only
	} {
		if got := Matches(tc.name, tc.q); got != tc.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", tc.name, tc.q, got, tc.want)
		}
	}
}

func TestClock(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0:00", 83 * time.Second: "1:23", -time.Second: "0:00", time.Hour + 2*time.Minute + 3*time.Second: "1:02:03",
	} {
		if got := clock(d); got != want {
			t.Errorf("clock(%v) = %q, want %q", d, got, want)
		}
	}
}
