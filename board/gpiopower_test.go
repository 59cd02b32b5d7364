package board

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"mehfooz/clock"
)

// fakePins records every line change with the fake clock's time, and plays
// the modem's STATUS output: on after an on-pulse, off statusLag after an
// off-pulse (or never, when stuck).
type fakePins struct {
	mu     sync.Mutex
	clk    *clock.Fake
	start  time.Time
	names  []string
	vals   []bool
	log    []string
	on     bool
	stuck  bool
	setErr error
	status int // index of STATUS, -1 if none
}

func newFakePins(clk *clock.Fake, names ...string) *fakePins {
	f := &fakePins{clk: clk, start: clk.Now(), names: names, vals: make([]bool, len(names)), status: -1}
	for i, n := range names {
		if n == "STATUS" {
			f.status = i
		}
	}
	return f
}

func (f *fakePins) Set(i int, v bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.setErr != nil {
		return f.setErr
	}
	if f.names[i] == "PWRKEY" && f.vals[i] && !v { // release ends a pulse: toggle
		f.on = !f.on || f.stuck
	}
	f.vals[i] = v
	f.log = append(f.log, fmt.Sprintf("%v %s=%v", f.clk.Now().Sub(f.start), f.names[i], v))
	return nil
}

func (f *fakePins) Get(i int) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i != f.status {
		return f.vals[i], nil
	}
	return f.on, nil
}

func (f *fakePins) events() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.log, "; ")
}

var handsetLines = handsetA64().Modem.Lines

// drive runs op in a goroutine and advances the fake clock step by step until it returns.
func drive(t *testing.T, clk *clock.Fake, op func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- op() }()
	for {
		select {
		case err := <-done:
			return err
		default:
		}
		stop := make(chan struct{})
		armed := make(chan bool, 1)
		go func() { armed <- clk.BlockUntil(1, stop) }()
		select {
		case err := <-done:
			close(stop)
			<-armed
			return err
		case <-armed:
			close(stop)
			clk.Advance(50 * time.Millisecond)
		case <-time.After(10 * time.Second):
			t.Fatal("power sequence hung")
		}
	}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestGPIOPowerOnPulsesPowerKeyAfterDelay(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	pins := newFakePins(clk, "PWRKEY", "RESET", "DISABLE", "STATUS")
	p := NewGPIOPower(handsetLines, pins, clk, discard())
	if err := drive(t, clk, func() error { return p.On(context.Background()) }); err != nil {
		t.Fatalf("On: %v", err)
	}
	want := "0s RESET=false; 0s DISABLE=false; 100ms PWRKEY=true; 1.1s PWRKEY=false"
	if got := pins.events(); got != want {
		t.Fatalf("On sequence:\n got %s\nwant %s", got, want)
	}
	// A second On must not pulse again: that would switch the modem off.
	if err := drive(t, clk, func() error { return p.On(context.Background()) }); err != nil {
		t.Fatalf("second On: %v", err)
	}
	if got := pins.events(); got != want {
		t.Fatalf("second On changed lines: %s", got)
	}
}

func TestGPIOPowerOffWaitsForStatusThenHoldsReset(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	pins := newFakePins(clk, "PWRKEY", "RESET", "DISABLE", "STATUS")
	pins.on = true
	p := NewGPIOPower(handsetLines, pins, clk, discard())
	if err := drive(t, clk, func() error { return p.Off(context.Background()) }); err != nil {
		t.Fatalf("Off: %v", err)
	}
	want := "0s DISABLE=true; 0s PWRKEY=true; 1s PWRKEY=false; 1s RESET=true"
	if got := pins.events(); got != want {
		t.Fatalf("Off sequence:\n got %s\nwant %s", got, want)
	}
}

func TestGPIOPowerOffStuckModemIsHeldInResetAndReported(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	pins := newFakePins(clk, "PWRKEY", "RESET", "DISABLE", "STATUS")
	pins.on, pins.stuck = true, true
	p := NewGPIOPower(handsetLines, pins, clk, discard())
	err := drive(t, clk, func() error { return p.Off(context.Background()) })
	if !errors.Is(err, ErrStillOn) {
		t.Fatalf("Off of a stuck modem = %v, want ErrStillOn", err)
	}
	if ev := pins.events(); !strings.HasSuffix(ev, "31s RESET=true") {
		t.Fatalf("stuck modem not held in reset after the 30 s timeout: %s", ev)
	}
}

func TestGPIOPowerWithoutStatusWaitsFullTimeout(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	lines := &ModemLines{Chip: "c", PowerKey: Line{Offset: 1}, Reset: Line{Offset: 2}}
	if n := len(lines.Request()); n != 2 {
		t.Fatalf("Request() has %d lines, want 2", n)
	}
	pins := newFakePins(clk, "PWRKEY", "RESET")
	p := NewGPIOPower(lines, pins, clk, discard())
	if err := drive(t, clk, func() error { return p.Cycle(context.Background()) }); err != nil {
		t.Fatalf("Cycle: %v", err)
	}
	want := "0s PWRKEY=true; 1s PWRKEY=false; 31s RESET=true; 31s RESET=false; 31.1s PWRKEY=true; 32.1s PWRKEY=false"
	if got := pins.events(); got != want {
		t.Fatalf("Cycle sequence:\n got %s\nwant %s", got, want)
	}
}

func TestGPIOPowerResetPulse(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	pins := newFakePins(clk, "PWRKEY", "RESET", "DISABLE", "STATUS")
	p := NewGPIOPower(handsetLines, pins, clk, discard())
	if err := drive(t, clk, func() error { return p.Reset(context.Background()) }); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if got, want := pins.events(), "0s RESET=true; 300ms RESET=false"; got != want {
		t.Fatalf("Reset: got %s, want %s", got, want)
	}
}

func TestGPIOPowerCancelMidPulseReleasesKey(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	pins := newFakePins(clk, "PWRKEY", "RESET", "DISABLE", "STATUS")
	p := NewGPIOPower(handsetLines, pins, clk, discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.On(ctx) }()
	clk.BlockUntil(1, nil) // the power-on delay
	clk.Advance(100 * time.Millisecond)
	clk.BlockUntil(1, nil) // the pulse
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("On cancelled = %v, want context.Canceled", err)
	}
	if ev := pins.events(); !strings.HasSuffix(ev, "PWRKEY=false") {
		t.Fatalf("PWRKEY left pressed after cancel: %s", ev)
	}
}

func TestGPIOPowerLineErrorNamesLine(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	pins := newFakePins(clk, "PWRKEY", "RESET", "DISABLE", "STATUS")
	pins.setErr = errors.New("EBUSY")
	p := NewGPIOPower(handsetLines, pins, clk, discard())
	err := p.Reset(context.Background())
	if err == nil || !strings.Contains(err.Error(), "RESET=true") {
		t.Fatalf("Reset with a failing line = %v, want an error naming RESET", err)
	}
}
