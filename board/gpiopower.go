package board

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"mehfooz/board/gpio"
	"mehfooz/clock"
)

// Quectel EG25-G hardware design figures (EG25-G Hardware Design, "Turn on
// with PWRKEY", "Turn off with PWRKEY", "Reset the module"): PWRKEY low for at
// least 500 ms switches it on and for at least 650 ms switches it off;
// RESET_N low for 150–460 ms resets it. We pulse PWRKEY for 1 s as
// eg25-manager does, wait 100 ms before it (its poweron_delay: a module
// powered straight after supply-up may crash), and give STATUS 30 s to drop
// after the off pulse, as the module may take that long to detach.
var eg25Timing = PowerTiming{
	PowerOnDelay: 100 * time.Millisecond,
	KeyPulse:     time.Second,
	ResetPulse:   300 * time.Millisecond,
	OffTimeout:   30 * time.Second,
}

// statusPoll is how often the off sequence reads STATUS.
const statusPoll = 100 * time.Millisecond

// ErrStillOn is returned by Off when STATUS stays asserted past the timeout;
// the module is then held in reset anyway.
var ErrStillOn = errors.New("board: modem still on after the off sequence")

// Pins are the modem's requested GPIO lines, indexed as
// ModemLines.Request orders them. *gpio.Lines implements it.
type Pins interface {
	Set(i int, v bool) error
	Get(i int) (bool, error)
}

// Line indexes in a modem line request.
const (
	pinPowerKey = iota
	pinReset
	pinDisable
	pinStatus
)

// Request returns the line configurations to request from the chip, in the
// order GPIOPower indexes them: PWRKEY, RESET, then DISABLE and STATUS when
// present (a missing line keeps its index unused). Outputs start deasserted,
// so taking the lines neither presses PWRKEY nor resets a running modem.
func (m *ModemLines) Request() []gpio.LineConfig {
	c := []gpio.LineConfig{
		{Offset: m.PowerKey.Offset, Output: true, ActiveLow: m.PowerKey.ActiveLow},
		{Offset: m.Reset.Offset, Output: true, ActiveLow: m.Reset.ActiveLow},
	}
	if m.Disable != nil {
		c = append(c, gpio.LineConfig{Offset: m.Disable.Offset, Output: true, ActiveLow: m.Disable.ActiveLow})
	}
	if m.Status != nil {
		c = append(c, gpio.LineConfig{Offset: m.Status.Offset, ActiveLow: m.Status.ActiveLow})
	}
	return c
}

// GPIOPower switches a Quectel-class modem through its PWRKEY, RESET_N,
// W_DISABLE# and STATUS lines. It implements Power.
type GPIOPower struct {
	pins   Pins
	idx    [4]int // pin -> index in pins, -1 if the board lacks the line
	timing PowerTiming
	clock  clock.Clock
	log    *slog.Logger

	mu sync.Mutex // one sequence at a time: interleaved pulses would toggle power
}

var _ Power = (*GPIOPower)(nil)

// NewGPIOPower drives the lines m describes through pins (requested with
// m.Request()). Zero timing fields take the EG25-G figures.
func NewGPIOPower(m *ModemLines, pins Pins, clk clock.Clock, log *slog.Logger) *GPIOPower {
	p := &GPIOPower{pins: pins, timing: m.Timing, clock: clk, log: log}
	p.idx = [4]int{pinPowerKey, pinReset, -1, -1}
	next := 2
	if m.Disable != nil {
		p.idx[pinDisable] = next
		next++
	}
	if m.Status != nil {
		p.idx[pinStatus] = next
	}
	def := eg25Timing
	for _, f := range []struct{ v, d *time.Duration }{
		{&p.timing.PowerOnDelay, &def.PowerOnDelay}, {&p.timing.KeyPulse, &def.KeyPulse},
		{&p.timing.ResetPulse, &def.ResetPulse}, {&p.timing.OffTimeout, &def.OffTimeout},
	} {
		if *f.v == 0 {
			*f.v = *f.d
		}
	}
	return p
}

// On releases RESET and W_DISABLE#, waits PowerOnDelay and pulses PWRKEY. If
// the board has a STATUS line and it shows the modem on already, On does
// nothing: a second pulse would switch it off.
func (p *GPIOPower) On(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on, known, err := p.status(); err != nil {
		return fmt.Errorf("modem power on: %w", err)
	} else if known && on {
		p.log.Debug("modem power on: already on")
		return nil
	}
	if err := p.on(ctx); err != nil {
		return fmt.Errorf("modem power on: %w", err)
	}
	return nil
}

