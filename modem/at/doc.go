// Package at is Mehfooz's AT command engine (ITU-T V.250, 3GPP TS 27.007 and
// TS 27.005) over a byte stream. It owns the port: one goroutine reads it and
// frames lines, commands are serialised and matched to their responses by
// prefix and shape, and unsolicited result codes (URCs) go to one ordered,
// bounded queue that coalesces registration and signal reports.
//
// It is written for a modem that misbehaves: over-long or binary lines are
// dropped and counted (never a close), stale replies after a timeout are
// drained before the next command, echo is recognised even after a modem
// reset turns it back on, and every wait has a timeout and honours its
// context. The engine takes an io.ReadWriter and never opens a device; the
// modem package and cmd/ do that.
//
// Only the modem package and tests import it.
package at
