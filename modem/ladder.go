package modem

import (
	"time"
)

// step is a rung of the recovery ladder (modem.md §7.1): each failed
// session climbs one rung, a session that reaches service comes back down.
type step int

const (
	stepReopen     step = iota // the engine already resynchronised; reopen the port
	stepSoftReset              // AT+CFUN=1,1 over a fresh port
	stepResetLine              // board.Power.Reset
	stepPowerCycle             // board.Power.Cycle
)

func (s step) String() string {
	return [...]string{"reopen", "cfun", "reset-line", "power-cycle"}[s]
}

// ladder decides the next recovery step and how long to wait first. Hard
// steps (reset line, power cycle) are rate-limited: past the limit per hour
// the ladder stays on reopen with the longest wait, so a modem that keeps
// failing is left alone rather than hammered.
type ladder struct {
	failures int
	hard     []time.Time
	maxHard  int
	base     time.Duration
	max      time.Duration
}

func newLadder(t Timing) *ladder {
	return &ladder{maxHard: t.HardResets, base: t.Reopen, max: t.ReopenMax}
}

// fail records a failed session and returns the step to take, the wait
// before reopening, and whether the hard-reset budget is spent. noHard says
// the board has no power control, so hard steps are skipped.
func (l *ladder) fail(now time.Time, noHard bool) (s step, wait time.Duration, exhausted bool) {
	l.failures++
	wait = l.base << min(l.failures-1, 16)
	if wait > l.max || wait <= 0 {
		wait = l.max
	}
	switch {
	case l.failures <= 1:
		return stepReopen, wait, false
	case l.failures == 2:
		return stepSoftReset, wait, false
	case noHard:
		return stepSoftReset, wait, false
	}
	kept := l.hard[:0]
	for _, t := range l.hard {
		if now.Sub(t) < time.Hour {
			kept = append(kept, t)
		}
	}
	l.hard = kept
	if len(l.hard) >= l.maxHard {
		return stepReopen, l.max, true
	}
	l.hard = append(l.hard, now)
	if l.failures == 3 {
		return stepResetLine, wait, false
	}
	return stepPowerCycle, wait, false
}

// ok records a session that reached service.
func (l *ladder) ok() { l.failures = 0 }

// backoff is a doubling wait with a ceiling.
type backoff struct {
	base, max time.Duration
	next      time.Duration
}

func (b *backoff) wait() time.Duration {
	if b.next == 0 {
		b.next = b.base
	}
	d := b.next
	b.next = min(2*b.next, b.max)
	return d
}

func (b *backoff) reset() { b.next = 0 }