func (p *GPIOPower) on(ctx context.Context) error {
	if err := p.set(pinReset, false); err != nil {
		return err
	}
	if err := p.set(pinDisable, false); err != nil {
		return err
	}
	if err := sleep(ctx, p.clock, p.timing.PowerOnDelay); err != nil {
		return err
	}
	return p.pulse(ctx, pinPowerKey, p.timing.KeyPulse)
}

// Off switches the radio off (W_DISABLE#), pulses PWRKEY, waits for STATUS
// to drop (or the full OffTimeout without a STATUS line, so the module can
// finish detaching), then holds RESET so it cannot come back by itself.
func (p *GPIOPower) Off(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.off(ctx); err != nil {
		return fmt.Errorf("modem power off: %w", err)
	}
	return nil
}

func (p *GPIOPower) off(ctx context.Context) error {
	if on, known, err := p.status(); err != nil {
		return err
	} else if known && !on {
		return p.set(pinReset, true)
	}
	if err := p.set(pinDisable, true); err != nil {
		return err
	}
	if err := p.pulse(ctx, pinPowerKey, p.timing.KeyPulse); err != nil {
		return err
	}
	var stuck error
	if p.idx[pinStatus] < 0 {
		if err := sleep(ctx, p.clock, p.timing.OffTimeout); err != nil {
			return err
		}
	} else {
		stuck = p.waitOff(ctx)
		if stuck != nil && !errors.Is(stuck, ErrStillOn) {
			return stuck
		}
	}
	if err := p.set(pinReset, true); err != nil {
		return err
	}
	return stuck
}

func (p *GPIOPower) waitOff(ctx context.Context) error {
	deadline := p.clock.Now().Add(p.timing.OffTimeout)
	for {
		on, _, err := p.status()
		if err != nil {
			return err
		}
		if !on {
			return nil
		}
		if !p.clock.Now().Before(deadline) {
			return fmt.Errorf("%w (STATUS asserted after %v)", ErrStillOn, p.timing.OffTimeout)
		}
		if err := sleep(ctx, p.clock, statusPoll); err != nil {
			return err
		}
	}
}

// Reset pulses RESET_N.
func (p *GPIOPower) Reset(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.pulse(ctx, pinReset, p.timing.ResetPulse); err != nil {
		return fmt.Errorf("modem reset: %w", err)
	}
	return nil
}

// Cycle is Off then On: the board has no supply switch, so a full power
// cycle is the module's own shutdown, a held reset, and a fresh start.
func (p *GPIOPower) Cycle(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.off(ctx); err != nil && !errors.Is(err, ErrStillOn) {
		return fmt.Errorf("modem power cycle: %w", err)
	}
	if err := p.on(ctx); err != nil {
		return fmt.Errorf("modem power cycle: %w", err)
	}
	return nil
}

// pulse asserts pin for d. The line is released even when ctx ends
// mid-pulse: a PWRKEY left pressed would switch the modem again later.
func (p *GPIOPower) pulse(ctx context.Context, pin int, d time.Duration) error {
	if err := p.set(pin, true); err != nil {
		return err
	}
	serr := sleep(ctx, p.clock, d)
	if err := p.set(pin, false); err != nil {
		return err
	}
	return serr
}

func (p *GPIOPower) set(pin int, v bool) error {
	i := p.idx[pin]
	if i < 0 {
		return nil // the board lacks this optional line
	}
	if err := p.pins.Set(i, v); err != nil {
		return fmt.Errorf("%s=%v: %w", pinNames[pin], v, err)
	}
	return nil
}

// status reads STATUS; known is false when the board has no STATUS line.
func (p *GPIOPower) status() (on, known bool, err error) {
	i := p.idx[pinStatus]
	if i < 0 {
		return false, false, nil
	}
	on, err = p.pins.Get(i)
	if err != nil {
		return false, false, fmt.Errorf("STATUS: %w", err)
	}
	return on, true, nil
}

var pinNames = [4]string{"PWRKEY", "RESET", "DISABLE", "STATUS"}

func sleep(ctx context.Context, clk clock.Clock, d time.Duration) error {
	t := clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
