package seal

// Window is how many counters behind the newest accepted one a frame may
// still arrive: 128 frames of 20 ms, 2.56 s, far beyond any jitter buffer.
const Window = 128

// window is a sliding replay window over 32-bit counters: bit i of bits is set
// when counter top-i was accepted.
type window struct {
	seen bool
	top  uint32
	bits [Window / 64]uint64
}

// check reports why counter c must be refused, without changing the window.
func (w *window) check(c uint32) error {
	if !w.seen || c > w.top {
		return nil
	}
	d := w.top - c
	if d >= Window {
		return ErrLate
	}
	if w.bits[d/64]&(1<<(d%64)) != 0 {
		return ErrReplay
	}
	return nil
}

// accept records counter c, which check allowed and which authenticated.
func (w *window) accept(c uint32) {
	if !w.seen {
		w.seen, w.top = true, c
		w.bits = [Window / 64]uint64{1}
		return
	}
	if c <= w.top {
		d := w.top - c
		w.bits[d/64] |= 1 << (d % 64)
		return
	}
	w.shift(c - w.top)
	w.top = c
	w.bits[0] |= 1
}

// shift ages every entry by n counters.
func (w *window) shift(n uint32) {
	if n >= Window {
		w.bits = [Window / 64]uint64{}
		return
	}
	words, bits := int(n/64), n%64
	for i := len(w.bits) - 1; i >= 0; i-- {
		var v uint64
		if j := i - words; j >= 0 {
			v = w.bits[j] << bits
			if bits != 0 && j-1 >= 0 {
				v |= w.bits[j-1] >> (64 - bits)
			}
		}
		w.bits[i] = v
	}
}
