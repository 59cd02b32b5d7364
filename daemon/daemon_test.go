package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/daemon/api"
	"mehfooz/daemon/state"
)

func newTestDaemon() (*Daemon, *clock.Fake) {
	c := clock.NewFake(time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC))
	return New(c, slog.New(slog.DiscardHandler), state.Snapshot{Board: "sim"}), c
}

func TestIntentRoutingAndWipe(t *testing.T) {
	d, _ := newTestDaemon()
	var seen []byte
	d.Handle(state.IntentUnlock, func(_ context.Context, in state.Intent) error {
		seen = in.PIN
		if string(in.PIN) != "2468" {
			return fmt.Errorf("unlock: %w: wrong PIN", api.ErrRejected)
		}
		return nil
	})
	if err := d.Intent(context.Background(), state.Intent{Kind: state.IntentUnlock, PIN: []byte("2468")}); err != nil {
		t.Fatal(err)
	}
	if string(seen) != "\x00\x00\x00\x00" {
		t.Fatalf("PIN survived the intent: %q", seen)
	}
	err := d.Intent(context.Background(), state.Intent{Kind: state.IntentDial, ContactID: "x"})
	if !errors.Is(err, api.ErrRejected) {
		t.Fatalf("unhandled intent: err = %v, want ErrRejected", err)
	}
}

func TestAlertsDedupeAckAndBound(t *testing.T) {
	d, c := newTestDaemon()
	d.Raise(state.AlertBaseband, state.SeverityWarning, "Incoming voice call refused", "RING 1")
	c.Advance(time.Second)
	d.Raise(state.AlertBaseband, state.SeverityCritical, "Incoming voice call refused", "RING 2")
	s := d.Hub().Current()
	if len(s.Alerts) != 1 || s.Alerts[0].Text != "RING 2" || s.Alerts[0].Severity != state.SeverityCritical {
		t.Fatalf("alerts = %+v, want one refreshed critical alert", s.Alerts)
	}
	id := s.Alerts[0].ID
	if err := d.Intent(context.Background(), state.Intent{Kind: state.IntentAckAlert, AlertID: id}); err != nil {
		t.Fatal(err)
	}
	if !d.Hub().Current().Alerts[0].Acked {
		t.Fatal("alert not acknowledged")
	}
	if err := d.Intent(context.Background(), state.Intent{Kind: state.IntentAckAlert, AlertID: "nope"}); !errors.Is(err, api.ErrRejected) {
		t.Fatalf("ack of unknown alert: %v", err)
	}
	// After acknowledgement the same condition is a new alert.
	d.Raise(state.AlertBaseband, state.SeverityCritical, "Incoming voice call refused", "RING 3")
	if n := len(d.Hub().Current().Alerts); n != 2 {
		t.Fatalf("%d alerts, want 2", n)
	}
	d.Raise(state.AlertSIM, state.SeverityCritical, "SIM removed", "keep me")
	for i := 0; i < 100; i++ {
		d.Raise(state.AlertNoService, state.SeverityInfo, fmt.Sprintf("info %d", i), "")
	}
	s = d.Hub().Current()
	if len(s.Alerts) != maxAlerts {
		t.Fatalf("%d alerts, want the cap %d", len(s.Alerts), maxAlerts)
	}
	kept := false
	for _, a := range s.Alerts {
		if a.Title == "SIM removed" {
			kept = true
		}
		if a.Acked {
			t.Fatal("an acknowledged alert outlived unacknowledged ones")
		}
	}
	if !kept {
		t.Fatal("a critical unacknowledged alert was pushed out by info alerts")
	}
}

func TestScreenshotWithoutScreen(t *testing.T) {
	d, _ := newTestDaemon()
	if _, err := d.Screenshot(context.Background()); !errors.Is(err, api.ErrNoScreen) {
		t.Fatalf("err = %v", err)
	}
}
