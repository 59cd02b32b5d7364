package daemon

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/daemon/state"
)

func TestBatteryServiceShowsTheCharge(t *testing.T) {
	clk := clock.NewFake(time.Unix(1e9, 0))
	d := New(clk, slog.New(slog.DiscardHandler), state.Snapshot{Board: "handset-a64"})
	var mu sync.Mutex
	reading := struct {
		p   int
		ch  bool
		err error
	}{p: 80}
	read := func() (int, bool, error) {
		mu.Lock()
		defer mu.Unlock()
		return reading.p, reading.ch, reading.err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.BatteryService(read).Run(ctx) }()
	wait := func(what string, ok func(*state.Battery) bool) {
		t.Helper()
		ch, stop := d.Hub().Subscribe()
		defer stop()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case s := <-ch:
				if ok(s.Battery) {
					return
				}
			case <-timeout:
				t.Fatalf("battery never %s", what)
			}
		}
	}
	wait("80 %", func(b *state.Battery) bool { return b != nil && b.Percent == 80 && !b.Charging })
	mu.Lock()
	reading.p, reading.ch = 81, true
	mu.Unlock()
	clk.Advance(batteryPoll)
	wait("81 % charging", func(b *state.Battery) bool { return b != nil && b.Percent == 81 && b.Charging })
	mu.Lock()
	reading.err = errors.New("gauge gone")
	mu.Unlock()
	clk.Advance(batteryPoll)
	wait("hidden after a failed read", func(b *state.Battery) bool { return b == nil })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
