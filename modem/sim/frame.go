package sim

// framer cuts the byte stream from the host into AT command lines, as
// V.250 §5.2.1 describes a DCE's command state: characters before the "AT"
// prefix are ignored, S3 (CR) ends the line, S5 (BS) deletes the previous
// character, and "A/" repeats the last line at once without a CR. It also
// collects the PDU typed after a +CMGS "> " prompt (3GPP TS 27.005 §3.5.1),
// ended by Ctrl-Z or abandoned by ESC.
//
// framer is a pure state machine: the caller feeds it bytes and acts on the
// events; it never blocks or allocates per byte beyond the line buffer.
type framer struct {
	state frameState
	buf   []byte // the line from its 'A', or the PDU in prompt mode
	max   int    // longest line (or PDU) kept; the rest is dropped
}

type frameState int

const (
	frameIdle     frameState = iota // between lines, waiting for 'A'
	frameA                          // saw 'A', waiting for 'T' or '/'
	frameLine                       // inside "AT..."
	frameOverflow                   // the line outgrew max: wait for CR
	framePrompt                     // collecting a PDU after "> "
)

type frameEvent int

const (
	evNone     frameEvent = iota
	evLine                // a complete command line; text is what followed "AT"
	evRepeat              // "A/": run the previous line again
	evOverflow            // a line longer than max ended
	evPDU                 // Ctrl-Z ended the prompt; text is the PDU
	evCancel              // ESC abandoned the prompt
)

const (
	ctrlZ = 0x1a
	esc   = 0x1b
	bs    = 0x08
	cr    = '\r'
)

// scan consumes b up to and including the first byte that completes an
// event. It returns how many bytes it consumed, the bytes a DCE with echo on
// sends back (the command line characters, not the noise between lines),
// and the event with its text.
func (f *framer) scan(b []byte) (n int, echo []byte, ev frameEvent, text string) {
	for i, c := range b {
		switch f.state {
		case frameIdle:
			if c == 'A' || c == 'a' {
				f.state = frameA
				f.buf = append(f.buf[:0], c)
				echo = append(echo, c)
			}
		case frameA:
			switch c {
			case 'T', 't':
				f.state = frameLine
				f.buf = append(f.buf, c)
				echo = append(echo, c)
			case '/':
				f.state = frameIdle
				echo = append(echo, c)
				return i + 1, echo, evRepeat, ""
			case 'A', 'a':
				f.buf = append(f.buf[:0], c)
				echo = append(echo, c)
			default:
				f.state = frameIdle
			}
		case frameLine:
			switch {
			case c == cr:
				f.state = frameIdle
				echo = append(echo, c)
				return i + 1, echo, evLine, string(f.buf[2:])
			case c == bs:
				if len(f.buf) > 2 {
					f.buf = f.buf[:len(f.buf)-1]
					echo = append(echo, c)
				}
			case c == '\n' || c == 0:
				// LF after a previous CR, or line noise: not part of a command.
			case len(f.buf) >= f.max:
				f.state = frameOverflow
			default:
				f.buf = append(f.buf, c)
				echo = append(echo, c)
			}
		case frameOverflow:
			if c == cr {
				f.state = frameIdle
				echo = append(echo, c)
				return i + 1, echo, evOverflow, ""
			}
		case framePrompt:
			switch {
			case c == ctrlZ:
				f.state = frameIdle
				return i + 1, echo, evPDU, string(f.buf)
			case c == esc:
				f.state = frameIdle
				return i + 1, echo, evCancel, ""
			case c == cr || c == '\n':
				// Some hosts end the PDU line with CR before Ctrl-Z.
				echo = append(echo, c)
			case len(f.buf) < f.max:
				f.buf = append(f.buf, c)
				echo = append(echo, c)
			}
		}
	}
	return len(b), echo, evNone, ""
}

// prompt switches to collecting a PDU, after the DCE sent "> ".
func (f *framer) prompt() {
	f.state = framePrompt
	f.buf = f.buf[:0]
}

// reset forgets any partial line, as a reboot does.
func (f *framer) reset() {
	f.state = frameIdle
	f.buf = f.buf[:0]
}
