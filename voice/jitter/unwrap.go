package jitter

// unwrapper extends 32-bit RTP timestamps (or 16-bit sequence numbers, with
// bits = 16) to int64 by taking each value as the one nearest the highest
// seen so far (RFC 3550 §A.1 does the same for sequence numbers).
type unwrapper struct {
	bits    uint
	highest int64
	started bool
}

// peek returns the unwrapped value of v without accepting it, so a packet
// that is then refused cannot drag the reference away.
func (u *unwrapper) peek(v uint32) int64 {
	if !u.started {
		return int64(v)
	}
	shift := 64 - u.bits
	// The signed difference modulo 2^bits, sign-extended.
	d := int64((uint64(v)-uint64(u.highest))<<shift) >> shift
	return u.highest + d
}

// advance accepts x, as returned by peek.
func (u *unwrapper) advance(x int64) {
	if !u.started || x > u.highest {
		u.started, u.highest = true, x
	}
}

// reset makes the next value the new reference.
func (u *unwrapper) reset() { u.started = false }
