package sim

import (
	"fmt"
	"io"
	"time"

	"mehfooz/clock"
)

// Entry is one line of the transcript: what the host sent, what the modem
// answered, the URCs it raised, and notes on faults and ports.
type Entry struct {
	Time time.Time
	// Kind is '>' for a command line from the host, '<' for a response
	// line, '!' for a URC, and '#' for a note (a fault, a port event).
	Kind byte
	Text string
}

// String formats the entry like the engine's transcript fixtures:
// "> AT+CSQ", "< +CSQ: 20,99", "! +CEREG: 1", "# unplug".
func (e Entry) String() string { return string(e.Kind) + " " + e.Text }

// transcript keeps the last max entries in a ring.
type transcript struct {
	clk     clock.Clock
	entries []Entry
	next    int // where the next entry goes once the ring is full
	max     int
}

func newTranscript(max int, clk clock.Clock) transcript {
	if max <= 0 {
		max = 4096
	}
	return transcript{clk: clk, max: max}
}

func (t *transcript) add(kind byte, text string) {
	e := Entry{Time: t.clk.Now(), Kind: kind, Text: text}
	if len(t.entries) < t.max {
		t.entries = append(t.entries, e)
		return
	}
	t.entries[t.next] = e
	t.next = (t.next + 1) % t.max
}

func (t *transcript) snapshot() []Entry {
	out := make([]Entry, 0, len(t.entries))
	out = append(out, t.entries[t.next:]...)
	return append(out, t.entries[:t.next]...)
}

// Transcript returns the recorded entries, oldest first.
func (m *Modem) Transcript() []Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tr.snapshot()
}

// Commands returns the command lines the host sent, oldest first, as
// "AT…" strings.
func (m *Modem) Commands() []string {
	var out []string
	for _, e := range m.Transcript() {
		if e.Kind == '>' {
			out = append(out, e.Text)
		}
	}
	return out
}

// WriteTranscript prints the transcript, one entry a line.
func (m *Modem) WriteTranscript(w io.Writer) error {
	for _, e := range m.Transcript() {
		if _, err := fmt.Fprintln(w, e); err != nil {
			return err
		}
	}
	return nil
}
