package at

// framer splits the modem's byte stream into lines. A V.250 response is
// <CR><LF>text<CR><LF> (§5.7.1), but modems also emit bare LFs, NULs after a
// reboot and binary noise on a wrong baud rate, so the framer treats any CR or
// LF as a line end, keeps only printable ASCII, and bounds every line.
//
// A line longer than max is dropped whole: a truncated line would be a
// different line, and no TS 27.007/27.005 response comes near 4 KiB. The
// framer never fails; it counts what it drops.
type framer struct {
	buf  []byte
	max  int
	over bool // the current line passed max: discard until its end

	// expectPrompt is set while a command waits for the TS 27.005 "> "
	// prompt, which the modem sends without a line end (§3.5.1).
	expectPrompt bool
	skipSpace    bool // swallow the space after a prompt

	dropped  uint64 // bytes of over-long lines
	overlong uint64 // over-long lines
	stripped uint64 // bytes that were not printable ASCII
}

func newFramer(max int) *framer {
	return &framer{buf: make([]byte, 0, max), max: max}
}

// feed frames p. emit receives each complete line (valid only during the call)
// or a prompt; it must not retain line.
func (f *framer) feed(p []byte, emit func(line []byte, prompt bool)) {
	for _, c := range p {
		switch {
		case c == '\r' || c == '\n':
			f.skipSpace = false
			f.end(emit)
		case c < 0x20 || c > 0x7e:
			f.stripped++
		case f.over:
			f.dropped++
		case c == ' ' && f.skipSpace:
		case c == '>' && len(f.buf) == 0 && f.expectPrompt:
			f.expectPrompt = false
			f.skipSpace = true
			emit(nil, true)
		case len(f.buf) == f.max:
			f.over = true
			f.dropped += uint64(len(f.buf)) + 1
			clear(f.buf)
			f.buf = f.buf[:0]
		default:
			f.skipSpace = false
			f.buf = append(f.buf, c)
		}
	}
}

// end finishes the current line.
func (f *framer) end(emit func(line []byte, prompt bool)) {
	if f.over {
		f.over = false
		f.overlong++
		return
	}
	if len(f.buf) == 0 {
		return
	}
	emit(f.buf, false)
	f.buf = f.buf[:0]
}

// pending reports whether a partial line is buffered.
func (f *framer) pending() bool { return len(f.buf) > 0 || f.over }

// flush ends a partial line after the port has been idle: some modems end a
// URC without a line end, and a partial line must not sit in front of the
// next response forever.
func (f *framer) flush(emit func(line []byte, prompt bool)) {
	f.skipSpace = false
	f.end(emit)
}

// wipe zeroes the line buffer, for after a line that echoed a secret.
func (f *framer) wipe() { clear(f.buf[:cap(f.buf)]) }
