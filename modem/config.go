package modem

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"mehfooz/board"
	"mehfooz/clock"
	"mehfooz/modem/policy"
)

// Opener opens the modem's AT port. It is called again after a hang-up, a
// USB loss or a reset, so it must find the device afresh; only cmd/ and the
// daemon write one that opens a real device (go.bug.st/serial, never with a
// read timeout).
type Opener func(ctx context.Context) (io.ReadWriteCloser, error)

// PINSource gives the SIM PIN, from the keystore. The modem enters it at most
// once per boot of the handset, and never a PUK.
type PINSource interface {
	// SIMPIN returns the PIN for the SIM with this ICCID. The caller zeroes
	// the returned slice after use.
	SIMPIN(ctx context.Context, iccid string) ([]byte, error)
}

// Config is what a Modem needs.
type Config struct {
	Open      Opener
	Clock     clock.Clock  // default clock.Real{}
	Log       *slog.Logger // default: discard
	PIN       PINSource    // nil: a PIN-locked SIM stays locked
	Provision policy.Config
	Power     board.Power // nil: board.NoPower{}
	// OnEvent receives every event, on the modem's goroutine; it must not
	// block (the daemon publishes to its state hub, which coalesces).
	OnEvent func(Event)
	// Trace logs every byte to and from the modem at debug level, with
	// the PIN and APN password redacted.
	Trace  bool
	Timing Timing
}

// Timing holds the intervals of the state machine. Zero fields take the
// defaults in parentheses; tests shorten them.
type Timing struct {
	Poll        time.Duration // safety-net polling against lost URCs (30 s)
	SIMPoll     time.Duration // +CPIN? while the SIM is absent or locked (5 s)
	Boot        time.Duration // how long a modem may take to answer AT after open (30 s)
	RegRetry    time.Duration // first wait before re-triggering registration (30 s), doubling
	RegMax      time.Duration // ... up to (10 min)
	DataRetry   time.Duration // first wait before reactivating data (10 s), doubling
	DataMax     time.Duration // ... up to (5 min)
	Reopen      time.Duration // first wait before reopening a lost port (1 s), doubling
	ReopenMax   time.Duration // ... up to (1 min)
	ResetSettle time.Duration // wait after a reset before reopening (1 s): the modem must have gone down
	Purge       time.Duration // SMS storage purge interval (1 h)
	// Command caps every AT command's timeout (0: the at package's table).
	Command time.Duration
	// Drain and Probe tune the AT engine's resync (300 ms, 1 s).
	Drain time.Duration
	Probe time.Duration
	// HardResets bounds reset-line and power-cycle steps per hour (5).
	HardResets int
}

func (t *Timing) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.Poll, 30*time.Second)
	def(&t.SIMPoll, 5*time.Second)
	def(&t.Boot, 30*time.Second)
	def(&t.RegRetry, 30*time.Second)
	def(&t.RegMax, 10*time.Minute)
	def(&t.DataRetry, 10*time.Second)
	def(&t.DataMax, 5*time.Minute)
	def(&t.Reopen, time.Second)
	def(&t.ReopenMax, time.Minute)
	def(&t.ResetSettle, time.Second)
	def(&t.Purge, time.Hour)
	def(&t.Drain, 300*time.Millisecond)
	def(&t.Probe, time.Second)
	if t.HardResets <= 0 {
		t.HardResets = 5
	}
}

func (c *Config) check() error {
	if c.Open == nil {
		return errors.New("modem: no Opener")
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Power == nil {
		c.Power = board.NoPower{}
	}
	if c.OnEvent == nil {
		c.OnEvent = func(Event) {}
	}
	c.Timing.defaults()
	return c.Provision.Validate()
}
