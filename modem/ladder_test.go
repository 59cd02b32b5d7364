package modem

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"mehfooz/modem/policy"
)

func TestLadderClimbsAndComesDown(t *testing.T) {
	l := newLadder(Timing{Reopen: time.Second, ReopenMax: time.Minute, HardResets: 5})
	var steps []step
	var waits []time.Duration
	for i := range 5 {
		s, w, ex := l.fail(t0.Add(time.Duration(i)*time.Minute), false)
		if ex {
			t.Fatalf("budget spent at %d", i)
		}
		steps, waits = append(steps, s), append(waits, w)
	}
	if want := []step{stepReopen, stepSoftReset, stepResetLine, stepPowerCycle, stepPowerCycle}; !slices.Equal(steps, want) {
		t.Errorf("steps %v, want %v", steps, want)
	}
	if want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}; !slices.Equal(waits, want) {
		t.Errorf("waits %v", waits)
	}
	l.ok()
	if s, _, _ := l.fail(t0.Add(time.Hour), false); s != stepReopen {
		t.Errorf("after success: %v", s)
	}
}

func TestLadderRateLimitsHardResets(t *testing.T) {
	l := newLadder(Timing{Reopen: time.Second, ReopenMax: time.Minute, HardResets: 2})
	l.fail(t0, false)
	l.fail(t0, false)
	hard := 0
	for i := range 6 {
		s, w, ex := l.fail(t0.Add(time.Duration(i)*time.Minute), false)
		if s == stepResetLine || s == stepPowerCycle {
			hard++
		}
		if i >= 2 && (!ex || s != stepReopen || w != time.Minute) {
			t.Errorf("fail %d: %v %v %v, want the budget spent", i, s, w, ex)
		}
	}
	if hard != 2 {
		t.Errorf("%d hard resets in an hour, want 2", hard)
	}
	if s, _, ex := l.fail(t0.Add(2*time.Hour), false); ex || s != stepPowerCycle {
		t.Errorf("an hour later: %v %v", s, ex)
	}
	// A board without power control tops out at the AT reset.
	l = newLadder(Timing{Reopen: time.Second, ReopenMax: time.Minute, HardResets: 2})
	for i := range 5 {
		if s, _, _ := l.fail(t0, true); s == stepResetLine || s == stepPowerCycle {
			t.Errorf("fail %d: %v without power control", i, s)
		}
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{base: 30 * time.Second, max: 10 * time.Minute}
	var got []time.Duration
	for range 7 {
		got = append(got, b.wait())
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 10 * time.Minute, 10 * time.Minute}
	if !slices.Equal(got, want) {
		t.Errorf("waits %v", got)
	}
	b.reset()
	if d := b.wait(); d != 30*time.Second {
		t.Errorf("after reset %v", d)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		`w: "AT+CPIN=\"1234\"\r"`:             `w: "AT+CPIN=***\r"`,
		`w: "AT+CGAUTH=1,2,\"u\",\"p4ss\"\r"`: `w: "AT+CGAUTH=***\r"`,
		`r: "\r\n+CSQ: 20,99\r\n"`:            `r: "\r\n+CSQ: 20,99\r\n"`,
		`r: "AT+cpin=\"9999\"\r\r\nOK\r\n"`:   `r: "AT+cpin=***\r\r\nOK\r\n"`,
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestSameAPN(t *testing.T) {
	for _, c := range []struct {
		got, want string
		ok        bool
	}{
		{"gov.secure.jazz", "gov.secure.jazz", true},
		{"GOV.secure.jazz.mnc001.mcc410.gprs", "gov.secure.jazz", true},
		{"internet.mnc001.mcc410.gprs", "gov.secure.jazz", false},
		{"gov.secure.jazz.evil", "gov.secure.jazz", false},
		{"gov.secure.jazz.mnc001.gprs", "gov.secure.jazz", false},
	} {
		if sameAPN(c.got, c.want) != c.ok {
			t.Errorf("sameAPN(%q, %q) != %v", c.got, c.want, c.ok)
		}
	}
}

func TestNewChecksConfig(t *testing.T) {
	open := func(context.Context) (io.ReadWriteCloser, error) { return nil, errors.New("x") }
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "Opener") {
		t.Errorf("no opener: %v", err)
	}
	bad := policy.Config{RATs: []string{"GSM"}}
	if _, err := New(Config{Open: open, Provision: bad}); !errors.Is(err, policy.ErrConfig) {
		t.Errorf("GSM allowed: %v", err)
	}
	m, err := New(Config{Open: open})
	if err != nil || m.Status().Phase != PhaseOff {
		t.Errorf("New = %v, %v", m, err)
	}
}
