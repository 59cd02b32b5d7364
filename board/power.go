package board

import (
	"context"
	"errors"
	"fmt"
)

// Power drives the cellular modem's power and reset lines. The modem package
// walks its recovery ladder through it (AT resync, AT+CFUN=1,1, then Reset,
// then Cycle), so a board without GPIO control simply reports that it cannot
// and the ladder stops one rung lower.
//
// Every method returns errors.ErrUnsupported (possibly wrapped) when the board
// has no such line; callers branch on that with errors.Is.
type Power interface {
	// On powers the modem up (on a Quectel-class module: a PWRKEY pulse) and
	// returns once the pulse is done, not once the modem has booted.
	On(ctx context.Context) error
	// Off powers the modem down and keeps it down.
	Off(ctx context.Context) error
	// Reset pulses the modem's reset line.
	Reset(ctx context.Context) error
	// Cycle removes power, waits, and powers the modem up again: the last
	// resort when the modem answers nothing and the reset line did not help.
	Cycle(ctx context.Context) error
}

// NoPower is the Power of a board that cannot switch or reset its modem, such
// as a QEMU board whose modem is a simulator on a pty, or a USB dongle.
type NoPower struct{}

var errNoPowerControl = fmt.Errorf("board: no modem power control: %w", errors.ErrUnsupported)

func (NoPower) On(context.Context) error    { return errNoPowerControl }
func (NoPower) Off(context.Context) error   { return errNoPowerControl }
func (NoPower) Reset(context.Context) error { return errNoPowerControl }
func (NoPower) Cycle(context.Context) error { return errNoPowerControl }
